"""A newcomer's place as issuing answers it is the place the database counts for that ticket.

The issue path places a walk-in from the process's tally of what waits
(server/tickets/waiting_tally.py) instead of counting the queues again. The answer must be the
status page's count, which the database makes, through a busy morning of calls, completions that
route tickets on, no-shows, transfers and priority tickets, on SQLite and on PostgreSQL.
"""

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from server.config import Settings
from server.main import create_app
from server.models import Role
from tests.server.api import API, act, counter_ids, issue
from tests.support import BRANCH, FixedClock, make_staff, staff_token

# The database counting what waits ahead (estimates.py or waiting_tally.py): a count over stops.
COUNT_OF_WAITING = re.compile(r"count\(\*\).*\bFROM stop\b.*status = 'waiting'", re.IGNORECASE | re.DOTALL)


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def placed_as_counted(client: TestClient, ticket: dict[str, Any]) -> None:
    """The issue's answer agrees with the status page, which the database counts."""
    counted = client.get(f"{API}/tickets/{ticket['status_token']}").json()
    assert (ticket["position"], ticket["estimated_wait_minutes"]) == (
        counted["position"],
        counted["estimated_wait_minutes"],
    ), ticket["number"]


def counted_issue(
    client: TestClient, engine: Engine, headers: dict[str, str], **body: Any
) -> tuple[dict[str, Any], int]:
    """A ticket issued, and how many times its issue counted what waits in the database."""
    with statements(engine) as seen:
        ticket = issue(client, headers, **body)
    return ticket, sum(bool(COUNT_OF_WAITING.search(statement)) for statement in seen)


def issue_counting(client: TestClient, engine: Engine, kiosk: dict[str, str]) -> tuple[int, int]:
    """A certificate ticket's place, checked against the status page, and how many times its
    issue counted what waits in the database."""
    ticket, counts = counted_issue(client, engine, kiosk, service="certificate")
    placed_as_counted(client, ticket)
    return ticket["position"], counts


BODIES: list[dict[str, Any]] = [
    {"service": "certificate"},
    {"service": "certificate"},
    {"service": "tax_general"},
    {"service": "certificate", "priority": "pregnant"},  # staff arrange priority
    {"service": "nhi_enroll"},
    {"life_event": "move_in", "answers": {}},
]


