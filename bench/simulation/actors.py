"""The people of the simulated day, each an asyncio task speaking the real API: visitors at the
kiosk, staff at counters and back-office desks, and display boards on the WebSocket stream."""

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from bench.simulation.city import (
    INTAKE_SERVICES,
    MAX_RECALLS,
    RECALL_AFTER_SECONDS,
    Arrival,
    Behaviour,
    StaffingPlan,
)
from server.drill_clock import DrillClock

logger = logging.getLogger("madoguchi.simulate")
API = "/api/v1"
# Like a city hall's staff and kiosks: a bounded number of requests open at once per process.
IN_FLIGHT_PER_SERVER = 32
BUSY_RETRIES = 5


def _is_busy(response: httpx.Response) -> bool:
    with contextlib.suppress(ValueError):
        return bool(response.json().get("code") == "busy")
    return False


Json = dict[str, Any]


class SimClock:
    """The simulator's view of the servers' drill clock: same formula, same origin."""

    def __init__(self, drill: DrillClock) -> None:
        self.drill = drill

    def now(self) -> datetime:
        return self.drill()

    def real_seconds(self, simulated_seconds: float) -> float:
        return simulated_seconds / self.drill.speed

    async def sleep(self, simulated_seconds: float) -> None:
        await asyncio.sleep(max(simulated_seconds, 0) / self.drill.speed)

    async def sleep_until(self, moment: datetime) -> float:
        """Sleep until a simulated moment; returns how late we already were (simulated seconds)."""
        late = (self.now() - moment).total_seconds()
        if late < 0:
            await asyncio.sleep(-late / self.drill.speed)
        return max(late, 0.0)


class Unreachable(Exception):
    """No server answered: the request may or may not have been carried out."""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Tally[str] = field(default_factory=Tally)
    transport_errors: int = 0
    busy_retries: int = 0  # 503 "busy" answers, each retried after its Retry-After
    unexpected: list[str] = field(default_factory=list)

    def unexpected_response(self, what: str, response: httpx.Response) -> None:
        if len(self.unexpected) < 200:
            self.unexpected.append(f"{what}: {response.status_code} {response.text[:200]}")


class Api:
    """Requests to the server processes. Each caller prefers one process (as a load balancer
    would pin it) and fails over to the others when its own does not answer."""

    def __init__(self, urls: Sequence[str], stats: Stats, *, timeout: float = 30.0) -> None:
        self.urls = list(urls)
        self.stats = stats
        limits = httpx.Limits(max_connections=IN_FLIGHT_PER_SERVER, max_keepalive_connections=IN_FLIGHT_PER_SERVER)
        self.clients = [httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) for url in self.urls]
        # Requests beyond this wait here, not in the HTTP client's pool (whose bookkeeping grows
        # with the square of its queue) nor in the server (whose database pool would time out).
        self.slots = [asyncio.Semaphore(IN_FLIGHT_PER_SERVER) for _ in self.urls]

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        label: str,
        token: str | None = None,
        body: Json | None = None,
        prefer: int = 0,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        busy = 0
        for attempt in range(len(self.clients)):
            index = (prefer + attempt) % len(self.clients)
            while True:
                try:
                    async with self.slots[index]:
                        started = time.perf_counter()
                        response = await self.clients[index].request(method, path, json=body, headers=headers)
                except httpx.TransportError:
                    self.stats.transport_errors += 1
                    break
                # An overloaded server says 503 "busy" before writing anything: wait as told, retry.
                if response.status_code == 503 and busy < BUSY_RETRIES and _is_busy(response):
                    busy += 1
                    self.stats.busy_retries += 1
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                    continue
                self.stats.latencies[label].append(time.perf_counter() - started)
                self.stats.statuses[f"{label} {response.status_code}"] += 1
                return response
        raise Unreachable(f"{method} {path}")

    async def wait_until_up(self, deadline_seconds: float = 120.0) -> None:
        deadline = time.monotonic() + deadline_seconds
        while time.monotonic() < deadline:
            for client in self.clients:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz", timeout=2)).status_code == 200:
                        return
            await asyncio.sleep(0.2)
        raise Unreachable("no server came back")


