"""The city hall's outbound link to the public edge (it never accepts a connection from outside).

Started in the server's lifespan when MADOGUCHI_EDGE_URL and MADOGUCHI_EDGE_KEY are set. It
follows committed events as a fan-out listener of the bus, which only marks what changed (O(1),
on the loop, never waiting), and a task of its own reads the changed views in a thread of its
own and sends them. So issuing and calling never wait for the edge: a slow, dead or absent edge
costs them nothing, and what piles up meanwhile is bounded (past MAX_PENDING_TICKETS the link
sends one full snapshot instead). After a reconnect the edge says which event it last saw and
the link resumes from the event log, or sends a snapshot when the edge remembers nothing.

It also answers the edge's forwarded public requests (booking pages, satisfaction, remote
tickets) by calling this app in process, after checking the route is on the public allow-list
itself: a compromised edge reaches no staff, admin or device route.
"""

import asyncio
import base64
import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from server.config import Settings
from server.deps import process_caches
from server.edge import views
from server.edge.protocol import (
    EDGE_CLIENT_HEADER,
    EDGE_KEY_HEADER,
    FORWARDED_REQUEST_HEADERS,
    FORWARDED_RESPONSE_HEADERS,
    LINK_PATH,
    MAX_FORWARDED_BODY_BYTES,
    is_forwarded,
)
from server.edge.remote import remote_services
from server.realtime.bus import Delivery, EventHub, read_log_after
from server.realtime.events import WAITING_CHANGES, EventType, last_event_id
from server.realtime.service import consistent_read

logger = logging.getLogger("madoguchi.edge")

# Past this many changed tickets waiting to be sent, one snapshot is cheaper than the backlog.
MAX_PENDING_TICKETS = 2000
# Events an edge may be behind and still be caught up from the log rather than a snapshot.
REPLAY_LIMIT = 2000
# Others' calls move a waiting holder's "people ahead": refreshed at most this often.
QUEUE_REFRESH_SECONDS = 1.0
# A full snapshot now and then also drops yesterday's tickets from the edge's memory.
FULL_SYNC_SECONDS = 900.0
RECONNECT_MAX_SECONDS = 10.0
FORWARD_CONCURRENCY = 8
MAX_LINK_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass
class Pending:
    """What changed since the last message to the edge."""

    own_events: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    queues: set[tuple[str, str | None]] = field(default_factory=set)  # (branch, queue prefix or every queue)
    branches: set[str] = field(default_factory=set)  # congestion to recompute
    last_event_id: int = 0
    full: bool = False

    def mark(self, delivery: Delivery) -> None:
        message = delivery.message
        event_id = delivery.event_id
        if event_id is None:
            return
        self.last_event_id = max(self.last_event_id, event_id)
        kind = str(message.get("type", ""))
        branch = str(message.get("branch"))
        if kind == EventType.catalog_changed:
            self.full = True  # labels, services or remote settings may have changed
            return
        if delivery.ticket_id is not None:
            self.own_events.setdefault(delivery.ticket_id, []).append(views.edge_event(message))
            if len(self.own_events) > MAX_PENDING_TICKETS:
                self.full = True
                self.own_events.clear()
        if kind in WAITING_CHANGES:
            ticket = message.get("ticket") or {}
            self.queues.add((branch, ticket.get("queue")))
            self.branches.add(branch)
        elif kind.startswith("counter."):
            self.queues.add((branch, None))
            self.branches.add(branch)

    @property
    def empty(self) -> bool:
        return not (self.own_events or self.queues or self.branches or self.full)


def link_urls(settings: Settings) -> list[str]:
    """The edge's link endpoint: at the origin of MADOGUCHI_EDGE_URL, or at each replica's."""
    assert settings.edge_url is not None
    bases = [url.strip() for url in (settings.edge_link_urls or settings.edge_url).split(",") if url.strip()]
    urls = []
    for base in bases:
        parts = urlsplit(base)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        urls.append(urlunsplit((scheme, parts.netloc, LINK_PATH, "", "")))
    return urls


