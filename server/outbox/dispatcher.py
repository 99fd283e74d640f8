"""Delivering the outbox after the commit: claim due rows, send them, record the outcome.

Each server process runs one dispatcher task in its lifespan. A round claims a batch of due rows
(a lease: `lease_until` in the future, and on PostgreSQL `FOR UPDATE SKIP LOCKED`, so two processes
never take the same row at once), commits, and only then talks to the network — never inside a
request's transaction, never holding a database lock. A process that dies mid-send leaves its lease
to run out; the row is then taken again (at least once: the stable delivery id lets a receiver
drop the repeat). A failure is retried after base·2ⁿ⁻¹ seconds (capped, with a little jitter);
after `max_attempts` the row is a dead letter. Rows sharing an `ordering_key` (one ticket's
webhooks to one receiver) go strictly one after another: a row waits while an earlier one of its
key is still pending.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, and_, exists, or_, update
from sqlmodel import col, select

from server.db import is_sqlite, read_session, write_session
from server.models import OutboxDelivery, OutboxStatus
from server.outbox.store import KIND_MAIL

logger = logging.getLogger("madoguchi.outbox")

MAX_ERROR_LENGTH = 500


class DeliveryFailed(Exception):
    """A sender's failure; `permanent` skips the retries (a mail server refusing the address)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# A sender gets the claimed row (detached: read it, do not change it) and returns on success.
Sender = Callable[[OutboxDelivery], Awaitable[None]]


@dataclass(frozen=True)
class Retry:
    max_attempts: int = 15
    base_seconds: float = 10.0
    max_seconds: float = 1800.0

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failure: base, 2·base, 4·base … up to max, ±10 %."""
        seconds = min(self.base_seconds * 2 ** min(max(attempts - 1, 0), 40), self.max_seconds)
        return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


OUTBOX: Table = OutboxDelivery.__table__  # type: ignore[attr-defined]
# Made once: building an alias's columns costs more than the query it is used in.
_EARLIER = OUTBOX.alias("earlier")
# Rounds start at most this often (a wake in between waits for the next round): a round per
# committed event would cost a busy hall more CPU than issuing the tickets.
ROUND_GAP_SECONDS = 0.2


def _due(now: datetime, kinds: Sequence[str]) -> Any:
    earlier = _EARLIER
    blocked = exists().where(
        earlier.c.ordering_key == OUTBOX.c.ordering_key,
        earlier.c.status == OutboxStatus.pending,
        earlier.c.id < OUTBOX.c.id,
    )
    return and_(
        col(OutboxDelivery.status) == OutboxStatus.pending,
        col(OutboxDelivery.kind).in_(kinds),
        col(OutboxDelivery.next_attempt_at) <= now,
        or_(col(OutboxDelivery.lease_until).is_(None), col(OutboxDelivery.lease_until) < now),
        or_(col(OutboxDelivery.ordering_key).is_(None), ~blocked),
    )


def claim_due(
    engine: Engine, *, now: datetime, kinds: Sequence[str], limit: int, lease_seconds: float
) -> list[OutboxDelivery]:
    """Take up to `limit` due rows for this process (one short write transaction); each claim is an attempt."""
    if not kinds:
        return []
    with read_session(engine) as session:
        # Most rounds find nothing: a plain read keeps them off SQLite's write lock.
        if session.exec(select(OutboxDelivery.id).where(_due(now, kinds)).limit(1)).first() is None:
            return []
    with write_session(engine) as session:
        rows = list(
            session.exec(
                select(OutboxDelivery)
                .where(_due(now, kinds))
                .order_by(col(OutboxDelivery.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
        )
        lease = now + timedelta(seconds=lease_seconds)
        for row in rows:
            row.lease_until = lease
            row.attempts += 1
            session.add(row)
        session.commit()
        return rows


def record_success(engine: Engine, row: OutboxDelivery, *, now: datetime, keep_payload: bool = True) -> None:
    """Delivered: the recipient's address goes at once (personal data), and with keep_payload=False the content too."""
    values: dict[str, Any] = {"status": OutboxStatus.delivered, "delivered_at": now, "lease_until": None}
    values.update(recipient=None, last_error=None)
    if not keep_payload:
        values["payload"] = {}
    with write_session(engine) as session:
        session.exec(
            update(OutboxDelivery)
            .where(col(OutboxDelivery.id) == row.id, col(OutboxDelivery.status) == OutboxStatus.pending)
            .values(**values)
        )
        session.commit()