@dataclass
class IssuedTicket:
    """What the visitor holds: the acknowledged ticket and what it said at issue."""

    id: int
    number: str
    status_token: str
    arrival: Arrival
    issued_at: datetime
    position: int | None
    estimate: int | None
    first_service: str
    first_waiting: bool
    handed_to_staff: bool = False
    returned: bool = False
    finished: bool = False


class Work:
    """What the staff consoles show as waiting, per service: lets an idle counter call as soon
    as something it serves is waiting, instead of polling call-next."""

    def __init__(self) -> None:
        self.waiting: Tally[str] = Tally()
        self.changed = asyncio.Event()

    def add(self, service: str) -> None:
        self.waiting[service] += 1
        self.changed.set()

    def take(self, service: str) -> None:
        self.waiting[service] = max(self.waiting[service] - 1, 0)

    def replace(self, counts: dict[str, int]) -> None:
        grew = any(counts.get(key, 0) > self.waiting.get(key, 0) for key in counts)
        self.waiting = Tally(counts)
        if grew:
            self.changed.set()

    def has_work(self, services: Sequence[str]) -> bool:
        return any(self.waiting.get(key, 0) > 0 for key in services)

    async def wait(self, seconds: float) -> None:
        self.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), seconds)


@dataclass
class Day:
    """Shared state of one simulated day."""

    clock: SimClock
    api: Api
    plan: StaffingPlan
    behaviour: Behaviour
    branch: str
    typical_minutes: dict[str, float]
    reason_codes: list[str]
    stats: Stats = field(default_factory=Stats)
    work: Work = field(default_factory=Work)
    tickets: dict[int, IssuedTicket] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    unacknowledged: int = 0
    lost_visitors: int = 0
    issue_lateness: list[float] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    notes: list[str] = field(default_factory=list)
    fault_outcomes: dict[str, Any] = field(default_factory=dict)
    # A kiosk agent (kiosk/ with a printer) that visitors use instead of the API, in a drill.
    kiosk_agent: httpx.AsyncClient | None = None
    prints: list[tuple[datetime, str, bool, str | None]] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    extra_checks: list[Any] = field(default_factory=list)  # checks.Check, added by drills

    def idle_timeout(self) -> float:
        """Real seconds an idle counter waits for news before looking at the plan again."""
        return max(self.clock.real_seconds(300), 0.5)


def _current_stop(ticket: Json) -> Json | None:
    index = ticket.get("current_stop")
    return ticket["stops"][index] if index is not None else None


def note_progress(day: Day, ticket: Json) -> None:
    """Count the ticket's next waiting stop, and whether its visit is over."""
    record = day.tickets.get(ticket["id"])
    if ticket["status"] in ("done", "no_show", "cancelled"):
        if record is not None:
            record.finished = True
        return
    stop = _current_stop(ticket)
    if stop is not None and stop["status"] == "waiting":
        day.work.add(stop["service"])


async def visit(day: Day, arrival: Arrival, *, kiosk_token: str, concierge_token: str, prefer: int) -> None:
    """A visitor takes a number: at the kiosk, or from the concierge for priority and reservations."""
    token = concierge_token if arrival.by_staff else kiosk_token
    day.issue_lateness.append(await day.clock.sleep_until(arrival.at))
    # One name for this visitor's request, as the kiosk screen keeps one per citizen: a retry
    # after a lost answer gets the ticket already issued.
    request_key = {"Idempotency-Key": f"visitor-{arrival.index:05d}"}
    for _ in range(10):
        try:
            if day.kiosk_agent is not None and not arrival.by_staff:
                response = await _issue_at_kiosk(day, arrival, request_key)
            else:
                response = await day.api.request(
                    "POST",
                    f"{API}/branches/{day.branch}/tickets",
                    label="issue",
                    token=token,
                    body=arrival.body(),
                    prefer=prefer,
                    headers=request_key,
                )
        except Unreachable:
            # No answer: a ticket may or may not be stored; the visitor tries again, same key.
            day.unacknowledged += 1
            await asyncio.sleep(1.0)
            continue
        if response.status_code == 201:
            ticket = response.json()
            if "print" in ticket:  # through the kiosk agent: {"ticket", "print"}
                printed = ticket["print"]
                ticket = ticket["ticket"]
                day.prints.append((day.clock.now(), ticket["number"], bool(printed["ok"]), printed.get("error")))
            stop = ticket["stops"][0]
            issued = IssuedTicket(
                id=ticket["id"],
                number=ticket["number"],
                status_token=ticket["status_token"],
                arrival=arrival,
                issued_at=datetime.fromisoformat(ticket["issued_at"]),
                position=ticket["position"],
                estimate=ticket["estimated_wait_minutes"],
                first_service=stop["service"],
                first_waiting=stop["status"] == "waiting",
            )
            day.tickets[issued.id] = issued
            note_progress(day, ticket)
            return
        if response.status_code >= 500 or response.status_code in (401, 403, 422):
            day.stats.unexpected_response("issue", response)
        day.refused.append(response.json().get("code", str(response.status_code)))
        return
    day.lost_visitors += 1


