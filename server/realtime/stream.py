"""One WebSocket client's life: opening messages, live events (pings among them), a lifetime cap.

A board that is keeping up is written to directly by the hub (server/realtime/wire.py): one
encoded frame to every idle socket, no coroutine woken per client. Otherwise a client reads from
its own bounded queue. When it falls behind, the hub marks it dropped and we close it with 1013
(try again later); it comes back with `after=<last id>` and catches up from the log. Nothing a
client does can make the hub, or another client, wait.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from fastapi import WebSocket

from server.realtime.bus import PING, RESYNC, Delivery, Message, Subscription
from server.realtime.events import WAITING_CHANGES
from server.realtime.wire import DirectSocket

logger = logging.getLogger("madoguchi.realtime")

# A close frame's reason must fit in 123 bytes.
MAX_REASON_BYTES = 123
# A stuck client may never read our close frame; we do not wait for it longer than this.
CLOSE_TIMEOUT_SECONDS = 2.0


class CloseCode(IntEnum):
    try_again_later = 1013  # fell behind: reconnect with after=<last id>
    reconnect = 4000  # lifetime reached or resync: reconnect at once
    unauthorized = 4401
    forbidden = 4403
    not_found = 4404


@dataclass(frozen=True)
class StreamLimits:
    lifetime_seconds: float


def close_reason(text: str) -> str:
    encoded = text.encode()[:MAX_REASON_BYTES]
    return encoded.decode(errors="ignore")


async def close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    # The client may already be gone, or never read again: closing is best effort either way.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(code=code, reason=close_reason(reason)), CLOSE_TIMEOUT_SECONDS)


class ClientStream:
    """Sends the opening messages, then whatever the subscription receives, until one side stops."""

    # Every delivery goes out unchanged (bar duplicates), so the hub may write it directly.
    writes_directly = True

    def __init__(self, websocket: WebSocket, subscription: Subscription, limits: StreamLimits) -> None:
        self.websocket = websocket
        self.subscription = subscription
        self.limits = limits
        self.last_event_id = 0
        self._resync_sent = False
        self._direct = DirectSocket.of(websocket) if self.writes_directly else None
        # True while the writer coroutine holds a delivery: a direct write then would overtake it.
        self._sending = False

    async def run(self, opening: list[Message]) -> None:
        sender = asyncio.create_task(self._send_everything(opening))
        listener = asyncio.create_task(self._until_client_leaves())
        dropped = asyncio.create_task(self.subscription.dropped.wait())
        tasks = {sender, listener, dropped}
        try:
            done, _ = await asyncio.wait(
                tasks, timeout=self.limits.lifetime_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self.subscription.write_now = None
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if dropped in done:
            await close_quietly(
                self.websocket,
                CloseCode.try_again_later,
                f"too slow; reconnect with after={self.last_event_id}",
            )
        elif self._resync_sent:
            await close_quietly(self.websocket, CloseCode.reconnect, "resync: reconnect without after")
        elif not done:
            await close_quietly(
                self.websocket,
                CloseCode.reconnect,
                f"connection lifetime reached; reconnect with after={self.last_event_id}",
            )
        elif sender in done and not sender.cancelled() and sender.exception() is not None:
            logger.debug("client stream ended: %r", sender.exception())

    async def messages_for(self, delivery: Delivery) -> list[str]:
        """Encoded messages to send for one delivery; by default every log event once, in order."""
        event_id = delivery.event_id
        if event_id is not None:
            if event_id <= self.last_event_id:
                return []  # already in the snapshot or the backlog
            self.last_event_id = event_id
        return [delivery.text]

    def _write_now(self, delivery: Delivery) -> bool:
        """The hub's direct path (nothing queued): True when the delivery needs nothing more."""
        if self._sending or self._direct is None:
            return False
        if delivery.message.get("type") == RESYNC["type"]:
            self.subscription.write_now = None  # the writer sends it and ends the stream
            return False
        event_id = delivery.event_id
        if event_id is not None and event_id <= self.last_event_id:
            return True  # already in the snapshot or the backlog
        if not self._direct.try_write(delivery.frame):
            return False
        if event_id is not None:
            self.last_event_id = event_id
        return True

    def seconds_until_due(self) -> float | None:
        """How long the queue may stay quiet before on_quiet() must run; None: forever.

        (Heartbeats come through the queue from the hub, so a plain stream needs no timer: a
        timer per message per client is a measurable share of a 500-board fan-out.)
        """
        return None

    async def on_quiet(self) -> None:
        """Work due after a quiet spell (see seconds_until_due)."""

    async def send_message(self, message: Message) -> None:
        await self.send_text(Delivery(message).text)

    async def send_text(self, text: str) -> None:
        await self.websocket.send_text(text)

    async def _send_everything(self, opening: list[Message]) -> None:
        for message in opening:
            await self.send_message(message)
        if self._direct is not None:
            self.subscription.write_now = self._write_now
        queue = self.subscription.queue
        while not self._resync_sent:
            self._sending = False
            try:
                # A backlog drains without a timer per message; only an empty queue needs one.
                delivery = queue.get_nowait()
            except asyncio.QueueEmpty:
                due = self.seconds_until_due()
                if due is None:
                    delivery = await queue.get()
                else:
                    try:
                        delivery = await asyncio.wait_for(queue.get(), timeout=max(due, 0.01))
                    except TimeoutError:
                        await self.on_quiet()
                        continue
            self._sending = True
            if delivery.message.get("type") == RESYNC["type"]:
                # Anything after a resync could follow a gap: the client starts over instead.
                await self.send_text(delivery.text)
                self._resync_sent = True
                return
            for text in await self.messages_for(delivery):
                await self.send_text(text)

    async def _until_client_leaves(self) -> None:
        # Clients have nothing to say; reading is how we notice that they have gone.
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


