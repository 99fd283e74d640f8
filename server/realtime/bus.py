"""Fan-out of committed events to this process's WebSocket clients.

One source of truth per deployment, so an event reaches each client exactly once:
- LocalBus (SQLite, embedded default) fans out what this process commits when it follows the
  last event sent, and otherwise reads the event log back (another writer, hooks run out of
  order). SQLite has a single writer, so log order is commit order, and a rolled-back
  transaction leaves nothing to read.
- PgNotifyBus (PostgreSQL, scale-out) listens on the channel that record_event() NOTIFYs inside
  the transaction; PostgreSQL delivers it on commit, to every process, in commit order.
Either way clients receive only what committed, and each client reads from its own bounded
queue: a client that falls behind is marked dropped, never waited for.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from server.models import Event
from server.realtime.events import NOTIFY_CHANNEL, event_message, last_event_id, message_of
from server.realtime.wire import text_frame

logger = logging.getLogger("madoguchi.realtime")

Message = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Delivery:
    """One message for a branch's clients, encoded once however many clients receive it.

    ticket_id routes events to status pages; it never leaves the server.
    """

    message: Message
    ticket_id: int | None = None

    @cached_property
    def text(self) -> str:
        """The message as JSON, made when the first client needs it (none may, on a quiet branch)."""
        return json.dumps(self.message, ensure_ascii=False, separators=(",", ":"))

    @cached_property
    def frame(self) -> bytes:
        """The WebSocket frame of `text`, built once for every socket written to directly."""
        return text_frame(self.text)

    @property
    def event_id(self) -> int | None:
        """Log events have ids; summaries and control messages (resync, waiting) do not."""
        event_id = self.message.get("id")
        return int(event_id) if event_id is not None else None


# In-process consumers of every delivery (announcement prefetch, queue summaries).
FanOutListener = Callable[[Sequence[Delivery]], None]

RESYNC: Message = {"type": "resync"}
PING: Message = {"type": "ping"}
LISTENER_APPLICATION_NAME = "madoguchi-listener"


@dataclass(eq=False)
class Subscription:
    """One client's bounded inbox for one branch's events.

    `write_now`, when the client's stream sets it, takes a delivery straight to the socket and
    says whether it did; the hub offers it only while nothing is queued, so order is kept.
    """

    branch_id: str
    queue: asyncio.Queue[Delivery]
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    write_now: Callable[[Delivery], bool] | None = None


class EventHub:
    """Keeps the subscriptions and fans deliveries out; all methods but publish run on the loop."""

    def __init__(self, *, queue_size: int = 256, heartbeat_seconds: float = 20.0) -> None:
        self._queue_size = queue_size
        self._heartbeat_seconds = heartbeat_seconds
        self._by_branch: dict[str, set[Subscription]] = {}
        self._listeners: list[FanOutListener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._heartbeat = asyncio.create_task(self._beat(), name="madoguchi-heartbeat")

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None

    async def _beat(self) -> None:
        # One timer for every client: idle sockets get traffic, so proxies keep them open and a
        # dead client is found by the failing send.
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            for branch_id in list(self._by_branch):
                self.broadcast(branch_id, PING)

    def publish_committed(self, events: Sequence[tuple[int | None, Message]]) -> None:
        """Called right after a session commits `events`, (ticket id, message) pairs, from a
        worker thread.

        A no-op here and in PgNotifyBus, where the NOTIFY sent inside the transaction is the one
        delivery (doing both would deliver twice); LocalBus fans them out or reads the log.
        """

    def subscribe(self, branch_id: str) -> Subscription:
        subscription = Subscription(branch_id=branch_id, queue=asyncio.Queue(maxsize=self._queue_size))
        self._by_branch.setdefault(branch_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._by_branch.get(subscription.branch_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._by_branch[subscription.branch_id]

    def has_subscribers(self, branch_id: str) -> bool:
        return bool(self._by_branch.get(branch_id))

    @property
    def subscriber_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._by_branch.values())

    def fan_out(self, deliveries: Sequence[Delivery]) -> None:
        """Queue each delivery for its branch's clients without ever waiting on one."""
        for delivery in deliveries:
            branch_id = delivery.message.get("branch")
            for subscription in list(self._by_branch.get(str(branch_id), ())):
                self._offer(subscription, delivery)
        for listener in self._listeners:
            listener(deliveries)

    def broadcast(self, branch_id: str, message: Message) -> None:
        """A message that is not in the log (no id): queue summaries, resync."""
        delivery = Delivery(message)  # encoded once, not once per client
        for subscription in list(self._by_branch.get(branch_id, ())):
            self._offer(subscription, delivery)

    def resync_everyone(self) -> None:
        for branch_id in list(self._by_branch):
            self.broadcast(branch_id, RESYNC)

    def add_fan_out_listener(self, listener: FanOutListener) -> None:
        self._listeners.append(listener)

    @staticmethod
    def _offer(subscription: Subscription, delivery: Delivery) -> None:
        if subscription.dropped.is_set():
            return
        write_now = subscription.write_now
        if write_now is not None and subscription.queue.empty() and write_now(delivery):
            return
        try:
            subscription.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            subscription.dropped.set()


def read_log_after(engine: Engine, after: int, *, limit: int = 500) -> list[Delivery]:
    with Session(engine) as session:
        rows = session.exec(select(Event).where(col(Event.id) > after).order_by(col(Event.id)).limit(limit)).all()
        return [Delivery(event_message(row), row.ticket_id) for row in rows]


def newest_event_id(engine: Engine) -> int:
    with Session(engine) as session:
        return last_event_id(session)


