"""The ticket API: shapes, and bad input answered with a clear 4xx that loses nothing."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.models import Ticket
from tests.conftest import login
from tests.server.api import API, TICKET_KEYS, issue
from tests.support import BRANCH, JST, FixedClock

TICKETS = f"{API}/branches/{BRANCH}/tickets"


def test_ticket_shape_follows_the_contract(client: TestClient, kiosk: dict[str, str]) -> None:
    ticket = issue(client, kiosk, service="certificate", language="en")
    assert set(ticket) >= TICKET_KEYS
    assert ticket["number"] == "C001"
    assert ticket["language"] == "en"
    assert ticket["status_url"].endswith(f"/t/{ticket['status_token']}")
    assert len(ticket["status_token"]) >= 32
    assert ticket["position"] == 0
    assert ticket["stops"][0]["counter"]  # where to go: the counters serving certificates
    fetched = client.get(f"{API}/tickets/{ticket['status_token']}")
    assert fetched.status_code == 200
    assert fetched.json()["number"] == "C001"


def test_position_and_estimate_grow_with_the_queue(client: TestClient, kiosk: dict[str, str]) -> None:
    tickets = [issue(client, kiosk, service="certificate") for _ in range(4)]
    assert [t["position"] for t in tickets] == [0, 1, 2, 3]
    estimates = [t["estimated_wait_minutes"] for t in tickets]
    assert estimates == sorted(estimates)
    assert estimates[-1] > 0


def test_sensitive_procedures_are_never_named_in_the_ticket_labels(client: TestClient, kiosk: dict[str, str]) -> None:
    ticket = issue(client, kiosk, life_event="divorce", answers={"has_children": True})
    labels = {stop["label"] for stop in ticket["stops"]}
    assert not any("離婚" in label or "ひとり親" in label for label in labels)


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({"service": "no_such_thing"}, 404, "service_not_found", "Unknown service"),
        ({"life_event": "moon_landing"}, 404, "life_event_not_found", "Unknown life event"),
        ({"life_event": "move_in", "answers": {"has_children": "maybe"}}, 422, "validation_error", None),
        ({"life_event": "move_in", "answers": {"has_pets": True}}, 422, "unknown_question", "has_pets"),
        ({"life_event": "move_in", "answers": ["has_children"]}, 422, "validation_error", None),
        ({"service": "certificate", "life_event": "move_in"}, 422, "validation_error", None),
        ({}, 422, "validation_error", None),
        ({"service": "certificate", "language": "日本語"}, 422, "validation_error", None),
        ({"service": "certificate", "priority": "pregnant"}, 403, "priority_by_staff_only", "floor staff"),
        ({"service": "pickup"}, 403, "not_on_kiosk", "not offered at the kiosk"),
        ({"service": "certificate", "colour": "red"}, 422, "validation_error", None),
    ],
)
def test_bad_ticket_requests_get_a_clear_4xx_and_write_nothing(
    client: TestClient,
    kiosk: dict[str, str],
    session: Session,
    body: dict[str, Any],
    status: int,
    code: str,
    words: str | None,
) -> None:
    response = client.post(TICKETS, json=body, headers=kiosk)
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["code"] == code
    assert payload["detail"]
    if words:
        assert words in payload["detail"]
    assert session.exec(select(Ticket)).all() == []


def test_malformed_json_is_a_422(client: TestClient, kiosk: dict[str, str]) -> None:
    response = client.post(TICKETS, content=b'{"service": ', headers={**kiosk, "content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_unknown_branch_and_status_token_are_404(client: TestClient, kiosk: dict[str, str]) -> None:
    assert (
        client.post(f"{API}/branches/nowhere/tickets", json={"service": "certificate"}, headers=kiosk).status_code
        == 404
    )
    missing = client.get(f"{API}/tickets/not-a-real-token")
    assert missing.status_code == 404
    assert "QR" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer nonsense"}, "invalid_token"),
        ({"Authorization": "Basic abc"}, "missing_token"),
    ],
)
def test_issuing_needs_a_kiosk_or_staff_token(client: TestClient, headers: dict[str, str], code: str) -> None:
    response = client.post(TICKETS, json={"service": "certificate"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_display_token_cannot_issue(client: TestClient, display_token: str) -> None:
    response = client.post(
        TICKETS, json={"service": "certificate"}, headers={"Authorization": f"Bearer {display_token}"}
    )
    assert response.status_code == 403


def test_login_gives_a_token_that_expires(client: TestClient, staff_users: dict[str, Any], clock: FixedClock) -> None:
    headers = login(client, "shokuin")
    me = client.get(f"{API}/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "municipal"
    clock.advance(hours=13)
    response = client.get(f"{API}/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "もう一度サインインしてください" in response.json()["detail"]  # Japanese first, then English


def test_wrong_password_is_refused_without_saying_which_part(client: TestClient, staff_users: dict[str, Any]) -> None:
    unknown = client.post(f"{API}/auth/login", json={"username": "nobody", "password": "x"})
    wrong = client.post(f"{API}/auth/login", json={"username": "shokuin", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_menu_lists_services_and_life_events_in_the_asked_language(client: TestClient) -> None:
    ja = client.get(f"{API}/branches/{BRANCH}/menu?lang=ja").json()
    en = client.get(f"{API}/branches/{BRANCH}/menu?lang=en").json()
    assert [e["id"] for e in ja["life_events"]][:3] == ["move_in", "move_within", "move_out"]
    move_in_ja = ja["life_events"][0]
    move_in_en = en["life_events"][0]
    assert move_in_ja["questions"]
    assert move_in_ja["questions"][0]["id"] == move_in_en["questions"][0]["id"]
    assert move_in_ja["name"] != move_in_en["name"]
    assert all(service["id"] != "civil_review" for service in ja["services"])
    assert client.get(f"{API}/branches/{BRANCH}/menu?lang=../etc").status_code == 422


def test_queues_are_public_and_count_waiting_people(client: TestClient, kiosk: dict[str, str]) -> None:
    issue(client, kiosk, service="certificate")
    issue(client, kiosk, service="certificate")
    queues = {row["service"]: row for row in client.get(f"{API}/branches/{BRANCH}/queues").json()}
    assert queues["certificate"]["waiting"] == 2
    assert queues["certificate"]["estimated_wait_minutes"] > 0
    assert "civil_review" not in queues  # back-office work is not a public queue


def test_public_queues_name_no_sensitive_procedure(client: TestClient, kiosk: dict[str, str]) -> None:
    """Anyone may read the queues: a death or a divorce waiting shows as one neutral 届出 row."""
    issue(client, kiosk, life_event="death", answers={"files_death_registration": True})
    issue(client, kiosk, life_event="divorce", answers={})
    rows = client.get(f"{API}/branches/{BRANCH}/queues").json()
    services = [row["service"] for row in rows]
    assert "death_reg" not in services
    assert "divorce_reg" not in services
    (notifications,) = [row for row in rows if row["service"] == "notification"]
    assert notifications["label"] == "届出"
    assert notifications["waiting"] == 2


def test_repeated_failed_logins_are_throttled(
    client: TestClient, staff_users: dict[str, Any], clock: FixedClock
) -> None:
    for _ in range(10):
        assert client.post(f"{API}/auth/login", json={"username": "shokuin", "password": "guess"}).status_code == 401
    blocked = client.post(f"{API}/auth/login", json={"username": "shokuin", "password": "correct-horse-42"})
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_attempts"
    assert "try again" in blocked.json()["detail"]
    clock.advance(minutes=6)
    assert (
        client.post(f"{API}/auth/login", json={"username": "shokuin", "password": "correct-horse-42"}).status_code
        == 200
    )


def test_menu_says_issuing_is_closed_after_the_last_ticket(client: TestClient, clock: FixedClock) -> None:
    assert client.get(f"{API}/branches/{BRANCH}/menu").json()["issuing_open"] is True
    clock.set(datetime(2026, 4, 1, 17, 5, tzinfo=JST))
    menu = client.get(f"{API}/branches/{BRANCH}/menu").json()
    assert menu["issuing_open"] is False
    assert menu["issuing_closed_code"] == "issuing_closed"
    assert "発券は終了しました" in menu["issuing_closed_message"]
