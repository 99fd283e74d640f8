"""The edge's memory for one city hall: nothing on disk, rebuilt from the city hall's snapshot.

Per status token the holder's view (and the message that carries it, encoded once), per branch the
public congestion, the status pages watching each token, the links up from the city hall, and
the push subscriptions that asked to hear when the turn is near.
"""

import asyncio
import contextlib
import itertools
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import WebSocket

from server.push.webpush import PushSender, PushSubscription

logger = logging.getLogger("madoguchi.edge")

WATCHER_QUEUE_SIZE = 32  # messages a status page may fall behind before it is dropped
MAX_SUBSCRIPTIONS_PER_TICKET = 3
FINISHED = frozenset({"done", "cancelled", "no_show"})


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


@dataclass(eq=False)
class Watcher:
    """One open status page: a bounded inbox; when it overflows the page is dropped, not waited for."""

    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(maxsize=WATCHER_QUEUE_SIZE))
    dropped: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, text: str) -> None:
        if self.dropped.is_set():
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped.set()


@dataclass
class HeldTicket:
    branch: str
    view: dict[str, Any]
    view_text: str  # {"type": "ticket", "ticket": view}, encoded once for every watcher
    seen_event_ids: set[int] = field(default_factory=set)
    subscriptions: list[PushSubscription] = field(default_factory=list)
    notices_sent: set[str] = field(default_factory=set)


def _held(branch: str, view: dict[str, Any]) -> HeldTicket:
    return HeldTicket(branch=branch, view=view, view_text=encode({"type": "ticket", "ticket": view}))


