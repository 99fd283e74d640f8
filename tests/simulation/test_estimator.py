"""The wait estimate follows how counters really call: shared windows, what is in hand, how many are open."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.models import Service, Stop
from server.tickets.estimates import positions_and_waits
from tests.server.api import API, act, counter_ids, issue
from tests.support import BRANCH, FixedClock


def test_a_certificate_waits_for_the_pickups_its_windows_call_first(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str], engine: Engine, clock: FixedClock
) -> None:
    counter = counter_ids(client)["7"]  # serves pickup and certificate; the only one open
    act(client, auth["shokuin"], counter, "open")
    for _ in range(3):
        issue(client, auth["itaku"], service="pickup")  # 2 minutes each
    ticket = issue(client, kiosk, service="certificate")
    # The first certificate, but behind three pickups at the same window: told so, not "next".
    assert ticket["position"] == 3
    assert ticket["estimated_wait_minutes"] == 6

    def status() -> dict[str, Any]:
        response = client.get(f"{API}/tickets/{ticket['status_token']}")
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    shown = status()
    assert (shown["position"], shown["estimated_wait_minutes"]) == (3, 6)
    act(client, auth["shokuin"], counter, "call-next")  # the window takes the first pickup
    assert status()["position"] == 2
    with Session(engine) as session:  # as the public edge and the e-mail notices place it
        stop = session.exec(select(Stop).where(Stop.ticket_id == ticket["id"])).one()
        service = session.get(Service, stop.service_id)
        assert service is not None
        placed = positions_and_waits(session, [(stop, service)], branch_id=BRANCH, now=clock(), sample=20)
    assert placed[stop.id][0] == 2


def test_the_estimate_counts_what_is_left_of_the_ticket_in_hand(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str], clock: FixedClock
) -> None:
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    issue(client, kiosk, service="certificate")
    act(client, auth["shokuin"], counter, "call-next")
    clock.advance(minutes=1)
    ticket = issue(client, kiosk, service="certificate")
    assert ticket["position"] == 0
    assert ticket["estimated_wait_minutes"] == 2  # 3 typical minutes, 1 already spent


def test_open_counters_take_the_queue_in_turn(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    ids = counter_ids(client)
    act(client, auth["shokuin"], ids["7"], "open")
    act(client, auth["shokuin2"], ids["8"], "open")
    tickets = [issue(client, kiosk, service="certificate") for _ in range(4)]
    # Two idle windows, 3 minutes each: the 3rd and 4th wait one round, not 3 × 3 / 2 minutes.
    assert [t["estimated_wait_minutes"] for t in tickets] == [0, 0, 3, 3]


def test_a_contractor_window_does_not_count_for_a_staff_only_procedure(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    ids = counter_ids(client)
    act(client, auth["itaku"], ids["10"], "open")  # a contractor: no 国民年金 decisions
    issue(client, kiosk, service="pension_death")
    with_contractor = issue(client, kiosk, service="pension_death")["estimated_wait_minutes"]
    act(client, auth["shokuin"], ids["11"], "open")
    with_staff = issue(client, kiosk, service="pension_death")["estimated_wait_minutes"]
    assert with_contractor == 10  # nobody open may take it: as if one window opened, 1 ahead × 10 minutes
    assert with_staff == 20  # only counter 11 takes them: 2 ahead × 10 (10 if the contractor counted)
