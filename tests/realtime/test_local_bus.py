"""The embedded bus fans a commit out at once when it follows the last event sent, and reads the
log back on any gap: every event reaches a client once, in id order, whatever the hook order."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from server.realtime.bus import LocalBus, Message, Subscription
from server.realtime.events import PENDING_EVENTS_KEY, EventType, record_event

BRANCH = "honcho"
NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
Pending = list[tuple[int | None, Message]]


def commit_events(engine: Engine, count: int) -> Pending:
    """Commit `count` events; return what the after-commit hook would hand to the bus."""
    with Session(engine) as session:
        for _ in range(count):
            record_event(session, type=EventType.counter_opened, branch_id=BRANCH, now=NOW)
        pending: Pending = session.info.pop(PENDING_EVENTS_KEY)
        session.commit()
    return pending


async def received(subscription: Subscription, count: int) -> list[int]:
    for _ in range(200):
        if subscription.queue.qsize() >= count:
            break
        await asyncio.sleep(0.01)
    ids = []
    while not subscription.queue.empty():
        event_id = subscription.queue.get_nowait().event_id
        assert event_id is not None
        ids.append(event_id)
    return ids


async def scenario(engine: Engine) -> tuple[list[int], list[int], list[int], list[int]]:
    bus = LocalBus(engine, poll_seconds=60)  # no timed polling here: only a gap makes it read
    await bus.start()
    try:
        subscription = bus.subscribe(BRANCH)
        first = await asyncio.to_thread(commit_events, engine, 1)
        second = await asyncio.to_thread(commit_events, engine, 2)
        bus.publish_committed(second)  # the later commit's hook runs first: a gap
        bus.publish_committed(first)
        out_of_order = await received(subscription, 3)

        in_order = await asyncio.to_thread(commit_events, engine, 1)
        bus.publish_committed(in_order)
        for _ in range(3):
            await asyncio.sleep(0)  # the hook's callback runs; no log read was asked for
        direct = await received(subscription, 0)

        await asyncio.to_thread(commit_events, engine, 1)  # another writer: nobody tells the bus
        after_other = await asyncio.to_thread(commit_events, engine, 1)
        bus.publish_committed(after_other)
        with_gap = await received(subscription, 2)

        bus.publish_committed(first)  # a late repeat changes nothing
        await asyncio.sleep(0.2)
        repeats = await received(subscription, 1)
    finally:
        await bus.stop()
    return out_of_order, direct, with_gap, repeats


def test_commits_reach_clients_once_in_id_order(engine: Engine) -> None:
    out_of_order, direct, with_gap, repeats = asyncio.run(scenario(engine))

    assert len(out_of_order) == 3
    assert out_of_order == sorted(out_of_order)
    assert direct == [out_of_order[-1] + 1]
    assert with_gap == [direct[0] + 1, direct[0] + 2]
    assert repeats == []
