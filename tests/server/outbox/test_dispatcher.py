"""The outbox's claims: several claimers at once never take the same row (PostgreSQL: FOR UPDATE
SKIP LOCKED; SQLite: its write lock), a row waits behind an earlier one of its ordering key, a
claim runs out after its lease, and the backoff grows to its cap."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from server.models import OutboxDelivery
from server.outbox.dispatcher import Retry, claim_due, record_failure, record_success
from server.outbox.retention import prune_outbox
from server.outbox.store import KIND_WEBHOOK, enqueue
from tests.support import FixedClock


def queue(engine: Engine, clock: FixedClock, keys: list[str | None]) -> list[int]:
    with Session(engine) as session:
        ids = [
            enqueue(session, kind=KIND_WEBHOOK, payload={"n": n}, now=clock(), ordering_key=key).id or 0
            for n, key in enumerate(keys)
        ]
        session.commit()
    return ids


def test_concurrent_claimers_never_take_the_same_row(engine: Engine, clock: FixedClock) -> None:
    ids = queue(engine, clock, [None] * 60)

    def claim(_: int) -> list[int]:
        taken: list[int] = []
        while rows := claim_due(engine, now=clock(), kinds=[KIND_WEBHOOK], limit=4, lease_seconds=60):
            taken.extend(row.id or 0 for row in rows)
        return taken

    with ThreadPoolExecutor(max_workers=6) as pool:
        claimed = [row for rows in pool.map(claim, range(6)) for row in rows]
    assert sorted(claimed) == sorted(ids)  # every row once, none twice


def test_a_row_waits_behind_the_earlier_one_of_its_key_and_a_lease_runs_out(engine: Engine, clock: FixedClock) -> None:
    first, second, other = queue(engine, clock, ["ticket:1", "ticket:1", "ticket:2"])
    rows = claim_due(engine, now=clock(), kinds=[KIND_WEBHOOK], limit=10, lease_seconds=30)
    assert [row.id for row in rows] == [first, other]
    assert claim_due(engine, now=clock(), kinds=[KIND_WEBHOOK], limit=10, lease_seconds=30) == []
    # The claimer died: after the lease the first row is taken again (an attempt more), still alone.
    clock.advance(seconds=31)
    (again, other_again) = claim_due(engine, now=clock(), kinds=[KIND_WEBHOOK], limit=10, lease_seconds=30)
    assert (again.id, again.attempts, other_again.id) == (first, 2, other)
    record_success(engine, again, now=clock())
    (then,) = claim_due(engine, now=clock(), kinds=[KIND_WEBHOOK], limit=10, lease_seconds=30)
    assert then.id == second


def test_failures_back_off_to_the_cap_then_die(engine: Engine, clock: FixedClock) -> None:
    retry = Retry(max_attempts=4, base_seconds=10, max_seconds=25)
    for attempts, nominal in ((1, 10), (2, 20), (3, 25), (8, 25), (5000, 25)):
        assert 0.9 * nominal <= retry.delay(attempts).total_seconds() <= 1.1 * nominal
    (row_id,) = queue(engine, clock, [None])
    waits = []
    for _ in range(4):
        (row,) = claim_due(engine, now=clock(), kinds=[KIND_WEBHOOK], limit=1, lease_seconds=60)
        dead = record_failure(engine, row, error="HTTP 503", permanent=False, now=clock(), retry=retry)
        with Session(engine) as session:
            stored = session.get(OutboxDelivery, row_id)
            assert stored is not None
        if dead:
            break
        waits.append((stored.next_attempt_at - clock()).total_seconds())
        clock.advance(seconds=30)
    assert dead
    assert stored.status == "dead"
    assert stored.attempts == 4
    assert 9 <= waits[0] <= 11
    assert 18 <= waits[1] <= 22.5
    assert 22 <= waits[2] <= 27.5
    assert claim_due(engine, now=clock() + timedelta(days=1), kinds=[KIND_WEBHOOK], limit=1, lease_seconds=60) == []


def test_retention_deletes_old_finished_rows_and_keeps_those_still_to_send(engine: Engine, clock: FixedClock) -> None:
    sent, waiting = queue(engine, clock, [None, None])
    (row,) = claim_due(engine, now=clock(), kinds=[KIND_WEBHOOK], limit=1, lease_seconds=60)
    record_success(engine, row, now=clock())
    assert prune_outbox(engine, days=90, now=clock() + timedelta(days=89)) == 0
    assert prune_outbox(engine, days=90, now=clock() + timedelta(days=91)) == 1
    assert prune_outbox(engine, days=0, now=clock() + timedelta(days=900)) is None
    with Session(engine) as session:
        assert session.get(OutboxDelivery, sent) is None
        assert session.get(OutboxDelivery, waiting) is not None
