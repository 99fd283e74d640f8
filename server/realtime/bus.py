"""Fan-out of committed events to this process's WebSocket clients."""

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]


@dataclass(eq=False)
class Subscription:
    """One client's bounded inbox; a client that falls behind is dropped, not waited for."""

    branch_id: str
    ticket_id: int | None = None
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(maxsize=256))
    dropped: bool = False


class LocalBus:
    """In-process bus for the embedded default; publish() is safe from worker threads."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, branch_id: str, ticket_id: int | None = None) -> Subscription:
        subscription = Subscription(branch_id=branch_id, ticket_id=ticket_id)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def publish_committed(self, events: Iterable[tuple[int | None, Message]]) -> None:
        """Called after a commit, possibly from a worker thread."""
        batch = list(events)
        if not batch or self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(self._deliver, batch)
        except RuntimeError:  # loop closed during shutdown
            pass

    def _deliver(self, batch: list[tuple[int | None, Message]]) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions)
        for ticket_id, message in batch:
            for subscription in subscriptions:
                if subscription.dropped or subscription.branch_id != message.get("branch"):
                    continue
                if subscription.ticket_id is not None and subscription.ticket_id != ticket_id:
                    continue
                try:
                    subscription.queue.put_nowait(message)
                except asyncio.QueueFull:
                    subscription.dropped = True

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)