def record_failure(
    engine: Engine, row: OutboxDelivery, *, error: str, permanent: bool, now: datetime, retry: Retry
) -> bool:
    """Schedules the next attempt, or makes the row a dead letter; True when it is dead."""
    dead = permanent or row.attempts >= retry.max_attempts
    values: dict[str, Any] = {"lease_until": None, "last_error": error[:MAX_ERROR_LENGTH]}
    if dead:
        values["status"] = OutboxStatus.dead
    else:
        values["next_attempt_at"] = now + retry.delay(row.attempts)
    with write_session(engine) as session:
        session.exec(
            update(OutboxDelivery)
            .where(col(OutboxDelivery.id) == row.id, col(OutboxDelivery.status) == OutboxStatus.pending)
            .values(**values)
        )
        session.commit()
    return dead


def release_leases(engine: Engine) -> int:
    with write_session(engine) as session:
        result = session.exec(
            update(OutboxDelivery)
            .where(col(OutboxDelivery.status) == OutboxStatus.pending, col(OutboxDelivery.lease_until).is_not(None))
            .values(lease_until=None)
        )
        session.commit()
        return int(result.rowcount or 0)


class OutboxDispatcher:
    """The background task of one server process (see the module's docstring)."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        senders: Mapping[str, Sender],
        retry: Retry,
        poll_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        batch_size: int = 50,
        concurrency: int = 8,
        before_round: Callable[[], object] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.senders = dict(senders)
        self.retry = retry
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.concurrency = concurrency
        # Runs in a worker thread at the start of every round (the webhook relay).
        self.before_round = before_round
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def start(self) -> None:
        if is_sqlite(self.engine):
            # One process owns a SQLite database: leases left by a killed predecessor are void.
            await asyncio.to_thread(release_leases, self.engine)
        self._stopping = False
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self, grace_seconds: float = 2.0) -> None:
        """Let the round in progress finish (its database work is in a thread that a cancel
        would not stop), then end; a send still hanging after the grace time is cut off and
        its row is taken again after its lease."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace_seconds)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    def wake(self) -> None:
        """Start a round now (safe from any thread): something was just committed to the outbox."""
        loop, event = self._loop, self._wake
        if loop is None or event is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(event.set)

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while not self._stopping:
            started = loop.time()
            self._wake.clear()  # what is committed from now on wakes the next round
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database away or locked: the rows wait where they are; try again shortly.
                logger.warning("outbox round failed; retrying", exc_info=True)
                busy = 0
            if busy or self._stopping:
                continue  # a full batch: more may be due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            # At a busy hall events come by the dozen each second: one round takes them all.
            gap = ROUND_GAP_SECONDS - (loop.time() - started)
            if gap > 0 and not self._stopping:
                await asyncio.sleep(gap)

    async def run_once(self) -> int:
        """One round: the relay, then every due row (up to a batch). Returns how many were claimed
        when the batch was full (call again), else 0."""
        if self.before_round is not None:
            await asyncio.to_thread(self.before_round)
        rows = await asyncio.to_thread(
            claim_due,
            self.engine,
            now=self.clock(),
            kinds=list(self.senders),
            limit=self.batch_size,
            lease_seconds=self.lease_seconds,
        )
        if not rows:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        await asyncio.gather(*(self._deliver(row, gate) for row in rows))
        return len(rows) if len(rows) >= self.batch_size else 0

    async def _deliver(self, row: OutboxDelivery, gate: asyncio.Semaphore) -> None:
        sender = self.senders[row.kind]
        async with gate:
            try:
                await sender(row)
            except Exception as error:
                permanent = isinstance(error, DeliveryFailed) and error.permanent
                message = str(error) or type(error).__name__
                dead = await asyncio.to_thread(
                    record_failure,
                    self.engine,
                    row,
                    error=message,
                    permanent=permanent,
                    now=self.clock(),
                    retry=self.retry,
                )
                # Never the recipient or the payload: the kind, the row and why.
                logger.warning(
                    "outbox %s %s attempt %d failed%s: %s",
                    row.kind,
                    row.delivery_id,
                    row.attempts,
                    " (dead letter)" if dead else "",
                    message,
                )
                return
            await asyncio.to_thread(
                record_success, self.engine, row, now=self.clock(), keep_payload=row.kind != KIND_MAIL
            )
