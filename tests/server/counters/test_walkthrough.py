"""One life-event ticket walks through every counter of its route, as the citizen lives it:
each window group once, one call per visit (not per procedure)."""

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from server.models import Event, Stop, Ticket
from tests.server.api import API, act, counter_ids, first_counter_for, issue
from tests.support import BRANCH, demo_config

LIFE_EVENTS = {event.id: event for event in demo_config().life_events}
MOVE_IN = LIFE_EVENTS["move_in"]


def all_yes(life_event: str) -> dict[str, bool]:
    return dict.fromkeys(LIFE_EVENTS[life_event].questions, True)


def test_move_in_with_every_answer_yes_gets_every_conditional_stop(client: TestClient, kiosk: dict[str, str]) -> None:
    ticket = issue(client, kiosk, life_event="move_in", answers=all_yes("move_in"))
    assert sorted(stop["service"] for stop in ticket["stops"]) == sorted(stop.service for stop in MOVE_IN.stops)
    assert ticket["number"] == "L001"
    assert ticket["status"] == "waiting"
    assert ticket["stops"][0]["status"] == "waiting"
    assert all(stop["status"] == "pending" for stop in ticket["stops"][1:])


def test_move_in_with_every_answer_no_keeps_only_unconditional_stops(client: TestClient, kiosk: dict[str, str]) -> None:
    ticket = issue(client, kiosk, life_event="move_in", answers=dict.fromkeys(MOVE_IN.questions, False))
    assert [stop["service"] for stop in ticket["stops"]] == [
        stop.service for stop in MOVE_IN.stops if not stop.when and not stop.when_any
    ]


def test_a_death_with_nothing_filed_today_has_no_review_to_wait_for(client: TestClient, kiosk: dict[str, str]) -> None:
    # "any of" conditions: review and entry follow only what was filed here today.
    nothing = client.post(
        f"{API}/branches/{BRANCH}/tickets",
        json={"life_event": "death", "answers": dict.fromkeys(LIFE_EVENTS["death"].questions, False)},
        headers=kiosk,
    )
    # Nothing to do here today: the kiosk sends the family to a member of staff.
    assert (nothing.status_code, nothing.json()["code"]) == (422, "empty_route")
    head_only = dict.fromkeys(LIFE_EVENTS["death"].questions, False) | {"was_household_head": True}
    ticket = issue(client, kiosk, life_event="death", answers=head_only)
    assert [stop["service"] for stop in ticket["stops"]] == ["household_change", "civil_review", "civil_entry"]


def test_each_window_group_comes_once_in_the_planned_route(client: TestClient, kiosk: dict[str, str]) -> None:
    for life_event in LIFE_EVENTS:
        ticket = issue(client, kiosk, life_event=life_event, answers=all_yes(life_event))
        windows = [visit["counters"] for visit in ticket["visits"] if visit["kind"] == "counter"]
        assert len(windows) == len(set(windows)), (life_event, windows)
        # Back-office work is one line of progress wherever it falls, never a bare repeated 届出.
        for visit in ticket["visits"]:
            if visit["kind"] == "back_office":
                assert visit["counters"] is None
                assert visit["labels"] == ["書類の準備"]
            assert len(visit["labels"]) == len(set(visit["labels"]))


def walk(client: TestClient, staff: dict[str, str], ticket: dict[str, Any]) -> dict[str, Any]:
    """Staff work the ticket to the end: call where it waits, go on where it continues."""
    ids = counter_ids(client)
    opened: set[int] = set()
    view, at = ticket, None
    while view["status"] != "done":
        stop = view["stops"][view["current_stop"]]
        if stop["status"] == "waiting":
            at = ids[first_counter_for(stop["service"])]
            if at not in opened:
                act(client, staff, at, "open")
                opened.add(at)
            view = act(client, staff, at, "call-next")["ticket"]
            assert view["number"] == ticket["number"]
            if view["stops"][view["current_stop"]]["status"] == "called":
                act(client, staff, at, "start")
        else:
            assert stop["status"] == "serving", "a stop neither waiting nor in hand"
        assert at is not None
        view = act(client, staff, at, "complete")["ticket"]
    return view


def test_walking_a_move_in_ticket_calls_once_per_visit_and_ends_done(
    client: TestClient, kiosk: dict[str, str], auth: dict[str, dict[str, str]], session: Session
) -> None:
    ticket = issue(client, kiosk, life_event="move_in", answers=all_yes("move_in"))
    planned = [visit["counters"] for visit in ticket["visits"] if visit["kind"] == "counter"]
    walk(client, auth["shokuin"], ticket)

    final = client.get(f"{API}/tickets/{ticket['status_token']}").json()
    assert final["status"] == "done"
    assert all(stop["status"] == "done" for stop in final["stops"])
    visits = [visit for visit in final["visits"] if visit["kind"] == "counter"]
    assert all(visit["status"] == "done" for visit in final["visits"])

    row = session.exec(select(Ticket).where(Ticket.number == ticket["number"])).one()
    stops = session.exec(select(Stop).where(Stop.ticket_id == row.id)).all()
    assert {stop.status for stop in stops} == {"done"}
    events: list[Any] = session.exec(select(Event).where(Event.ticket_id == row.id).order_by(Event.id)).all()  # type: ignore[arg-type]
    types = [event.type for event in events]
    assert types[0] == "ticket.issued"
    # One call (one announcement) per visit to a window, however many procedures it holds.
    assert types.count("ticket.called") == len(visits) == len(planned)
    assert len(visits) < len([stop for stop in final["stops"] if stop["citizen_present"]])
    # The back office took its work without a call.
    assert types.count("ticket.taken") == len([stop for stop in final["stops"] if not stop["citizen_present"]])
    assert types.count("ticket.completed") == len(ticket["stops"])
    # The pick-up after the back office says the documents are ready.
    calls = [event.payload for event in events if event.type == "ticket.called"]
    assert calls[-1]["counter"]["name"] in {"7", "8"}
    assert calls[-1].get("call") == "ready_for_pickup"
    assert all(call.get("call") is None for call in calls[:-1])
    assert all(event.payload["ticket"]["number"] == ticket["number"] for event in events)
    assert [event.id for event in events] == sorted(event.id for event in events)
