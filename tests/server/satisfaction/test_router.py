"""The post-visit survey: only once the visit is done, once per ticket, no sign-in, nothing personal stored."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.models import SatisfactionResponse, Ticket
from tests.server.api import API, act, counter_ids, issue
from tests.support import FixedClock


def survey(token: str) -> str:
    return f"{API}/tickets/{token}/satisfaction"


@pytest.fixture
def finished(client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str], clock: FixedClock) -> Any:
    ticket = issue(client, kiosk, service="certificate")
    counter = counter_ids(client)["7"]
    act(client, auth["itaku"], counter, "open")
    act(client, auth["itaku"], counter, "call-next")
    clock.advance(minutes=4)
    act(client, auth["itaku"], counter, "complete")
    return ticket


def test_a_finished_visit_is_asked_once(client: TestClient, finished: dict[str, Any], session: Session) -> None:
    token = finished["status_token"]
    question = client.get(survey(token)).json()
    assert question["ask"] is True
    assert question["answered"] is False
    assert [reason["code"] for reason in question["reasons"]] == [
        "long_wait",
        "unclear_explanation",
        "moved_many_times",
        "staff_manner",
        "other",
    ]
    assert question["reasons"][0]["label"] == "待ち時間が長い"

    response = client.post(survey(token), json={"score": 4, "reason": "long_wait"})
    assert response.status_code == 201, response.text
    assert response.json() == {"score": 4, "reason": "long_wait"}
    stored = session.exec(select(SatisfactionResponse)).one()
    ticket = session.exec(select(Ticket).where(Ticket.status_token == token)).one()
    assert (stored.ticket_id, stored.score, stored.reason, stored.business_on) == (
        ticket.id,
        4,
        "long_wait",
        ticket.business_on,
    )

    again = client.post(survey(token), json={"score": 1, "reason": None})
    assert again.status_code == 409
    assert again.json()["code"] == "already_answered"
    assert client.get(survey(token)).json() == {**question, "ask": False, "answered": True}
    assert len(session.exec(select(SatisfactionResponse)).all()) == 1


def test_the_reason_is_optional(client: TestClient, finished: dict[str, Any]) -> None:
    response = client.post(survey(finished["status_token"]), json={"score": 5})
    assert response.status_code == 201
    assert response.json() == {"score": 5, "reason": None}


def test_not_before_the_visit_is_done(client: TestClient, kiosk: dict[str, str], session: Session) -> None:
    ticket = issue(client, kiosk, service="certificate")
    assert client.get(survey(ticket["status_token"])).json()["ask"] is False
    response = client.post(survey(ticket["status_token"]), json={"score": 3})
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_not_done"
    assert session.exec(select(SatisfactionResponse)).all() == []


def test_a_no_show_is_not_asked(client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str]) -> None:
    ticket = issue(client, kiosk, service="certificate")
    counter = counter_ids(client)["7"]
    act(client, auth["itaku"], counter, "open")
    act(client, auth["itaku"], counter, "call-next")
    act(client, auth["itaku"], counter, "no-show")
    response = client.post(survey(ticket["status_token"]), json={"score": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_not_done"


@pytest.mark.parametrize(
    "body",
    [
        {"score": 0},
        {"score": 6},
        {"score": "5"},
        {"score": 4.5},
        {"score": 3, "reason": "rude"},
        {},
        {"score": 3, "name": "x"},
    ],
)
def test_invalid_answers_are_422(client: TestClient, finished: dict[str, Any], body: dict[str, Any]) -> None:
    response = client.post(survey(finished["status_token"]), json=body)
    assert response.status_code == 422
    assert client.get(survey(finished["status_token"])).json()["ask"] is True


def test_an_unknown_token_is_404(client: TestClient) -> None:
    assert client.get(survey("nope")).status_code == 404
    response = client.post(survey("nope"), json={"score": 3})
    assert response.status_code == 404
    assert response.json()["code"] == "ticket_not_found"