class LocalBus(EventHub):
    """Embedded default: tails the event log, woken by each commit in this process."""

    def __init__(
        self, engine: Engine, *, poll_seconds: float = 2.0, queue_size: int = 256, heartbeat_seconds: float = 20.0
    ) -> None:
        super().__init__(queue_size=queue_size, heartbeat_seconds=heartbeat_seconds)
        self._engine = engine
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._cursor = 0
        self._task: asyncio.Task[None] | None = None
        # Its own thread: a storm of snapshot reads in the shared pool must not delay the news.
        self._reader: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        await super().start()
        self._wake = asyncio.Event()
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="madoguchi-event-tail")
        self._cursor = await self._read(newest_event_id, self._engine)
        self._task = asyncio.create_task(self._tail(), name="madoguchi-event-tail")

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._reader is not None:
            self._reader.shutdown(wait=False)
            self._reader = None

    async def _read(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._reader, function, *args)

    def publish_committed(self, events: Sequence[tuple[int | None, Message]]) -> None:
        if not events or self._loop is None:
            return
        # Encoded here, in the committing thread, not on the loop.
        deliveries = [Delivery(message, ticket_id) for ticket_id, message in events]
        with contextlib.suppress(RuntimeError):  # loop closed during shutdown
            self._loop.call_soon_threadsafe(self._take_committed, deliveries)

    def _take_committed(self, deliveries: list[Delivery]) -> None:
        """Fan a commit's events out at once when they follow the last one sent, in id order.

        Two commits' after-commit hooks can run in either order, and other processes may write
        to the same file: on any gap the log, read back in id order, decides instead.
        """
        ids = [delivery.event_id for delivery in deliveries]
        if ids == list(range(self._cursor + 1, self._cursor + 1 + len(ids))):
            self._cursor += len(ids)
            self.fan_out(deliveries)
        elif ids[-1] is None or ids[-1] > self._cursor:
            self._wake.set()

    async def _tail(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
            # Cleared before reading: a commit landing during the read wakes us again.
            self._wake.clear()
            try:
                await self._read_new()
            except Exception:
                logger.exception("reading the event log failed; clients will resync")
                self.resync_everyone()
                await asyncio.sleep(self._poll_seconds)

    async def _read_new(self) -> None:
        while True:
            batch = await self._read(read_log_after, self._engine, self._cursor)
            if not batch:
                return
            # A commit may have been fanned out directly while we read: send only what is newer.
            fresh = [delivery for delivery in batch if int(delivery.message["id"]) > self._cursor]
            self._cursor = max(self._cursor, int(batch[-1].message["id"]))
            if fresh:
                self.fan_out(fresh)


def listener_dsn(engine: Engine) -> str:
    """psycopg wants a plain libpq URL, without SQLAlchemy's '+psycopg' driver suffix."""
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PgNotifyBus(EventHub):
    """Scale-out: one LISTEN connection per process; a lost connection means resync for all."""

    def __init__(
        self,
        engine: Engine,
        *,
        queue_size: int = 256,
        heartbeat_seconds: float = 20.0,
        reconnect_max_seconds: float = 10.0,
    ) -> None:
        super().__init__(queue_size=queue_size, heartbeat_seconds=heartbeat_seconds)
        self._dsn = listener_dsn(engine)
        self._reconnect_max_seconds = reconnect_max_seconds
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.connections_made = 0

    async def start(self) -> None:
        await super().start()
        self._listening = asyncio.Event()
        self._task = asyncio.create_task(self._listen_forever(), name="madoguchi-pg-listener")
        # Serve only once listening, so no client can subscribe into a silent gap at startup;
        # if the database is down we still start (healthz says so) and keep retrying.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    async def _listen_forever(self) -> None:
        # Imported here: a SQLite server never loads the PostgreSQL driver (9 MB resident).
        import psycopg

        backoff = 0.25
        while True:
            try:
                await self._listen_once()
            except (psycopg.Error, OSError) as error:
                logger.warning("event listener lost its connection (%s); reconnecting in %.1fs", error, backoff)
            self._listening.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._reconnect_max_seconds)

    async def _listen_once(self) -> None:
        import psycopg

        # Keepalives notice a silently dead network path, not only a closed socket.
        connection = await psycopg.AsyncConnection.connect(
            self._dsn,
            autocommit=True,
            application_name=LISTENER_APPLICATION_NAME,
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
        )
        async with connection:
            await connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            self.connections_made += 1
            self._listening.set()
            if self.connections_made > 1:
                # Whatever committed while we were deaf is lost to this process: every client
                # here fetches a fresh snapshot, taken now that we are listening again.
                logger.info("event listener reconnected; telling clients to resync")
                self.resync_everyone()
            async for notification in connection.notifies():
                self._on_notification(notification.payload)

    def _on_notification(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            # record_event's notification; a process of the release before sends the message whole.
            message = data["message"] if "message" in data else message_of(data["id"], data["payload"])
            delivery = Delivery(message, data.get("ticket_id"))
        except (ValueError, KeyError, TypeError):
            logger.warning("ignoring a malformed event notification: %.200s", payload)
            return
        self.fan_out([delivery])


def create_bus(
    engine: Engine,
    *,
    queue_size: int,
    heartbeat_seconds: float,
    poll_seconds: float,
    reconnect_max_seconds: float,
) -> EventHub:
    if engine.dialect.name == "postgresql":
        return PgNotifyBus(
            engine,
            queue_size=queue_size,
            heartbeat_seconds=heartbeat_seconds,
            reconnect_max_seconds=reconnect_max_seconds,
        )
    return LocalBus(engine, poll_seconds=poll_seconds, queue_size=queue_size, heartbeat_seconds=heartbeat_seconds)