async def _issue_at_kiosk(day: Day, arrival: Arrival, request_key: dict[str, str]) -> httpx.Response:
    assert day.kiosk_agent is not None
    started = time.perf_counter()
    try:
        response = await day.kiosk_agent.post("/kiosk/tickets", json=arrival.body(), headers=request_key)
    except httpx.TransportError as error:
        raise Unreachable("the kiosk agent") from error
    day.stats.latencies["kiosk issue+print"].append(time.perf_counter() - started)
    day.stats.statuses[f"kiosk {response.status_code}"] += 1
    if response.status_code == 503:
        raise Unreachable("the server, said the kiosk")
    return response


@dataclass
class CounterAgent:
    """One staff member at one counter, for the whole day."""

    day: Day
    counter_id: int
    code: str
    role: str
    username: str
    password: str
    services: list[str]
    staff_only: set[str]
    prefer: int
    token: str = ""
    is_open: bool = False
    calls: int = 0
    empty_calls: int = 0

    @property
    def allowed(self) -> list[str]:
        if self.role == "contractor":
            return [key for key in self.services if key not in self.staff_only]
        return self.services

    async def _post(self, action: str, body: Json | None = None) -> httpx.Response:
        path = f"{API}/counters/{self.counter_id}/{action}"
        response = await self.day.api.request(
            "POST", path, label=action, token=self.token, body=body, prefer=self.prefer
        )
        if response.status_code == 401:
            await self.login()
            response = await self.day.api.request(
                "POST", path, label=action, token=self.token, body=body, prefer=self.prefer
            )
        return response

    async def login(self) -> None:
        while True:
            try:
                response = await self.day.api.request(
                    "POST",
                    f"{API}/auth/login",
                    label="login",
                    body={"username": self.username, "password": self.password},
                    prefer=self.prefer,
                )
            except Unreachable:
                await self.day.api.wait_until_up()
                continue
            if response.status_code != 200:
                raise RuntimeError(f"login {self.username}: {response.status_code} {response.text}")
            self.token = response.json()["access_token"]
            return

    async def run(self) -> None:
        await self.login()
        day = self.day
        while not day.finished.is_set():
            if not day.plan.should_be_open(self.code, day.clock.now(), day.work.waiting, is_open=self.is_open):
                if self.is_open:
                    await self._set_open(False)
                await day.work.wait(day.idle_timeout())
                continue
            if not self.is_open:
                await self._set_open(True)
            if not day.work.has_work(self.allowed):
                await day.work.wait(day.idle_timeout())
                continue
            ticket = await self._call_next()
            if ticket is None:
                self.empty_calls += 1
                await day.work.wait(day.idle_timeout())
                continue
            self.calls += 1
            await self.serve(ticket)
        if self.is_open:
            await self._set_open(False)

    async def _set_open(self, want_open: bool) -> None:
        action = "open" if want_open else "close"
        while True:
            try:
                response = await self._post(action)
            except Unreachable:
                await self.day.api.wait_until_up()
                continue
            if response.status_code != 200:
                self.day.stats.unexpected_response(f"{action} {self.code}", response)
            self.is_open = want_open
            return

    async def _call_next(self) -> Json | None:
        try:
            response = await self._post("call-next")
        except Unreachable:
            return await self._reconcile()
        if response.status_code == 204:
            return None
        if response.status_code != 200:
            self.day.stats.unexpected_response(f"call-next {self.code}", response)
            return await self._reconcile()
        ticket: Json = response.json()["ticket"]
        return ticket

    async def _reconcile(self) -> Json | None:
        """After a request whose outcome we do not know: ask the desk what is in hand."""
        while True:
            try:
                await self.day.api.wait_until_up()
                response = await self.day.api.request(
                    "GET", f"{API}/counters/{self.counter_id}", label="desk", token=self.token, prefer=self.prefer
                )
            except Unreachable:
                continue
            if response.status_code == 401:
                await self.login()
                continue
            desk = response.json()
            self.is_open = desk["state"] == "open"
            ticket: Json | None = desk["ticket"]
            return ticket

    async def _act(self, action: str, body: Json | None = None) -> tuple[Json | None, bool]:
        """(ticket, done): done is False when the outcome is unknown and `ticket` is what the
        desk holds now (None when nothing is in hand any more)."""
        try:
            response = await self._post(action, body)
        except Unreachable:
            return await self._reconcile(), False
        if response.status_code != 200:
            self.day.stats.unexpected_response(f"{action} {self.code}", response)
            return await self._reconcile(), False
        ticket: Json | None = response.json()["ticket"]
        return ticket, True

    async def serve(self, ticket: Json) -> None:
        """Serve the ticket in hand to the end, whatever happens to the server meanwhile."""
        day = self.day
        taken = False
        while True:
            index = ticket["current_stop"]
            stop = ticket["stops"][index]
            key = stop["service"]
            if not taken:
                day.work.take(key)
                taken = True
            record = day.tickets.get(ticket["id"])
            visitor = record.arrival.index if record else None  # None: a ticket nobody holds
            if stop["status"] == "called" and stop["citizen_present"]:
                if day.behaviour.absent(visitor, index):
                    outcome = await self._no_show()
                    if outcome is None:
                        return
                    ticket = outcome
                    continue
                await day.clock.sleep(day.behaviour.walk_seconds(visitor, index))
                started, done = await self._act("start")
                if started is None:
                    return
                ticket = started
                if not done:
                    continue
            minutes = day.behaviour.service_minutes(visitor, index, day.typical_minutes[key])
            await day.clock.sleep(minutes * 60)
            action, body = self._finish_action(ticket, record, key, visitor, index)
            after, done = await self._act(action, body)
            if done:
                if after is not None:
                    note_progress(day, after)
                    if action == "complete" and continues_here(after):
                        ticket = after  # the same window goes on with the next procedure
                        continue
                return
            if after is None:
                return  # it went through before the server died
            ticket = after  # still in hand: do it again

    async def _no_show(self) -> Json | None:
        """Call again twice, then mark absent; returns the ticket if it is somehow still in hand."""
        for _ in range(MAX_RECALLS):
            await self.day.clock.sleep(RECALL_AFTER_SECONDS)
            ticket, done = await self._act("recall")
            if not done:
                return ticket
        await self.day.clock.sleep(RECALL_AFTER_SECONDS)
        ticket, done = await self._act("no-show")
        if done:
            if ticket is not None:
                note_progress(self.day, ticket)
            return None
        return ticket

    def _finish_action(
        self, ticket: Json, record: IssuedTicket | None, key: str, visitor: int | None, index: int
    ) -> tuple[str, Json | None]:
        day = self.day
        if record is None:
            return "complete", None
        if key in INTAKE_SERVICES and not record.handed_to_staff and day.behaviour.hands_to_staff(visitor, index):
            record.handed_to_staff = True
            return "transfer", {"service": "staff_explanation"}
        first = ticket["stops"][0]
        if (
            key == "civil_review"
            and not record.returned
            and first["service"] in INTAKE_SERVICES
            and first["status"] == "done"
            and day.reason_codes
            and day.behaviour.returned(visitor, index)
        ):
            record.returned = True
            reason = day.behaviour.pick(visitor, "reason", day.reason_codes)
            return "transfer", {"service": first["service"], "reason": reason}
        return "complete", None


