"""Idempotency-Key on issuing: a kiosk that lost the answer asks again and gets the same ticket."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.db import write_session
from server.models import DeviceKind, Event, Staff, Ticket
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_once
from tests.server.api import API
from tests.support import BRANCH, FixedClock, make_device

ISSUE = f"{API}/branches/{BRANCH}/tickets"
KEY = "3f2b9c1e-5d7a-4e8b-9a0c-1d2e3f4a5b6c"


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_the_same_key_twice_gives_the_same_ticket_once(
    client: TestClient, engine: Engine, kiosk: dict[str, str]
) -> None:
    headers = {**kiosk, "Idempotency-Key": KEY}
    first = client.post(ISSUE, json={"service": "certificate"}, headers=headers)
    again = client.post(ISSUE, json={"service": "certificate"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert "idempotent-replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["status_token"] == first.json()["status_token"]
    assert _count(engine, Ticket) == 1
    assert _count(engine, Event, Event.type == "ticket.issued") == 1

    other = client.post(ISSUE, json={"service": "certificate"}, headers={**kiosk, "Idempotency-Key": KEY + "-2"})
    assert other.json()["number"] != first.json()["number"]  # a new key is a new citizen
    plain = client.post(ISSUE, json={"service": "certificate"}, headers=kiosk)
    assert plain.status_code == 201  # the header stays optional
    assert _count(engine, Ticket) == 3


def test_another_devices_key_is_refused_not_handed_over(
    client: TestClient, engine: Engine, kiosk: dict[str, str], clock: FixedClock
) -> None:
    token, _ = make_device(engine, DeviceKind.kiosk, clock(), name="kiosk-2")
    assert client.post(ISSUE, json={"service": "certificate"}, headers={**kiosk, "Idempotency-Key": KEY}).is_success
    taken = client.post(
        ISSUE,
        json={"service": "certificate"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": KEY},
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "request_key_taken"
    assert "status_token" not in taken.text
    assert _count(engine, Ticket) == 1


def test_a_malformed_key_is_a_clear_422(client: TestClient, engine: Engine, kiosk: dict[str, str]) -> None:
    for bad in ("short", "x" * 65, "has space in it", "semicolon;injected"):
        response = client.post(ISSUE, json={"service": "certificate"}, headers={**kiosk, "Idempotency-Key": bad})
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert _count(engine, Ticket) == 0


def test_racing_retries_with_one_key_make_one_ticket(
    engine: Engine, staff_users: dict[str, Staff], clock: FixedClock
) -> None:
    """Eight requests at once (a retry storm): on PostgreSQL they meet at the unique index."""
    staff = staff_users["itaku"]

    def attempt(_: int) -> tuple[int, bool]:
        with write_session(engine) as session:
            issued = issue_once(
                session,
                branch_id=BRANCH,
                request=TicketCreate(service="certificate"),
                issuer=staff,
                now=clock(),
                request_key=KEY,
            )
            assert issued.ticket.id is not None
            return issued.ticket.id, issued.replayed

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert len({ticket_id for ticket_id, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False] + [True] * 7
    assert _count(engine, Ticket) == 1
    with Session(engine) as session:
        assert session.exec(select(Ticket.number)).one().endswith("001")  # no number used up
