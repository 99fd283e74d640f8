"""Many processes issuing and calling at once: numbers are never duplicated, no ticket is called twice."""

import multiprocessing
from collections import Counter as Tally

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.counters import service as counters
from server.models import Counter, Event, Role, Staff, Ticket
from tests.server.workers import drain_counter, issue_many
from tests.support import FixedClock, make_staff

PROCESSES = 8
PER_PROCESS = 50
THREADS = 10  # per process; keeps 8 × pools well under PostgreSQL's default 100 connections
CALLING_COUNTERS = ["1", "2", "3", "4", "5", "7", "8", "22"]


@pytest.mark.slow
def test_eight_processes_issue_400_distinct_numbers_then_eight_counters_call_each_once(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    staff = [make_staff(engine, f"staff{index}", Role.municipal, clock()) for index in range(PROCESSES)]
    services = ["certificate", "moving_in"] * (PER_PROCESS // 2)
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        batches = pool.starmap(issue_many, [(database_url, s.username, services, clock(), THREADS) for s in staff])

    numbers = [number for batch in batches for number in batch]
    assert len(numbers) == PROCESSES * PER_PROCESS
    assert len(set(numbers)) == len(numbers), [n for n, c in Tally(numbers).items() if c > 1]
    per_prefix = Tally(number[0] for number in numbers)
    for prefix, count in per_prefix.items():
        sequences = sorted(int(number[1:]) for number in numbers if number[0] == prefix)
        assert sequences == list(range(1, count + 1)), f"gap or reuse in prefix {prefix}"

    with Session(engine, expire_on_commit=False) as session:
        counter_ids = {c.code: c.id for c in session.exec(select(Counter).where(Counter.code.in_(CALLING_COUNTERS)))}  # type: ignore[attr-defined]
        for member, code in zip(staff, CALLING_COUNTERS, strict=True):
            counters.open_counter(session, counter_id=counter_ids[code], staff=member, now=clock())
    with context.Pool(PROCESSES) as pool:
        called = pool.starmap(
            drain_counter,
            [
                (database_url, member.username, counter_ids[code], clock())
                for member, code in zip(staff, CALLING_COUNTERS, strict=True)
            ],
        )

    all_called = [ticket_id for batch in called for ticket_id in batch]
    assert len(all_called) == len(set(all_called)), "a ticket was called by two counters"
    assert len(all_called) == PROCESSES * PER_PROCESS
    assert sum(1 for batch in called if batch) >= 4, "the work should have been shared between counters"
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Ticket).where(Ticket.status != "done")).one() == 0
        calls = Tally(session.exec(select(Event.ticket_id).where(Event.type == "ticket.called")).all())
        assert set(calls.values()) == {1}
        ids = session.exec(select(Event.id).order_by(Event.id)).all()
        assert len(ids) == len(set(ids))
        assert session.exec(select(func.count()).select_from(Staff)).one() == PROCESSES