def continues_here(ticket: Json) -> bool:
    """After a complete: the counter kept the ticket for its next procedure (no new call)."""
    index = ticket.get("current_stop")
    return index is not None and ticket["stops"][index]["status"] == "serving"


# --- display boards ---------------------------------------------------------------------------

Board = dict[int, str]  # public counter id -> number shown as in hand there


def board_from_snapshot(snapshot: Json) -> Board:
    return {
        counter["id"]: counter["ticket"]["number"] for counter in snapshot.get("counters", []) if counter.get("ticket")
    }


# The number leaves its window, unless the window goes on with the next procedure (continued).
ENDS_AT_COUNTER = ("ticket.completed", "ticket.no_show", "ticket.transferred")


def apply_to_board(board: Board, message: Json) -> None:
    counter = message.get("counter") or {}
    if not counter.get("public"):
        return
    number = (message.get("ticket") or {}).get("number")
    kind = message.get("type")
    if kind in ("ticket.called", "ticket.recalled", "ticket.serving"):
        board[counter["id"]] = number
    elif kind in ENDS_AT_COUNTER and board.get(counter["id"]) == number and not message.get("continued"):
        del board[counter["id"]]


@dataclass
class DisplayBoard:
    """A lobby display: follows the branch stream, resumes with after=<last id> whenever it is
    cut off (a resync included: the log has everything), and remembers all it received."""

    name: str
    token: str
    urls: list[str]
    branch: str
    prefer: int
    last_id: int | None = None
    first_id: int | None = None  # the stream position of the first snapshot
    events: list[Json] = field(default_factory=list)
    snapshots: list[tuple[int, Board]] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)  # resumed with after=N but got a snapshot
    connects: int = 0
    resyncs: int = 0
    _pause_seconds: float = 0.0
    _socket: Any = None
    _closing: Any = None

    async def run(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            url = self.urls[(self.prefer + attempt) % len(self.urls)].replace("http", "ws", 1)
            query = f"token={self.token}" + (f"&after={self.last_id}" if self.last_id is not None else "")
            try:
                async with connect(f"{url}{API}/branches/{self.branch}/events?{query}", open_timeout=10) as socket:
                    self._socket = socket
                    self.connects += 1
                    attempt = 0
                    await self._read(socket, stop)
            except (OSError, WebSocketException, TimeoutError):
                attempt += 1
            finally:
                self._socket = None
            if self._pause_seconds:
                pause, self._pause_seconds = self._pause_seconds, 0.0
                await asyncio.sleep(pause)
            elif not stop.is_set():
                await asyncio.sleep(0.2)

    async def _read(self, socket: Any, stop: asyncio.Event) -> None:
        reader = asyncio.ensure_future(socket.recv())
        stopper = asyncio.ensure_future(stop.wait())
        try:
            while True:
                done, _ = await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if stopper in done:
                    return
                self._receive(json.loads(reader.result()))
                reader = asyncio.ensure_future(socket.recv())
        finally:
            for task in (reader, stopper):
                task.cancel()
            await asyncio.gather(reader, stopper, return_exceptions=True)

    def _receive(self, message: Json) -> None:
        kind = message.get("type")
        if kind == "snapshot":
            last = int(message["last_event_id"])
            if self.last_id is not None:
                self.gaps.append((self.last_id, last))
            if self.first_id is None:
                self.first_id = last
            self.snapshots.append((last, board_from_snapshot(message)))
            self.last_id = last
            return
        if kind == "resync":
            self.resyncs += 1
            return
        event_id = message.get("id")
        if event_id is None:
            return  # pings and waiting-count summaries
        if self.last_id is not None and event_id <= self.last_id:
            self.duplicates.append(event_id)
            return
        self.last_id = event_id
        self.events.append(message)

    def cut_off(self, real_seconds: float) -> None:
        """The display loses its connection and stays away for a while (a drill)."""
        self._pause_seconds = real_seconds
        if self._socket is not None:
            self._closing = asyncio.ensure_future(self._socket.close())

    def board_at(self, event_id: int) -> Board:
        """What this display showed once it had applied every event up to `event_id`."""
        base_id, board = max(
            ((sid, b) for sid, b in self.snapshots if sid <= event_id), key=lambda item: item[0], default=(0, {})
        )
        board = dict(board)
        for message in self.events:
            if base_id < message["id"] <= event_id:
                apply_to_board(board, message)
        return board

    def received_ids(self) -> set[int]:
        return {message["id"] for message in self.events}


async def wait_for(predicate: Callable[[], bool], *, seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()


def minutes_between(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(minutes=1)
