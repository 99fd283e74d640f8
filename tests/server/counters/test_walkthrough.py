"""One life-event ticket walks through every counter of its route."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.models import Event, Stop, Ticket
from tests.server.api import API, act, counter_ids, first_counter_for, issue
from tests.support import demo_config

MOVE_IN = next(event for event in demo_config().life_events if event.id == "move_in")


def test_move_in_with_every_answer_yes_gets_every_conditional_stop(client: TestClient, kiosk: dict[str, str]) -> None:
    answers = dict.fromkeys(MOVE_IN.questions, True)
    ticket = issue(client, kiosk, life_event="move_in", answers=answers)
    assert [stop["service"] for stop in ticket["stops"]] == [stop.service for stop in MOVE_IN.stops]
    assert ticket["number"] == "L001"
    assert ticket["status"] == "waiting"
    assert ticket["stops"][0]["status"] == "waiting"
    assert all(stop["status"] == "pending" for stop in ticket["stops"][1:])


def test_move_in_with_every_answer_no_keeps_only_unconditional_stops(client: TestClient, kiosk: dict[str, str]) -> None:
    ticket = issue(client, kiosk, life_event="move_in", answers=dict.fromkeys(MOVE_IN.questions, False))
    assert [stop["service"] for stop in ticket["stops"]] == [stop.service for stop in MOVE_IN.stops if not stop.when]


def test_walking_a_move_in_ticket_counter_by_counter_ends_done(
    client: TestClient, kiosk: dict[str, str], auth: dict[str, dict[str, str]], session: Session
) -> None:
    ticket = issue(client, kiosk, life_event="move_in", answers=dict.fromkeys(MOVE_IN.questions, True))
    ids = counter_ids(client)
    staff = auth["shokuin"]
    seen_counters = []
    for index, stop in enumerate(ticket["stops"]):
        counter = ids[first_counter_for(stop["service"])]
        act(client, staff, counter, "open")
        called = act(client, staff, counter, "call-next")["ticket"]
        assert called["number"] == ticket["number"]
        assert called["current_stop"] == index
        assert called["stops"][index]["status"] == "called"
        act(client, staff, counter, "start")
        done = act(client, staff, counter, "complete")["ticket"]
        assert done["stops"][index]["status"] == "done"
        act(client, staff, counter, "close")
        seen_counters.append(counter)

    final = client.get(f"{API}/tickets/{ticket['status_token']}").json()
    assert final["status"] == "done"
    assert final["number"] == ticket["number"]
    assert all(stop["status"] == "done" for stop in final["stops"])

    row = session.exec(select(Ticket).where(Ticket.number == ticket["number"])).one()
    stops = session.exec(select(Stop).where(Stop.ticket_id == row.id)).all()
    assert {stop.status for stop in stops} == {"done"}
    events: list[Any] = session.exec(select(Event).where(Event.ticket_id == row.id).order_by(Event.id)).all()  # type: ignore[arg-type]
    types = [event.type for event in events]
    assert types[0] == "ticket.issued"
    assert types.count("ticket.called") == len(ticket["stops"])
    assert types.count("ticket.completed") == len(ticket["stops"])
    assert types.count("ticket.routed") == len(ticket["stops"]) - 1
    assert all(event.payload["ticket"]["number"] == ticket["number"] for event in events)
    assert [event.id for event in events] == sorted(event.id for event in events)