class EdgeLink:
    """One outbound connection to one edge process, kept up for the server's life."""

    def __init__(self, app: FastAPI, url: str) -> None:
        state = app.state
        self.app = app
        self.url = url
        self.settings: Settings = state.settings
        self.engine: Engine = state.engine
        self.clock: Callable[[], datetime] = state.clock
        self.caches = process_caches(state)
        assert self.settings.edge_key is not None
        self.key = self.settings.edge_key
        self.base_url = self.settings.public_base_url or self.settings.edge_url or ""
        self.pending = Pending()
        self.connected = False
        self.connections_made = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Its own thread: reading views never takes a worker from the requests.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="madoguchi-edge-link")
        self._remote = remote_services(self.settings.remote_queueing)

    # --- the bus side: runs on the loop for every committed event, must never wait

    def on_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if not self.connected:
            return  # the edge catches up from the log on reconnect
        for delivery in deliveries:
            self.pending.mark(delivery)
        if not self.pending.empty:
            self._wake.set()

    # --- the connection

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name=f"madoguchi-edge-link {self.url}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._reader.shutdown(wait=False)

    async def _run_forever(self) -> None:
        backoff = 0.5
        while True:
            started = time.monotonic()
            try:
                await self._run_once()
            except (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI) as error:
                logger.warning("edge link to %s lost or refused (%s)", self.url, error)
            except Exception:
                logger.exception("edge link to %s failed", self.url)
            finally:
                self.connected = False
            if time.monotonic() - started > 30:
                backoff = 0.5  # it was up for a while: come straight back
            await asyncio.sleep(backoff / 2 + random.random() * backoff / 2)  # jitter, not secrecy
            backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)

    async def _run_once(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        async with connect(
            self.url, additional_headers=headers, open_timeout=5, max_size=MAX_LINK_MESSAGE_BYTES, ping_interval=10
        ) as socket:
            hello = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
            # From here on every committed event is marked; the catch-up below may repeat some,
            # which the edge takes as the same view again.
            self.pending = Pending()
            self.connected = True
            self.connections_made += 1
            await self._catch_up(hello.get("last_event_id"))
            logger.info("edge link to %s up", self.url)
            lock = asyncio.Lock()
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app), base_url="http://madoguchi-edge-link"
            ) as client:
                receiving = asyncio.create_task(self._receive(socket, lock, client))
                sending = asyncio.create_task(self._send_changes(socket, lock))
                try:
                    await asyncio.wait({receiving, sending}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    receiving.cancel()
                    sending.cancel()
                    outcomes = await asyncio.gather(receiving, sending, return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, Exception):
                        raise outcome

    async def _catch_up(self, edge_last_event_id: int | None) -> None:
        if edge_last_event_id is None:
            self.pending.full = True
        else:
            missed = await self._read(read_log_after, self.engine, int(edge_last_event_id), REPLAY_LIMIT)
            if len(missed) >= REPLAY_LIMIT:
                self.pending.full = True
            for delivery in missed:
                self.pending.mark(delivery)
        self._wake.set()

    async def _send_changes(self, socket: ClientConnection, lock: asyncio.Lock) -> None:
        queues_sent_at = 0.0
        full_sent_at = time.monotonic()
        while True:
            until_full = FULL_SYNC_SECONDS - (time.monotonic() - full_sent_at)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(until_full, 0.01))
            self._wake.clear()
            if time.monotonic() - full_sent_at >= FULL_SYNC_SECONDS:
                self.pending.full = True
            pending, self.pending = self.pending, Pending()
            if pending.full:
                text = await self._read(self._snapshot_text, pending.last_event_id)
                full_sent_at = queues_sent_at = time.monotonic()
            else:
                # A holder's own change goes at once; others' "people ahead" at most once a second.
                wait = QUEUE_REFRESH_SECONDS - (time.monotonic() - queues_sent_at)
                if pending.queues and wait > 0:
                    self.pending.queues |= pending.queues
                    self.pending.branches |= pending.branches
                    pending.queues, pending.branches = set(), set()
                    asyncio.get_running_loop().call_later(wait, self._wake.set)
                    if not pending.own_events:
                        continue
                if pending.queues:
                    queues_sent_at = time.monotonic()
                    if pending.own_events:
                        # The called ticket's own phone first: the others' new places (a view of
                        # every waiting ticket) take longer to read and can follow.
                        own = Pending(own_events=pending.own_events)
                        pending.own_events = {}
                        await self._send(socket, lock, await self._read(self._update_text, own))
                text = await self._read(self._update_text, pending)
            await self._send(socket, lock, text)

    @staticmethod
    async def _send(socket: ClientConnection, lock: asyncio.Lock, text: str) -> None:
        async with lock:
            await socket.send(text)

    async def _receive(self, socket: ClientConnection, lock: asyncio.Lock, client: httpx.AsyncClient) -> None:
        slots = asyncio.Semaphore(FORWARD_CONCURRENCY)
        running: set[asyncio.Task[None]] = set()
        async for raw in socket:
            message = json.loads(raw)
            if message.get("type") == "request":
                task = asyncio.create_task(self._answer(socket, lock, client, slots, message))
                running.add(task)
                task.add_done_callback(running.discard)

    async def _answer(
        self,
        socket: ClientConnection,
        lock: asyncio.Lock,
        client: httpx.AsyncClient,
        slots: asyncio.Semaphore,
        request: dict[str, Any],
    ) -> None:
        async with slots:
            response = await self.forward(client, request)
        await self._send(socket, lock, json.dumps(response, ensure_ascii=False))

    async def forward(self, client: httpx.AsyncClient, request: dict[str, Any]) -> dict[str, Any]:
        """One forwarded public request, answered by this app; anything else is refused here too."""
        method = str(request.get("method", "")).upper()
        path = str(request.get("path", ""))
        body = base64.b64decode(request.get("body") or "")
        if not is_forwarded(method, path) or len(body) > MAX_FORWARDED_BODY_BYTES:
            return {"type": "response", "id": request.get("id"), "status": 404, "headers": [], "body": ""}
        headers = {
            name: value
            for name, value in (request.get("headers") or {}).items()
            if name.lower() in FORWARDED_REQUEST_HEADERS
        }
        headers[EDGE_KEY_HEADER] = self.key
        client_address = str(request.get("client") or "")[:64]
        if client_address:
            headers[EDGE_CLIENT_HEADER] = client_address
        answer = await client.request(method, path, params=request.get("query") or "", headers=headers, content=body)
        kept = [[name, value] for name, value in answer.headers.items() if name.lower() in FORWARDED_RESPONSE_HEADERS]
        return {
            "type": "response",
            "id": request.get("id"),
            "status": answer.status_code,
            "headers": kept,
            "body": base64.b64encode(answer.content).decode("ascii"),
        }

    # --- reading views (in the link's own thread)

    async def _read(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._reader, function, *args)

    def _snapshot_text(self, seen_event_id: int) -> str:
        now = self.clock()
        sample = self.settings.estimate_sample_size
        with consistent_read(self.engine, self.caches) as session:
            newest_event_id = max(seen_event_id, last_event_id(session))
            tickets = views.live_tickets(session, base_url=self.base_url, now=now, sample=sample)
            for item in tickets:
                del item["ticket_id"]
            queues = views.congestion(session, views.branch_ids(session), now=now, sample=sample)
        remote: dict[str, list[str]] = {}
        for branch_id, service_key in self._remote:
            remote.setdefault(branch_id, []).append(service_key)
        message = {
            "type": "snapshot",
            "last_event_id": newest_event_id,
            "tickets": tickets,
            "queues": queues,
            "remote": remote,
        }
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"))

    def _update_text(self, pending: Pending) -> str:
        now = self.clock()
        sample = self.settings.estimate_sample_size
        with consistent_read(self.engine, self.caches) as session:
            ticket_ids = set(pending.own_events)
            for branch_id, queue_prefix in pending.queues:
                ticket_ids.update(views.waiting_in(session, branch_id=branch_id, queue_prefix=queue_prefix, now=now))
            held = views.tickets_by_id(session, ticket_ids, base_url=self.base_url, now=now, sample=sample)
            queues = views.congestion(session, pending.branches, now=now, sample=sample)
        for item in held:
            # The row id routes the ticket's own events here; it never leaves the city hall.
            item["events"] = pending.own_events.get(item.pop("ticket_id"), [])
        # No event id on a part of the changes (0): the edge resumes after the whole of them.
        last_event_id = pending.last_event_id or None
        message = {"type": "update", "last_event_id": last_event_id, "tickets": held, "queues": queues}
        return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class EdgeLinks:
    """The server's links, one per edge replica, fed by the bus."""

    def __init__(self, app: FastAPI, bus: EventHub) -> None:
        self.links = [EdgeLink(app, url) for url in link_urls(app.state.settings)]
        for link in self.links:
            bus.add_fan_out_listener(link.on_deliveries)

    def start(self) -> None:
        for link in self.links:
            link.start()

    async def stop(self) -> None:
        for link in self.links:
            await link.stop()


def start_edge_links(app: FastAPI) -> EdgeLinks | None:
    """The links, when this server has an edge (MADOGUCHI_EDGE_URL and MADOGUCHI_EDGE_KEY)."""
    settings: Settings = app.state.settings
    if not (settings.edge_url and settings.edge_key):
        return None
    links = EdgeLinks(app, app.state.bus)
    links.start()
    return links