def test_a_busy_morning_places_every_newcomer_where_the_database_counts_it(
    client: TestClient, engine: Engine, clock: FixedClock, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    counters = counter_ids(client)
    desks = ["7", "22", "10", "1"]
    members = [make_staff(engine, f"desk-{desk}", Role.municipal, clock()) for desk in desks]
    staff = [{"Authorization": f"Bearer {staff_token(engine, member, clock())}"} for member in members]
    for desk, headers in zip(desks, staff, strict=True):
        act(client, headers, counters[desk], "open")
    positions = []
    for step in range(60):
        body = BODIES[step % len(BODIES)]
        ticket = issue(client, auth["shokuin"] if "priority" in body else kiosk, **body)
        placed_as_counted(client, ticket)
        positions.append(ticket["position"])
        # Every fourth in the same instant as the one before: ties are counted ahead.
        if step % 4 != 1:
            clock.advance(seconds=25)
        if step % 3 == 2:
            turn = step // 3
            desk = turn % len(desks)
            counter, headers = counters[desks[desk]], staff[desk]
            called = client.post(f"{API}/counters/{counter}/call-next", headers=headers)
            if called.status_code != 200:
                continue
            clock.advance(seconds=40)
            if turn % 5 == 4:
                act(client, headers, counter, "no-show")
            elif turn % 7 == 6:
                act(client, headers, counter, "transfer", service="tax_general")
            else:
                act(client, headers, counter, "complete")  # a life event's ticket moves on
    assert max(positions) >= 5  # the queues were not trivial


def test_issues_in_a_row_are_placed_without_counting_the_queues_again(
    client: TestClient, engine: Engine, clock: FixedClock, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    for _ in range(3):
        placed_as_counted(client, issue(client, kiosk, service="certificate"))
        clock.advance(seconds=10)
    # The tally read at the previous issue still holds (no event since).
    assert issue_counting(client, engine, kiosk) == (3, 0)

    # A call changes who waits: the next issue counts once, and the one after needs no count.
    headers = auth["shokuin"]
    counter = counter_ids(client)["7"]
    act(client, headers, counter, "open")
    act(client, headers, counter, "call-next")
    assert issue_counting(client, engine, kiosk) == (3, 1)
    clock.advance(seconds=10)
    assert issue_counting(client, engine, kiosk) == (4, 0)


def test_newcomers_stamped_before_the_latest_arrivals_are_placed_by_their_time(
    client: TestClient, engine: Engine, clock: FixedClock, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    # A request takes its time when it arrives and may then queue for the write lock behind
    # later ones: here the clock is set back instead. Ties and later ones stay behind it.
    for _ in range(4):
        issue(client, kiosk, service="certificate")  # at 0, 30, 60 and 90 s
        clock.advance(seconds=30)
    clock.advance(seconds=-100)
    # At 20 s: only the one of 0 s is before it, from the latest arrivals in the tally.
    assert issue_counting(client, engine, kiosk) == (1, 0)

    # After a call the queues are counted again, the latest arrival alone known to begin with:
    # a newcomer from before it is placed by the database (a second count), and counted in for
    # those after.
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    act(client, auth["shokuin"], counter, "call-next")  # the one of 0 s
    clock.advance(seconds=-10)
    assert issue_counting(client, engine, kiosk) == (0, 2)  # at 10 s
    clock.advance(seconds=200)
    assert issue_counting(client, engine, kiosk) == (5, 0)


def test_after_issues_side_by_side_the_next_newcomer_is_placed_as_counted(
    client: TestClient, engine: Engine, clock: FixedClock, kiosk: dict[str, str]
) -> None:
    # On PostgreSQL requests write at once. Issues of two queues (two number rows) side by side:
    # a tally moved on by one issue but missing another that committed just before it would
    # stay wrong until the next count. An issue holds the branch's event lock from its number to
    # its commit, so each is placed from a log that no other issue passes meanwhile.
    services = ["certificate", "tax_general"]

    def issue_some(thread: int) -> list[int]:
        return [issue(client, kiosk, service=services[(thread + n) % 2])["position"] for n in range(4)]

    for _ in range(3):
        with ThreadPoolExecutor(max_workers=6) as pool:
            answered = [position for positions in pool.map(issue_some, range(6)) for position in positions]
        assert len(answered) == 24
        clock.advance(seconds=30)
        for service in services:
            placed_as_counted(client, issue(client, kiosk, service=service))


def test_two_processes_issuing_in_turn_place_every_newcomer_as_counted(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    clock: FixedClock,
    auth: dict[str, dict[str, str]],
    kiosk: dict[str, str],
) -> None:
    # Each process keeps its own tally: the other's tickets and calls reach it as newer events.
    # The places are compared (the tally's part); an estimate also rests on what a process knows
    # of the counters, which reaches the other by the bus a moment later.
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    counts = 0
    with TestClient(create_app(settings, engine=engine, clock=clock)) as other:
        for step in range(12):
            for at in (client, other) if step % 3 else (other, other, client):
                ticket, counted = counted_issue(at, engine, kiosk, service="certificate")
                counts += counted
                assert ticket["position"] == at.get(f"{API}/tickets/{ticket['status_token']}").json()["position"]
            if step % 4 == 3:
                if step > 3:
                    act(other, auth["shokuin"], counter, "complete")
                act(other, auth["shokuin"], counter, "call-next")
            clock.advance(seconds=20)
    # The other's issues are read from the log; the queues are counted once per process at the
    # start and after each call (3 calls), not at each of the 28 issues.
    assert counts <= 2 + 2 * 3


def test_a_return_a_new_route_and_a_reinstated_citizen_are_counted_for_the_next_newcomer(
    client: TestClient, engine: Engine, clock: FixedClock, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    # Each changes who waits at the front (moving_in, counters 1–5) by an event other than an
    # issue: the next move-in newcomer counts the queues once and is placed as the database
    # counts; the one after is placed from the tally.
    ids = counter_ids(client)
    front, review, staff, contractor = ids["1"], ids["R1"], auth["shokuin"], auth["itaku"]

    def move_in() -> tuple[dict[str, Any], int]:
        ticket, counts = counted_issue(client, engine, kiosk, life_event="move_in", answers={})
        placed_as_counted(client, ticket)
        clock.advance(seconds=15)
        return ticket, counts

    first, _ = move_in()
    for _ in range(3):
        move_in()
    act(client, contractor, front, "open")
    act(client, contractor, front, "call-next")
    act(client, contractor, front, "complete")  # the first moves on to review
    act(client, staff, review, "open")
    assert act(client, staff, review, "call-next")["ticket"]["number"] == first["number"]
    move_in()

    # 差戻し: the first goes back to the front queue, by its original arrival.
    act(client, staff, review, "transfer", service="moving_in", reason="missing_document")
    assert move_in()[1] == 1
    assert move_in()[1] == 0

    # A route changed at the floor: a waiting move-in goes to the certificate counter instead.
    later, _ = move_in()
    body = {"stops": [{"service": "certificate"}], "reason": "転入届は後日"}
    changed = client.put(f"{API}/branches/{BRANCH}/tickets/{later['number']}/route", json=body, headers=staff)
    assert changed.status_code == 200, changed.text
    assert move_in()[1] == 1

    # A citizen marked absent at the front comes back with their arrival time.
    called = act(client, contractor, front, "call-next")["ticket"]["number"]
    act(client, contractor, front, "no-show")
    assert move_in()[1] == 1
    reinstated = client.post(f"{API}/branches/{BRANCH}/tickets/{called}/reinstate", headers=staff)
    assert reinstated.status_code == 200, reinstated.text
    assert move_in()[1] == 1
    assert move_in()[1] == 0