# A status page's "people ahead" is refreshed at most this often on other tickets' events.
TICKET_REFRESH_MIN_SECONDS = 2.0

TicketView = tuple[dict[str, Any], str | None]


class TicketStream(ClientStream):
    """One ticket's own events, each followed by its fresh view; others' calls refresh "ahead"."""

    writes_directly = False  # it picks and adds messages per delivery, so it reads its queue

    def __init__(
        self,
        websocket: WebSocket,
        subscription: Subscription,
        limits: StreamLimits,
        *,
        ticket_id: int,
        queue: str | None,
        refresh: Callable[[], Awaitable[TicketView]],
    ) -> None:
        super().__init__(websocket, subscription, limits)
        self.ticket_id = ticket_id
        self.queue = queue
        self._refresh = refresh
        self._refreshed_at = time.monotonic()
        self._refresh_pending = False

    async def messages_for(self, delivery: Delivery) -> list[str]:
        event_id = delivery.event_id
        if event_id is None:
            # Pings pass; board summaries (waiting counts) mean nothing to a status page.
            return [delivery.text] if delivery.message.get("type") == PING["type"] else []
        if delivery.ticket_id == self.ticket_id:
            own = await super().messages_for(delivery)
            return [*own, await self._fresh_view()] if own else []
        if self._moves_my_queue(delivery.message):
            self._refresh_pending = True
            if time.monotonic() - self._refreshed_at >= TICKET_REFRESH_MIN_SECONDS:
                return [await self._fresh_view()]
        return []

    def seconds_until_due(self) -> float | None:
        if not self._refresh_pending:
            return None
        return TICKET_REFRESH_MIN_SECONDS - (time.monotonic() - self._refreshed_at)

    async def on_quiet(self) -> None:
        if self._refresh_pending and time.monotonic() - self._refreshed_at >= TICKET_REFRESH_MIN_SECONDS:
            await self.send_text(await self._fresh_view())

    def _moves_my_queue(self, message: Message) -> bool:
        ticket = message.get("ticket") or {}
        touches_queue = ticket.get("queue") == self.queue or message.get("type", "").startswith("counter.")
        return self.queue is not None and message.get("type") in WAITING_CHANGES and touches_queue

    async def _fresh_view(self) -> str:
        view, self.queue = await self._refresh()
        self._refreshed_at = time.monotonic()
        self._refresh_pending = False
        return Delivery({"type": "ticket", "ticket": view}).text