class Tenant:
    """One city hall on this edge: its key, its URL prefix and what it pushed."""

    def __init__(self, name: str, key: str, prefix: str, *, notify_ahead: int = 3) -> None:
        self.name = name
        self.key = key
        self.prefix = prefix  # "" or "/name"
        self.notify_ahead = notify_ahead
        self.tickets: dict[str, HeldTicket] = {}
        self.queues: dict[str, list[dict[str, Any]]] = {}
        self.remote: dict[str, set[str]] = {}
        self.last_event_id: int | None = None
        self.synced = asyncio.Event()  # a snapshot arrived since this process started
        self.watchers: dict[str, set[Watcher]] = {}
        self.links: list[WebSocket] = []
        self._requests: dict[int, tuple[WebSocket, asyncio.Future[dict[str, Any]]]] = {}
        self._request_ids = itertools.count(1)
        self.push: PushSender | None = None
        self._push_tasks: set[asyncio.Task[None]] = set()

    @property
    def paused(self) -> bool:
        return not self.links

    # --- status pages

    def watch(self, token: str) -> Watcher:
        watcher = Watcher()
        self.watchers.setdefault(token, set()).add(watcher)
        return watcher

    def unwatch(self, token: str, watcher: Watcher) -> None:
        watchers = self.watchers.get(token)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self.watchers[token]

    def _tell_all(self, message: dict[str, Any]) -> None:
        text = encode(message)
        for watchers in self.watchers.values():
            for watcher in list(watchers):
                watcher.offer(text)

    # --- the link

    def link_up(self, socket: WebSocket) -> None:
        self.links.append(socket)
        if len(self.links) == 1:
            self._tell_all({"type": "link", "state": "live"})

    def link_down(self, socket: WebSocket) -> None:
        with contextlib.suppress(ValueError):
            self.links.remove(socket)
        for request_id, (link, answer) in list(self._requests.items()):
            if link is socket and not answer.done():
                answer.set_exception(ConnectionError("link lost"))
                self._requests.pop(request_id, None)
        if not self.links:
            self._tell_all({"type": "link", "state": "paused"})

    def take(self, message: dict[str, Any]) -> None:
        """A message from the city hall."""
        kind = message.get("type")
        if kind == "snapshot":
            self._take_snapshot(message)
        elif kind == "update":
            self._take_update(message)
        elif kind == "response":
            pending = self._requests.pop(int(message.get("id") or 0), None)
            if pending is not None and not pending[1].done():
                pending[1].set_result(message)

    def _take_snapshot(self, message: dict[str, Any]) -> None:
        fresh: dict[str, HeldTicket] = {}
        for item in message.get("tickets", []):
            token = item["token"]
            earlier = self.tickets.get(token)
            held = self._renewed(item, earlier)
            if earlier is not None and earlier.view != held.view:
                self._show(token, held, [])
            fresh[token] = held
        self.tickets = fresh
        self.queues = dict(message.get("queues", {}))
        self.remote = {branch: set(services) for branch, services in message.get("remote", {}).items()}
        self.last_event_id = message.get("last_event_id")
        self.synced.set()

    def _take_update(self, message: dict[str, Any]) -> None:
        for item in message.get("tickets", []):
            token = item["token"]
            held = self._renewed(item, self.tickets.get(token))
            events = [event for event in item.get("events", []) if event.get("id") not in held.seen_event_ids]
            held.seen_event_ids.update(int(event["id"]) for event in events)
            self.tickets[token] = held
            self._show(token, held, events)
        self.queues.update(message.get("queues", {}))
        last = message.get("last_event_id")
        if last is not None:
            self.last_event_id = max(self.last_event_id or 0, int(last))

    @staticmethod
    def _renewed(item: dict[str, Any], earlier: HeldTicket | None) -> HeldTicket:
        """A ticket's new view, keeping what the edge itself holds for it (push subscriptions,
        notices already sent, events already shown)."""
        held = _held(item["branch"], item["view"])
        if earlier is not None:
            held.subscriptions = earlier.subscriptions
            held.notices_sent = earlier.notices_sent
            held.seen_event_ids = earlier.seen_event_ids
        return held

    def _show(self, token: str, held: HeldTicket, events: list[dict[str, Any]]) -> None:
        texts = [encode(event) for event in events] + [held.view_text]
        for watcher in list(self.watchers.get(token, ())):
            for text in texts:
                watcher.offer(text)
        call_id = next((event["id"] for event in events if event.get("type") in CALLS), None)
        self._notify(held, call_id)

    # --- "your turn is near"

    def subscribe(self, token: str, subscription: PushSubscription) -> None:
        held = self.tickets[token]
        if subscription not in held.subscriptions:
            held.subscriptions = [*held.subscriptions, subscription][-MAX_SUBSCRIPTIONS_PER_TICKET:]
        self._notify(held, None)  # already near: say so now

    def unsubscribe(self, token: str, endpoint: str) -> None:
        held = self.tickets[token]
        held.subscriptions = [item for item in held.subscriptions if item.endpoint != endpoint]

    def _notify(self, held: HeldTicket, call_id: int | None) -> None:
        if not held.subscriptions or self.push is None:
            return
        view = held.view
        stop = view.get("current_stop")
        counter = None
        if stop is not None and stop < len(view.get("stops", [])):
            current = view["stops"][stop]
            counter = current.get("counter") if current.get("citizen_present", True) else None
        if view.get("status") == "called":
            key = f"called:{stop}:{call_id or 0}"
            notice = {"number": view["number"], "counter": counter}
        elif view.get("status") == "waiting" and view.get("position") is not None:
            if view["position"] > self.notify_ahead:
                return
            key = f"near:{stop}"
            notice = {"number": view["number"], "counter": None}
        else:
            if view.get("status") in FINISHED:
                held.subscriptions = []
            return
        if key in held.notices_sent:
            return
        held.notices_sent.add(key)
        for subscription in held.subscriptions:
            task = asyncio.get_running_loop().create_task(self._push(held, subscription, notice))
            self._push_tasks.add(task)
            task.add_done_callback(self._push_tasks.discard)

    async def _push(self, held: HeldTicket, subscription: PushSubscription, notice: dict[str, str | None]) -> None:
        assert self.push is not None
        try:
            status = await self.push.send(subscription, notice)
        except Exception as error:  # a push service down must not touch the views
            logger.warning("push to %s failed: %s", subscription.endpoint.split("/")[2], error)
            return
        if status in (404, 410):  # the browser unsubscribed
            held.subscriptions = [item for item in held.subscriptions if item != subscription]

    # --- forwarded requests

    async def forward(self, request: dict[str, Any], *, wait_seconds: float) -> dict[str, Any]:
        """Send one public request over a link and wait for the city hall's answer."""
        if not self.links:
            raise ConnectionError("no link")
        request_id = next(self._request_ids)
        link = self.links[request_id % len(self.links)]
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._requests[request_id] = (link, answer)
        try:
            await link.send_text(encode({**request, "type": "request", "id": request_id}))
            return await asyncio.wait_for(answer, timeout=wait_seconds)
        finally:
            self._requests.pop(request_id, None)


CALLS = frozenset({"ticket.called", "ticket.recalled"})
