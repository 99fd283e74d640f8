"""Admin API: who may call it, what each change writes and audits, and what it refuses untouched."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.main import create_app
from server.models import (
    Branch,
    Counter,
    CounterService,
    Device,
    PriorityCategory,
    Question,
    Queue,
    Service,
    Staff,
)
from tests.conftest import login
from tests.server.admin.helpers import ADMIN, audit_entries, snapshot
from tests.server.api import API, act, counter_ids, issue
from tests.support import BRANCH, PASSWORD, FixedClock

Headers = dict[str, dict[str, str]]


def _admin_routes() -> list[tuple[str, str]]:
    paths = create_app().openapi()["paths"]
    return sorted(
        (method.upper(), path) for path, operations in paths.items() if "/admin/" in path for method in operations
    )


ADMIN_ROUTES = _admin_routes()


def _concrete(path: str) -> str:
    return (
        path.replace("{branch}", BRANCH)
        .replace("{device}", "1")
        .replace("{account}", "1")
        .replace("{", "")
        .replace("}", "")
    )


def test_the_enumeration_found_the_admin_routes() -> None:
    assert ("PUT", "/api/v1/admin/branches/{branch}/config") in ADMIN_ROUTES
    assert ("POST", "/api/v1/admin/branches/{branch}/life-events/{key}/stops") in ADMIN_ROUTES
    assert len(ADMIN_ROUTES) >= 35


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_every_admin_route_is_for_administrators_only(
    client: TestClient, auth: Headers, engine: Engine, method: str, path: str
) -> None:
    before = snapshot(engine)
    url = _concrete(path)
    assert client.request(method, url, json={}).status_code == 401
    for user in ("shokuin", "itaku"):
        response = client.request(method, url, json={}, headers=auth[user])
        assert response.status_code == 403, f"{user}: {method} {path} answered {response.status_code}"
        assert response.json()["code"] == "admin_only"
    assert snapshot(engine) == before


def test_an_admin_of_another_branch_is_refused(client: TestClient, auth: Headers, engine: Engine) -> None:
    with Session(engine) as session:
        admin = session.exec(select(Staff).where(Staff.username == "admin")).one()
        admin.branch_id = None  # a city-wide admin may manage any branch …
        session.add(admin)
        session.commit()
    assert client.get(f"{ADMIN}/services", headers=auth["admin"]).status_code == 200
    with Session(engine) as session:
        session.add(Branch(id="shisho", name_ja="支所", name_en="Branch office"))
        admin = session.exec(select(Staff).where(Staff.username == "admin")).one()
        admin.branch_id = "shisho"  # … a branch's admin only their own
        session.add(admin)
        session.commit()
        admin_id = admin.id
    # Edited behind the server's back: its sign-in memory hears of it as of any revocation.
    client.app.state.principals.on_messages([{"type": "access.revoked", "staff": admin_id}])  # type: ignore[attr-defined]
    response = client.get(f"{ADMIN}/services", headers=auth["admin"])
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_branch"


def _refused(response: Any, *phrases: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_configuration"
    detail: str = body["detail"]
    assert detail.startswith("The change was refused; nothing was changed.")
    for phrase in phrases:
        assert phrase in detail
    return detail


# --- the three refusals the console must explain ----------------------------------------------


def test_a_route_to_a_service_that_does_not_exist_is_refused_and_nothing_changes(
    client: TestClient, auth: Headers, engine: Engine
) -> None:
    before = snapshot(engine)
    response = client.post(
        f"{ADMIN}/life-events/move_in/stops", json={"service": "passport", "position": 2}, headers=auth["admin"]
    )
    _refused(response, "life event 'move_in' › stops › #3 › service: unknown service 'passport' in the route")
    assert snapshot(engine) == before


def test_a_duplicate_prefix_is_refused_and_nothing_changes(client: TestClient, auth: Headers, engine: Engine) -> None:
    before = snapshot(engine)
    queue = {"prefix": "A", "name_ja": "重複", "name_en": "Duplicate", "label_ja": "届出", "label_en": "Notifications"}
    response = client.post(f"{ADMIN}/queues", json=queue, headers=auth["admin"])
    _refused(response, "duplicate prefix 'A'")
    assert snapshot(engine) == before


def test_a_cutoff_before_opening_is_refused_and_nothing_changes(
    client: TestClient, auth: Headers, engine: Engine
) -> None:
    before = snapshot(engine)
    response = client.patch(f"{ADMIN}/services/certificate", json={"issue_cutoff": "08:00"}, headers=auth["admin"])
    _refused(
        response, "service 'certificate' › issue_cutoff: issue cut-off 08:00 must be after opening 08:30 and by closing"
    )
    assert snapshot(engine) == before


def test_moving_the_hours_past_a_cutoff_is_refused(client: TestClient, auth: Headers, engine: Engine) -> None:
    response = client.patch(f"{ADMIN}/services/certificate", json={"issue_cutoff": "16:30"}, headers=auth["admin"])
    assert response.status_code == 200, response.text
    before = snapshot(engine)
    hours = {"open": "08:30", "close": "16:00", "last_ticket": "15:45"}
    _refused(client.put(f"{ADMIN}/hours", json=hours, headers=auth["admin"]), "issue cut-off 16:30")
    assert snapshot(engine) == before


# --- services ---------------------------------------------------------------------------------


def test_list_services(client: TestClient, auth: Headers) -> None:
    response = client.get(f"{ADMIN}/services", headers=auth["admin"])
    assert response.status_code == 200
    services = {service["id"]: service for service in response.json()}
    assert services["certificate"]["queue"] == "C"
    assert services["pension_death"]["staff_only"] is True


def test_create_a_service_with_its_counters_and_issue_it_at_once(
    client: TestClient, auth: Headers, engine: Engine
) -> None:
    body = {
        "id": "passport_info",
        "queue": "C",
        "name_ja": "旅券の案内",
        "name_en": "Passport information",
        "minutes": 4,
        "counters": ["7", "8"],
    }
    response = client.post(f"{ADMIN}/services", json=body, headers=auth["admin"])
    assert response.status_code == 201, response.text
    assert response.json()["id"] == "passport_info"
    with Session(engine) as session:
        service = session.exec(select(Service).where(Service.key == "passport_info")).one()
        assert service.active
        assert service.typical_minutes == 4
        served_by = session.exec(
            select(Counter.code)
            .join(CounterService, col(CounterService.counter_id) == Counter.id)
            .where(CounterService.service_id == service.id)
        ).all()
    assert sorted(served_by) == ["7", "8"]
    ticket = issue(client, auth["shokuin"], service="passport_info")
    assert ticket["number"].startswith("C")
    entry = audit_entries(engine)[0]
    assert (entry.action, entry.target, entry.username) == ("service.create", "service:passport_info", "admin")
    assert entry.before is None
    assert entry.after is not None
    assert entry.after["counters"] == ["7", "8"]


def test_a_service_nobody_serves_is_refused(client: TestClient, auth: Headers, engine: Engine) -> None:
    before = snapshot(engine)
    body = {"id": "orphan", "queue": "C", "name_ja": "孤立", "name_en": "Orphan", "counters": []}
    assert client.post(f"{ADMIN}/services", json=body, headers=auth["admin"]).status_code == 422
    body["counters"] = ["99"]
    assert client.post(f"{ADMIN}/services", json=body, headers=auth["admin"]).json()["code"] == "counter_not_found"
    assert snapshot(engine) == before


def test_update_a_service_and_its_cutoff(client: TestClient, auth: Headers, engine: Engine, clock: FixedClock) -> None:
    response = client.patch(
        f"{ADMIN}/services/certificate", json={"minutes": 4.5, "issue_cutoff": "09:30"}, headers=auth["admin"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["issue_cutoff"] == "09:30"
    with Session(engine) as session:
        service = session.exec(select(Service).where(Service.key == "certificate")).one()
        assert (service.typical_minutes, service.issue_cutoff_at) == (4.5, "09:30")
    entry = audit_entries(engine)[0]
    assert entry.action == "service.update"
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["minutes"], entry.before["issue_cutoff"]) == (3, None)
    assert (entry.after["minutes"], entry.after["issue_cutoff"]) == (4.5, "09:30")
    # It is 10:00: the cut-off applies to the very next ticket, other services still issue.
    refused = client.post(f"{API}/branches/{BRANCH}/tickets", json={"service": "certificate"}, headers=auth["shokuin"])
    assert refused.status_code == 409
    assert refused.json()["code"] == "issuing_closed"
    issue(client, auth["shokuin"], service="moving_in")
    cleared = client.patch(f"{ADMIN}/services/certificate", json={"issue_cutoff": None}, headers=auth["admin"])
    assert cleared.json()["issue_cutoff"] is None
    issue(client, auth["shokuin"], service="certificate")


def test_deactivate_a_service(client: TestClient, auth: Headers, engine: Engine) -> None:
    response = client.delete(f"{ADMIN}/services/interpreter", headers=auth["admin"])
    assert response.status_code == 204, response.text
    with Session(engine) as session:
        service = session.exec(select(Service).where(Service.key == "interpreter")).one()
        assert not service.active
        links = session.exec(select(CounterService).where(CounterService.service_id == service.id)).all()
    assert links == []
    refused = client.post(f"{API}/branches/{BRANCH}/tickets", json={"service": "interpreter"}, headers=auth["shokuin"])
    assert refused.status_code == 404
    entry = audit_entries(engine)[0]
    assert (entry.action, entry.after) == ("service.deactivate", None)
    assert entry.before is not None
    assert entry.before["id"] == "interpreter"


def test_a_service_still_on_a_route_cannot_be_deactivated(client: TestClient, auth: Headers, engine: Engine) -> None:
    before = snapshot(engine)
    response = client.delete(f"{ADMIN}/services/pickup", headers=auth["admin"])
    _refused(response, "life event 'move_in' › stops", "unknown service 'pickup' in the route")
    assert snapshot(engine) == before


# --- queues and counters ----------------------------------------------------------------------


def test_create_and_update_a_queue(client: TestClient, auth: Headers, engine: Engine) -> None:
    queue = {"prefix": "G", "name_ja": "ごみ", "name_en": "Waste", "label_ja": "ごみ", "label_en": "Waste"}
    assert client.post(f"{ADMIN}/queues", json=queue, headers=auth["admin"]).status_code == 201
    response = client.patch(f"{ADMIN}/queues/G", json={"label_en": "Waste collection"}, headers=auth["admin"])
    assert response.status_code == 200
    with Session(engine) as session:
        row = session.exec(select(Queue).where(Queue.prefix == "G")).one()
    assert row.label_en == "Waste collection"
    assert [entry.action for entry in audit_entries(engine)] == ["queue.update", "queue.create"]
    assert client.patch(f"{ADMIN}/queues/Q", json={}, headers=auth["admin"]).status_code == 404


def _served(engine: Engine, code: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Service.key)
                .join(CounterService, col(CounterService.service_id) == Service.id)
                .join(Counter, col(Counter.id) == CounterService.counter_id)
                .where(Counter.code == code)
                .order_by(col(CounterService.position))
            )
        )


def test_create_update_and_deactivate_a_counter(client: TestClient, auth: Headers, engine: Engine) -> None:
    counter = {"id": "23", "name_ja": "証明書", "name_en": "Certificates", "services": ["certificate"]}
    assert client.post(f"{ADMIN}/counters", json=counter, headers=auth["admin"]).status_code == 201
    assert _served(engine, "23") == ["certificate"]
    response = client.patch(
        f"{ADMIN}/counters/7", json={"services": ["certificate", "pickup"], "name_en": "Certs"}, headers=auth["admin"]
    )
    assert response.status_code == 200, response.text
    assert _served(engine, "7") == ["certificate", "pickup"]
    entry = audit_entries(engine)[0]
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["services"], entry.after["services"]) == (["pickup", "certificate"], ["certificate", "pickup"])
    assert client.delete(f"{ADMIN}/counters/23", headers=auth["admin"]).status_code == 204
    with Session(engine) as session:
        assert not session.exec(select(Counter).where(Counter.code == "23")).one().active
    assert "23" not in counter_ids(client)


def test_an_open_counter_cannot_be_deactivated(client: TestClient, auth: Headers, engine: Engine) -> None:
    act(client, auth["shokuin"], counter_ids(client)["7"], "open")
    before = snapshot(engine)
    response = client.delete(f"{ADMIN}/counters/7", headers=auth["admin"])
    assert response.status_code == 409
    assert response.json()["code"] == "counter_open"
    assert snapshot(engine) == before


def test_a_counter_serving_nothing_is_refused(client: TestClient, auth: Headers, engine: Engine) -> None:
    before = snapshot(engine)
    response = client.patch(f"{ADMIN}/counters/R1", json={"services": []}, headers=auth["admin"])
    _refused(response, "counter 'R1' › services")
    assert snapshot(engine) == before


# --- life events and questions ----------------------------------------------------------------


def test_add_a_stop_and_the_next_ticket_gets_it(client: TestClient, auth: Headers, engine: Engine) -> None:
    old = issue(client, auth["shokuin"], life_event="move_in", answers={})
    response = client.post(
        f"{ADMIN}/life-events/move_in/stops", json={"service": "certificate", "position": 5}, headers=auth["admin"]
    )
    assert response.status_code == 201, response.text
    assert [stop["service"] for stop in response.json()["stops"]][:6] == [
        "moving_in",
        "residence_card",
        "seal_registration",
        "civil_review",
        "civil_entry",
        "certificate",
    ]
    new = issue(client, auth["shokuin"], life_event="move_in", answers={})
    assert [stop["service"] for stop in new["stops"]] == [
        "moving_in",
        "civil_review",
        "civil_entry",
        "certificate",
        "pickup",
    ]
    assert "certificate" not in [stop["service"] for stop in old["stops"]]
    entry = audit_entries(engine)[0]
    assert (entry.action, entry.target) == ("life_event.add_stop", "life_event:move_in")
    assert entry.before is not None
    assert entry.after is not None
    assert len(entry.after["stops"]) == len(entry.before["stops"]) + 1


def test_add_a_stop_at_the_end_and_past_the_end(client: TestClient, auth: Headers, engine: Engine) -> None:
    response = client.post(
        f"{ADMIN}/life-events/household_change/stops", json={"service": "pickup"}, headers=auth["admin"]
    )
    assert response.json()["stops"][-1] == {
        "service": "pickup",
        "when": [],
        "when_any": [],
        "unless": [],
        "group": None,
    }
    before = snapshot(engine)
    response = client.post(
        f"{ADMIN}/life-events/household_change/stops",
        json={"service": "certificate", "position": 40},
        headers=auth["admin"],
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_position"
    assert snapshot(engine) == before


def test_a_new_question_becomes_a_condition_of_a_route(client: TestClient, auth: Headers, engine: Engine) -> None:
    question = {"id": "has_pet", "text_ja": "犬を飼っていますか", "text_en": "Do you keep a dog?"}
    assert client.post(f"{ADMIN}/questions", json=question, headers=auth["admin"]).status_code == 201
    # Not asked by any life event yet, and still listed (so a route can use it).
    assert "has_pet" in [q["id"] for q in client.get(f"{ADMIN}/questions", headers=auth["admin"]).json()]
    event = next(e for e in client.get(f"{ADMIN}/life-events", headers=auth["admin"]).json() if e["id"] == "move_in")
    stops = [*event["stops"][:-1], {"service": "certificate", "when": ["has_pet"]}, event["stops"][-1]]
    response = client.patch(
        f"{ADMIN}/life-events/move_in",
        json={"questions": [*event["questions"], "has_pet"], "stops": stops, "icon": "🏡"},
        headers=auth["admin"],
    )
    assert response.status_code == 200, response.text
    menu = client.get(f"{API}/branches/{BRANCH}/menu?lang=en").json()
    move_in = next(e for e in menu["life_events"] if e["id"] == "move_in")
    assert move_in["icon"] == "🏡"
    # Asked in English: the text is the English one (text_lang says which language it is in).
    assert move_in["questions"][-1] == {
        "id": "has_pet",
        "text": "Do you keep a dog?",
        "text_lang": "en",
        "show_when": [],
    }
    with_dog = issue(client, auth["shokuin"], life_event="move_in", answers={"has_pet": True})
    without = issue(client, auth["shokuin"], life_event="move_in", answers={"has_pet": False})
    assert "certificate" in [stop["service"] for stop in with_dog["stops"]]
    assert "certificate" not in [stop["service"] for stop in without["stops"]]

    updated = client.patch(f"{ADMIN}/questions/has_pet", json={"text_en": "Any dogs?"}, headers=auth["admin"])
    assert updated.json()["text_en"] == "Any dogs?"
    with Session(engine) as session:
        assert session.exec(select(Question).where(Question.key == "has_pet")).one().text_en == "Any dogs?"


def test_a_condition_on_a_question_not_asked_is_refused(client: TestClient, auth: Headers, engine: Engine) -> None:
    before = snapshot(engine)
    stops = [{"service": "household_change"}, {"service": "civil_review", "when": ["over_75"]}]
    response = client.patch(
        f"{ADMIN}/life-events/household_change", json={"stops": stops, "questions": []}, headers=auth["admin"]
    )
    _refused(response, "question 'over_75' is used in a condition but not asked")
    assert snapshot(engine) == before


# --- priority, fairness, hours, issuing -------------------------------------------------------


def test_priority_categories_and_fairness(client: TestClient, auth: Headers, engine: Engine) -> None:
    category = {"id": "injured", "name_ja": "けがをされている方", "name_en": "Injured persons", "rank": 6}
    assert client.post(f"{ADMIN}/priority-categories", json=category, headers=auth["admin"]).status_code == 201
    assert (
        client.patch(f"{ADMIN}/priority-categories/injured", json={"rank": 2}, headers=auth["admin"]).json()["rank"]
        == 2
    )
    assert client.delete(f"{ADMIN}/priority-categories/infant", headers=auth["admin"]).status_code == 204
    with Session(engine) as session:
        rows = {row.key: row for row in session.exec(select(PriorityCategory))}
    assert rows["injured"].rank == 2
    assert rows["injured"].active
    assert not rows["infant"].active
    refused = client.post(
        f"{API}/branches/{BRANCH}/tickets",
        json={"service": "certificate", "priority": "infant"},
        headers=auth["shokuin"],
    )
    assert refused.status_code == 404

    assert client.get(f"{ADMIN}/fairness", headers=auth["admin"]).json() == {"min_normal_between": 2}
    response = client.put(f"{ADMIN}/fairness", json={"min_normal_between": 4}, headers=auth["admin"])
    assert response.json() == {"min_normal_between": 4}
    with Session(engine) as session:
        branch = session.get(Branch, BRANCH)
        assert branch is not None
        assert branch.min_normal_between == 4
    entry = audit_entries(engine)[0]
    assert (entry.target, entry.before, entry.after) == (
        "fairness",
        {"min_normal_between": 2},
        {"min_normal_between": 4},
    )
    assert client.put(f"{ADMIN}/fairness", json={"min_normal_between": 99}, headers=auth["admin"]).status_code == 422


def test_opening_hours(client: TestClient, auth: Headers, engine: Engine) -> None:
    hours = {"open": "08:30", "close": "17:15", "last_ticket": "09:45"}
    assert client.put(f"{ADMIN}/hours", json=hours, headers=auth["admin"]).json() == hours
    assert client.get(f"{ADMIN}/hours", headers=auth["admin"]).json() == hours
    # 10:00 now: past the new last-ticket time.
    refused = client.post(f"{API}/branches/{BRANCH}/tickets", json={"service": "certificate"}, headers=auth["shokuin"])
    assert refused.json()["code"] == "issuing_closed"
    before = snapshot(engine)
    wrong = {"open": "09:00", "close": "08:00", "last_ticket": "08:30"}
    _refused(client.put(f"{ADMIN}/hours", json=wrong, headers=auth["admin"]), "closing time 08:00 is not after opening")
    assert snapshot(engine) == before


def test_stop_and_resume_issuing(client: TestClient, auth: Headers, engine: Engine, kiosk: dict[str, str]) -> None:
    assert client.get(f"{ADMIN}/issuing", headers=auth["admin"]).json() == {"stopped": False}
    assert client.put(f"{ADMIN}/issuing", json={"stopped": True}, headers=auth["admin"]).json() == {"stopped": True}
    with Session(engine) as session:
        branch = session.get(Branch, BRANCH)
        assert branch is not None
        assert branch.issuing_stopped
    refused = client.post(f"{API}/branches/{BRANCH}/tickets", json={"service": "certificate"}, headers=kiosk)
    assert refused.status_code == 409
    assert refused.json()["code"] == "issuing_stopped"
    assert client.get(f"{API}/branches/{BRANCH}/menu").json()["issuing_open"] is False
    # Saying it twice changes nothing and is not audited twice.
    client.put(f"{ADMIN}/issuing", json={"stopped": True}, headers=auth["admin"])
    client.put(f"{ADMIN}/issuing", json={"stopped": False}, headers=auth["admin"])
    issue(client, kiosk, service="certificate")
    entries = audit_entries(engine)
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("issuing.resume", {"stopped": True}, {"stopped": False}),
        ("issuing.stop", {"stopped": False}, {"stopped": True}),
    ]


# --- devices ----------------------------------------------------------------------------------


def _device(client: TestClient, headers: dict[str, str], device_id: int) -> dict[str, Any]:
    devices = client.get(f"{ADMIN}/devices", headers=headers).json()
    found: dict[str, Any] = next(device for device in devices if device["id"] == device_id)
    return found


def test_devices_token_once_health_and_revoke(
    client: TestClient, auth: Headers, engine: Engine, clock: FixedClock
) -> None:
    response = client.post(f"{ADMIN}/devices", json={"name": "1F kiosk", "kind": "kiosk"}, headers=auth["admin"])
    assert response.status_code == 201, response.text
    created = response.json()
    token, device_id = created["token"], created["device"]["id"]
    kiosk = {"Authorization": f"Bearer {token}"}
    assert created["device"]["level"] == "unknown"
    assert "token" not in _device(client, auth["admin"], device_id)
    issue(client, kiosk, service="certificate")

    for printer, level in (("ok", "ok"), ("paper_near_end", "warning"), ("paper_out", "fault")):
        reported = client.post(f"{API}/devices/health", json={"printer": printer}, headers=kiosk)
        assert reported.status_code == 200, reported.text
        shown = _device(client, auth["admin"], device_id)
        assert (shown["level"], shown["online"], shown["health"]["printer"]) == (level, True, printer)
    client.post(f"{API}/devices/health", json={"printer": "ok"}, headers=kiosk)
    clock.advance(minutes=5)  # no report since: the kiosk is offline, which is a fault
    shown = _device(client, auth["admin"], device_id)
    assert (shown["level"], shown["online"]) == ("fault", False)

    revoked = client.post(f"{ADMIN}/devices/{device_id}/revoke", headers=auth["admin"])
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    with Session(engine) as session:
        device = session.get(Device, device_id)
        assert device is not None
        assert device.revoked_at is not None
    refused = client.post(f"{API}/branches/{BRANCH}/tickets", json={"service": "certificate"}, headers=kiosk)
    assert refused.status_code == 401
    actions = [(e.action, e.target) for e in audit_entries(engine)]
    assert actions == [("device.revoke", f"device:{device_id}"), ("device.create", f"device:{device_id}")]
    assert token not in str([(e.before, e.after) for e in audit_entries(engine)])


# --- staff accounts ---------------------------------------------------------------------------


def test_staff_accounts(client: TestClient, auth: Headers, engine: Engine) -> None:
    listed = client.get(f"{ADMIN}/staff", headers=auth["admin"]).json()
    assert {account["username"] for account in listed} >= {"admin", "shokuin", "itaku"}
    fields = {"id", "username", "role", "branch", "active", "created_at", "sign_in"}
    assert all(set(account) == fields for account in listed)

    weak = client.post(
        f"{ADMIN}/staff", json={"username": "tanaka", "role": "municipal", "password": "short"}, headers=auth["admin"]
    )
    assert weak.json()["code"] == "weak_password"
    created = client.post(
        f"{ADMIN}/staff", json={"username": "tanaka", "role": "municipal", "password": PASSWORD}, headers=auth["admin"]
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert (account["branch"], account["active"]) == (BRANCH, True)
    tanaka = login(client, "tanaka")
    assert client.get(f"{API}/auth/me", headers=tanaka).status_code == 200

    new_password = "another-horse-99"
    reset = client.post(
        f"{ADMIN}/staff/{account['id']}/password", json={"password": new_password}, headers=auth["admin"]
    )
    assert reset.status_code == 200
    assert client.get(f"{API}/auth/me", headers=tanaka).status_code == 401  # old sign-ins end
    again = client.post(f"{API}/auth/login", json={"username": "tanaka", "password": new_password})
    assert again.status_code == 200
    tanaka = {"Authorization": f"Bearer {again.json()['access_token']}"}

    disabled = client.post(f"{ADMIN}/staff/{account['id']}/disable", headers=auth["admin"])
    assert disabled.json()["active"] is False
    assert client.get(f"{API}/auth/me", headers=tanaka).status_code == 401
    assert client.post(f"{API}/auth/login", json={"username": "tanaka", "password": new_password}).status_code == 401
    assert client.post(f"{ADMIN}/staff/{account['id']}/enable", headers=auth["admin"]).json()["active"] is True

    entries = audit_entries(engine)
    assert [e.action for e in entries] == ["staff.enable", "staff.disable", "staff.reset_password", "staff.create"]
    assert all(e.target == "staff:tanaka" for e in entries)
    with Session(engine) as session:
        password_hash = session.exec(select(Staff).where(Staff.username == "tanaka")).one().password_hash
    assert password_hash.split("$")[-1] not in str([(e.before, e.after) for e in entries])
    assert new_password not in str([(e.before, e.after) for e in entries])


def test_an_admin_cannot_disable_themselves(client: TestClient, auth: Headers, staff_users: dict[str, Any]) -> None:
    response = client.post(f"{ADMIN}/staff/{staff_users['admin'].id}/disable", headers=auth["admin"])
    assert response.status_code == 409
    assert response.json()["code"] == "cannot_disable_self"


# --- audit log --------------------------------------------------------------------------------


def test_audit_log_newest_first_and_filtered(client: TestClient, auth: Headers) -> None:
    client.patch(f"{ADMIN}/services/certificate", json={"minutes": 4}, headers=auth["admin"])
    client.patch(f"{ADMIN}/services/pickup", json={"minutes": 3}, headers=auth["admin"])
    client.put(f"{ADMIN}/fairness", json={"min_normal_between": 3}, headers=auth["admin"])
    entries = client.get(f"{ADMIN}/audit", headers=auth["admin"]).json()
    assert [e["target"] for e in entries] == ["fairness", "service:pickup", "service:certificate"]
    assert entries[0]["username"] == "admin"
    exact = client.get(f"{ADMIN}/audit", params={"target": "service:pickup"}, headers=auth["admin"]).json()
    assert [e["target"] for e in exact] == ["service:pickup"]
    kind = client.get(f"{ADMIN}/audit", params={"target": "service"}, headers=auth["admin"]).json()
    assert [e["target"] for e in kind] == ["service:pickup", "service:certificate"]
    page = client.get(
        f"{ADMIN}/audit", params={"limit": 1, "before_id": entries[0]["id"]}, headers=auth["admin"]
    ).json()
    assert [e["target"] for e in page] == ["service:pickup"]


# --- whole configuration as YAML --------------------------------------------------------------


def _export(client: TestClient, headers: dict[str, str]) -> str:
    response = client.get(f"{ADMIN}/config", params={"format": "yaml"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/yaml")
    assert "attachment" in response.headers["content-disposition"]
    return response.text


def _import(client: TestClient, headers: dict[str, str], text: str) -> Any:
    return client.put(f"{ADMIN}/config", content=text.encode(), headers={**headers, "Content-Type": "application/yaml"})


def test_yaml_export_import_round_trip(client: TestClient, auth: Headers, engine: Engine) -> None:
    text = _export(client, auth["admin"])
    assert "name_ja: サンプル市役所 本庁舎" in text  # readable Japanese, not \u escapes
    before = snapshot(engine)
    response = _import(client, auth["admin"], text)
    assert response.status_code == 200, response.text
    after = snapshot(engine)
    assert after["config"] == before["config"]
    assert _export(client, auth["admin"]).split("\n", 2)[2] == text.split("\n", 2)[2]  # past the header
    entry = audit_entries(engine)[0]
    assert (entry.action, entry.before, entry.after) == ("config.import", {}, {})


def test_yaml_import_applies_a_change_and_audits_only_what_changed(
    client: TestClient, auth: Headers, engine: Engine
) -> None:
    text = _export(client, auth["admin"]).replace("min_normal_between: 2", "min_normal_between: 5")
    response = _import(client, auth["admin"], text)
    assert response.status_code == 200, response.text
    with Session(engine) as session:
        branch = session.get(Branch, BRANCH)
        assert branch is not None
        assert branch.min_normal_between == 5
    entry = audit_entries(engine)[0]
    assert entry.before == {"fairness": {"min_normal_between": 2}}
    assert entry.after == {"fairness": {"min_normal_between": 5}}


def test_a_broken_yaml_import_names_the_line_and_changes_nothing(
    client: TestClient, auth: Headers, engine: Engine
) -> None:
    text = _export(client, auth["admin"])
    lines = text.splitlines()
    line = next(n for n, content in enumerate(lines, 1) if content.strip() == "- prefix: B")
    lines[line - 1] = lines[line - 1].replace("prefix: B", "prefix: A")
    before = snapshot(engine)
    _refused(_import(client, auth["admin"], "\n".join(lines)), f"line {line}: queue 'A' › prefix: duplicate prefix 'A'")
    _refused(_import(client, auth["admin"], "branch: [unclosed\n"), "line ", "not valid YAML")
    _refused(_import(client, auth["admin"], text.replace("id: honcho", "id: shisho")), "branch 'shisho'")
    assert snapshot(engine) == before


def test_config_as_json(client: TestClient, auth: Headers) -> None:
    config = client.get(f"{ADMIN}/config", headers=auth["admin"]).json()
    assert config["branch"]["id"] == BRANCH
    assert {"services", "counters", "life_events", "hours", "fairness"} <= set(config)
