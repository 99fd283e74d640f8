"""Position and estimated wait: where a ticket stands and how long until it is called.

Service times are a per-process statistic of each branch, read once and kept until a stop is
finished here or (through the bus) in another process; open counters likewise until one opens,
closes or takes a ticket. What waits is counted per request, since it changes with every call,
except for a walk-in being issued (waiting_tally.py).
"""

import heapq
import math
import threading
import time
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from server.catalog.snapshot import branch_catalog
from server.models import (
    STOP_WAITING,
    Appointment,
    AppointmentStatus,
    Counter,
    CounterService,
    CounterState,
    Role,
    Service,
    Staff,
    Stop,
    StopStatus,
)
from server.realtime.events import PENDING_EVENTS_KEY
from server.tickets.routing import T
from server.tickets.waiting_tally import WaitingTally

# --- wait estimates -------------------------------------------------------------------------
#
# A counter calls the longest-waiting stop among all the services it serves, so a ticket waits
# behind everything its counters will take first, not only behind its own service's queue. The
# estimate replays that: the counters open now that may handle the ticket's service, each free
# after what it has in hand, take in turn the stops ahead (of every service they serve, each
# weighted by these counters' share of that service's open counters) for the recent mean time
# of that service; the ticket is called when the next counter frees up after them.

IN_HAND_MIN_REMAINING = 0.2  # of the mean: a long service is still expected to take a moment


def _mean_minutes(session: Session, services: Sequence[Service], *, now: datetime, sample: int) -> dict[int, float]:
    """Mean call→finish time (what a counter spends, no-shows included) over the last `sample`
    finished stops of each service today; the configured typical time when fewer than 3."""
    ids = [service.id for service in services if service.id is not None]
    recent = (
        select(
            col(Stop.service_id).label("service_id"),
            col(Stop.called_at).label("called_at"),
            col(Stop.completed_at).label("completed_at"),
            func.row_number()
            .over(partition_by=col(Stop.service_id), order_by=col(Stop.completed_at).desc())
            .label("recent"),
        )
        .where(
            col(Stop.service_id).in_(ids),
            col(Stop.completed_at) >= now - timedelta(hours=12),
            col(Stop.status).in_([StopStatus.done, StopStatus.no_show]),
        )
        .subquery()
    )
    durations: dict[int, list[float]] = {}
    for service_id, called, completed in session.execute(
        select(recent.c.service_id, recent.c.called_at, recent.c.completed_at).where(recent.c.recent <= sample)
    ).all():
        if called is not None and completed is not None:
            durations.setdefault(service_id, []).append((completed - called).total_seconds() / 60)
    means = {}
    for service in services:
        assert service.id is not None
        minutes = durations.get(service.id, [])
        means[service.id] = sum(minutes) / len(minutes) if len(minutes) >= 3 else service.typical_minutes
    return means


SERVICE_TIMES_KEY = "madoguchi_service_times"
# A finished stop anywhere changes the means; a process that missed the event still rereads them.
SERVICE_TIMES_MAX_AGE_SECONDS = 60.0
SERVICE_TIMES_CHANGES = frozenset({"ticket.completed", "ticket.no_show"})


class ServiceTimes:
    """This process's mean service minutes of every service of a branch, read in one query and
    kept until a stop is finished (here at once, elsewhere when the event arrives by the bus)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._means: dict[tuple[str, int], tuple[float, dict[int, float]]] = {}

    def get(self, session: Session, branch_id: str, *, now: datetime, sample: int) -> dict[int, float]:
        key = (branch_id, sample)
        known = self._means.get(key)
        if known is not None and time.monotonic() - known[0] < SERVICE_TIMES_MAX_AGE_SECONDS:
            return known[1]
        services = list(branch_catalog(session, branch_id).services.values())
        means = _mean_minutes(session, services, now=now, sample=sample)
        with self._lock:
            self._means[key] = (time.monotonic(), means)
        return means

    def on_messages(self, messages: Iterable[Mapping[str, Any]]) -> None:
        for message in messages:
            if message.get("type") in SERVICE_TIMES_CHANGES:
                with self._lock:
                    for key in [key for key in self._means if key[0] == message.get("branch")]:
                        del self._means[key]


def recent_service_minutes(
    session: Session, services: Sequence[Service], *, now: datetime, sample: int
) -> dict[int, float]:
    """Mean minutes per service (see _mean_minutes): from this process's statistic when the
    session comes from the app, else read now."""
    times: ServiceTimes | None = session.info.get(SERVICE_TIMES_KEY)
    if times is None or not services:
        return _mean_minutes(session, services, now=now, sample=sample)
    means = times.get(session, services[0].branch_id, now=now, sample=sample)
    return {service.id: means[service.id] for service in services if service.id is not None}


def average_service_minutes(session: Session, service: Service, *, now: datetime, sample: int) -> float:
    """Mean call→finish time of the last completed stops today, else the configured typical time."""
    assert service.id is not None
    return recent_service_minutes(session, [service], now=now, sample=sample)[service.id]


def waiting_per_service(session: Session, *, branch_id: str) -> dict[int, int]:
    """How many stops wait at each service of a branch (the partial index of waiting stops)."""
    rows = session.exec(
        select(Stop.service_id, func.count())
        .join(Service, col(Service.id) == Stop.service_id)
        .where(Service.branch_id == branch_id, STOP_WAITING)
        .group_by(col(Stop.service_id))
    ).all()
    return {service_id: int(count) for service_id, count in rows}


def _called_before(statement: Any, is_priority: bool, sort_at: Any) -> Any:
    """Waiting stops a counter takes before a stop of this kind and place: priority first, then
    by arrival. `_WaitingOrder.ahead_of` counts the same for stops already read; a test holds
    the two together."""
    if is_priority:
        return statement.where(col(Stop.is_priority), col(Stop.sort_at) <= sort_at)
    return statement.where(col(Stop.is_priority) | (col(Stop.sort_at) <= sort_at))


@dataclass(frozen=True)
class _WaitingOrder:
    """One service's waiting stops as `_called_before` orders them: arrival times of the
    priority stops and of the others, each sorted."""

    priority: list[datetime]
    others: list[datetime]

    def ahead_of(self, stop: Stop) -> int:
        """How many of these stops a counter takes before `stop` (`stop` itself not counted)."""
        assert stop.sort_at is not None  # a waiting stop has its place in the queue
        if stop.is_priority:
            return bisect_right(self.priority, stop.sort_at)
        return len(self.priority) + bisect_right(self.others, stop.sort_at)


def _waiting_orders(session: Session, service_ids: Iterable[int]) -> dict[int, _WaitingOrder]:
    ids = sorted(set(service_ids))
    priority: dict[int, list[datetime]] = {service_id: [] for service_id in ids}
    others: dict[int, list[datetime]] = {service_id: [] for service_id in ids}
    rows = session.execute(
        sql_select(col(Stop.service_id), col(Stop.is_priority), col(Stop.sort_at)).where(
            STOP_WAITING, col(Stop.service_id).in_(ids)
        )
    ).all()
    for service_id, is_priority, sort_at in rows:
        if sort_at is not None:  # always, for a waiting stop
            (priority if is_priority else others)[service_id].append(sort_at)
    return {service_id: _WaitingOrder(sorted(priority[service_id]), sorted(others[service_id])) for service_id in ids}


class OpenCounters:
    """A branch's open counters now: what each may handle (by who sits there) and what it has
    in hand since when. Read once per transaction and moment, so a board's per-service
    estimates share one read."""

    def __init__(self, session: Session, *, branch_id: str) -> None:
        self.handles: dict[int, set[int]] = {}
        self.in_hand: dict[int, tuple[int, datetime]] = {}
        # The catalog's detached services, never rows of this session: this object outlives it
        # in OpenCountersCache and is read from other threads.
        known = branch_catalog(session, branch_id).services
        services: dict[int, Service] = {}
        # SQLAlchemy's select: sqlmodel's is typed for at most four columns.
        rows = session.execute(
            sql_select(
                col(Counter.id),
                col(CounterService.service_id),
                col(Staff.role),
                col(Stop.service_id),
                col(Stop.called_at),
            )
            .join(CounterService, col(CounterService.counter_id) == Counter.id)
            .join(Staff, col(Staff.id) == Counter.staff_id, isouter=True)
            .join(Stop, col(Stop.id) == Counter.current_stop_id, isouter=True)
            .where(col(Counter.branch_id) == branch_id, col(Counter.state) == CounterState.open, col(Counter.active))
        ).all()
        for counter_id, service_id, role, hand_service, called_at in rows:
            assert counter_id is not None
            service = known.get(service_id)
            if service is None:
                continue  # added after this process read the catalog; its change event follows
            assert service.id is not None
            may = service.active and not (service.staff_only and role == Role.contractor)
            handled = self.handles.setdefault(counter_id, set())
            if may:
                handled.add(service.id)
                services[service.id] = service
            if hand_service is not None and called_at is not None:
                self.in_hand[counter_id] = (hand_service, called_at)
        self.services = services

    @classmethod
    def of(cls, session: Session, *, branch_id: str, now: datetime) -> "OpenCounters":
        key = ("madoguchi_open_counters", branch_id, now)
        memo = session.info.get(key)
        if memo is not None and memo[0] is session.get_transaction():
            cached: OpenCounters = memo[1]
            return cached
        known: OpenCountersCache | None = session.info.get(OPEN_COUNTERS_KEY)
        counters = known.get(session, branch_id) if known is not None else cls(session, branch_id=branch_id)
        session.info[key] = (session.get_transaction(), counters)
        return counters

    def serving(self, service_id: int) -> list[int]:
        return [counter_id for counter_id, handled in self.handles.items() if service_id in handled]


OPEN_COUNTERS_KEY = "madoguchi_open_counters_cache"
# A process that missed an event (a staff member's role edited, say) still rereads them.
OPEN_COUNTERS_MAX_AGE_SECONDS = 30.0
OPEN_COUNTERS_CHANGES = frozenset({"counter.opened", "counter.closed", "catalog.changed"})


class OpenCountersCache:
    """This process's OpenCounters of each branch, kept until an event says a counter took,
    finished or let go of a ticket, opened or closed (here at once, elsewhere through the bus).

    Issuing reads them for every estimate but never changes them, so on a busy morning most
    issues between two calls share one read.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, OpenCounters]] = {}
        # Bumped by every invalidation: a read that started before one is not kept.
        self._generation = 0

    def get(self, session: Session, branch_id: str) -> OpenCounters:
        known = self._known.get(branch_id)
        if known is not None and time.monotonic() - known[0] < OPEN_COUNTERS_MAX_AGE_SECONDS:
            return known[1]
        generation = self._generation
        counters = OpenCounters(session, branch_id=branch_id)
        with self._lock:
            # A transaction that changed something sees its own uncommitted rows: keep only what
            # every transaction would read.
            if generation == self._generation and not session.info.get(PENDING_EVENTS_KEY):
                self._known[branch_id] = (time.monotonic(), counters)
        return counters

    def on_messages(self, messages: Iterable[Mapping[str, Any]]) -> None:
        for message in messages:
            if message.get("counter") is not None or message.get("type") in OPEN_COUNTERS_CHANGES:
                with self._lock:
                    self._generation += 1
                    self._known.pop(str(message.get("branch")), None)


# Built once with parameters: every issue and every status page counts what waits ahead, and
# building the statement cost more than running it.
_WAITING_BY_SERVICE = (
    sql_select(col(Stop.service_id), func.count())
    .where(STOP_WAITING, col(Stop.service_id).in_(bindparam("services", expanding=True)))
    .group_by(col(Stop.service_id))
)
_AHEAD_OF_STOP = {
    is_priority: _called_before(
        _WAITING_BY_SERVICE.where(col(Stop.id) != bindparam("stop_id")), is_priority, bindparam("sort_at")
    )
    for is_priority in (False, True)
}


def _stops_ahead(session: Session, service_ids: Sequence[int], stop: Stop | None) -> dict[int, int]:
    """Waiting stops per service that a counter would call before `stop` (before a newcomer
    when None)."""
    # On the session's connection: plain rows, without the ORM's result machinery.
    connection = session.connection()
    if stop is None:
        rows = connection.execute(_WAITING_BY_SERVICE, {"services": list(service_ids)})
    else:
        # A stop not written yet (being issued) has no id: nothing to leave out (ids start at 1).
        parameters = {"services": list(service_ids), "stop_id": stop.id or 0, "sort_at": stop.sort_at}
        rows = connection.execute(_AHEAD_OF_STOP[stop.is_priority], parameters)
    return {service_id: int(count) for service_id, count in rows.all()}


def estimate_wait_minutes(
    session: Session,
    service: Service,
    ahead: int,
    *,
    now: datetime,
    sample: int,
    stop: Stop | None = None,
    waiting_now: Mapping[int, int] | None = None,
) -> int:
    """Minutes until a stop of `service` with `ahead` people before it in its own queue is
    called: `stop` itself when given, else someone joining the queue now. A caller that has
    already counted what waits ahead per service (`waiting_now`: ahead of `stop`, or everything
    waiting for a newcomer) passes it, so it is read once."""
    assert service.id is not None
    counters = OpenCounters.of(session, branch_id=service.branch_id, now=now)
    pool = counters.serving(service.id)
    if not pool:
        # Nobody open may take it yet: as if one counter opened now.
        return math.ceil(ahead * average_service_minutes(session, service, now=now, sample=sample))
    shared = sorted({other for counter_id in pool for other in counters.handles[counter_id]})
    minutes = recent_service_minutes(session, [counters.services[other] for other in shared], now=now, sample=sample)
    others = [other for other in shared if other != service.id]
    if waiting_now is not None:
        waiting = {other: waiting_now.get(other, 0) for other in others}
    else:
        waiting = _stops_ahead(session, others, stop)
    waiting[service.id] = ahead

    def wait_for(queued: Mapping[int, int]) -> float:
        # Each counter is free once it finishes what it holds (expected remaining time).
        free_at = []
        for counter_id in pool:
            held = counters.in_hand.get(counter_id)
            if held is None:
                free_at.append(0.0)
                continue
            mean = minutes.get(held[0], 0.0)
            spent = (now - held[1]).total_seconds() / 60
            free_at.append(max(mean - spent, mean * IN_HAND_MIN_REMAINING))
        heapq.heapify(free_at)
        members = set(pool)
        for other, count in queued.items():
            # These counters do only their share of a service that other counters serve too.
            serving = counters.serving(other)
            work = minutes[other] * len(members.intersection(serving)) / len(serving)
            for _ in range(count):
                heapq.heappush(free_at, heapq.heappop(free_at) + work)
        return free_at[0]

    wait = wait_for(waiting)
    if stop is None or stop.appointment_at is None:
        # Bookings due before this walk-in's turn are called before it: their work comes first.
        booked = _booked_before(session, service.branch_id, shared, now=now, until=now + timedelta(minutes=wait))
        if booked:
            wait = wait_for({other: waiting.get(other, 0) + booked.get(other, 0) for other in {*waiting, *booked}})
    return math.ceil(wait - 1e-9)


# A booking this late is still expected (the longest grace a bookable service can have).
BOOKED_STILL_EXPECTED = timedelta(minutes=30)


def _booked_before(
    session: Session, branch_id: str, services: Sequence[int], *, now: datetime, until: datetime
) -> dict[int, int]:
    """Bookings not yet checked in, per service, whose start comes before `until` (and not long
    past): read only when one of `services` is bookable at all."""
    catalog = branch_catalog(session, branch_id)
    bookable = {spec.get("service") for spec in (catalog.branch.settings.get("appointments") or {}).get("services", [])}
    ids = [
        service_id
        for service_id in services
        if service_id in catalog.services and catalog.services[service_id].key in bookable
    ]
    if not ids:
        return {}
    rows = session.execute(
        sql_select(col(Appointment.service_id), func.count())
        .where(
            col(Appointment.branch_id) == branch_id,
            col(Appointment.status) == AppointmentStatus.booked,
            col(Appointment.start_at) >= now - BOOKED_STILL_EXPECTED,
            col(Appointment.start_at) < until,
            col(Appointment.service_id).in_(ids),
        )
        .group_by(col(Appointment.service_id))
    ).all()
    return {service_id: int(count) for service_id, count in rows}


def position_and_wait(
    session: Session, service: Service, stop: Stop, *, now: datetime, sample: int, new: bool = False
) -> tuple[int, int]:
    """A waiting stop's place (see `people_ahead`) and its estimated wait, from one count of what
    waits ahead of it at every service its counters share. `new`: the stop is being issued by
    this transaction, not written yet (this process may know the count: waiting_tally.py)."""
    assert service.id is not None
    counters = OpenCounters.of(session, branch_id=service.branch_id, now=now)
    shared = sorted(
        {service.id} | {other for counter_id in counters.serving(service.id) for other in counters.handles[counter_id]}
    )
    tally = WaitingTally.of(session) if new else None
    ahead = tally.ahead_of_new_stop(session, service.branch_id, shared, stop) if tally is not None else None
    if ahead is None:
        ahead = _stops_ahead(session, shared, stop)
    return people_ahead(ahead), estimate_wait_minutes(
        session, service, ahead.get(service.id, 0), now=now, sample=sample, stop=stop, waiting_now=ahead
    )


def people_ahead(ahead: Mapping[int, int]) -> int:
    """What a citizen is told waits before them: everyone the counters serving their stop will
    call first, at every service those counters share (by arrival, as they call), not only at
    their own procedure: at counters 1-5 taking every 届出, the 8th in line has 7 people ahead,
    not the 0 of the first to come for the same 届出."""
    return sum(ahead.values())


def positions_and_waits(
    session: Session, stops: Sequence[tuple[Stop, Service]], *, branch_id: str, now: datetime, sample: int
) -> dict[int, tuple[int, int]]:
    """`position_and_wait` of many waiting stops of one branch, by stop id, from one read of
    what waits: the public edge refreshes every waiting holder after each call."""
    counters = OpenCounters.of(session, branch_id=branch_id, now=now)
    shared: dict[int, list[int]] = {}
    for _, service in stops:
        assert service.id is not None
        if service.id not in shared:
            serving = counters.serving(service.id)
            shared[service.id] = sorted({service.id} | {other for c in serving for other in counters.handles[c]})
    orders = _waiting_orders(session, (other for services in shared.values() for other in services))
    placed: dict[int, tuple[int, int]] = {}
    for stop, service in stops:
        assert stop.id is not None
        assert service.id is not None
        ahead = {other: orders[other].ahead_of(stop) for other in shared[service.id]}
        ahead[service.id] -= 1  # the stop itself, counted by bisect_right among its own service's
        placed[stop.id] = (
            people_ahead(ahead),
            estimate_wait_minutes(
                session, service, ahead[service.id], now=now, sample=sample, stop=stop, waiting_now=ahead
            ),
        )
    return placed


def quickest_choice(
    session: Session, choices: Sequence[tuple[T, Service]], *, now: datetime, sample: int = 20
) -> tuple[T, Service]:
    """Of stops that may be taken in any order (in route order), the one called soonest: where a
    counter is open first, then the shortest estimated wait for someone joining now, then the
    configured order. A single choice costs nothing."""
    if len(choices) == 1:
        return choices[0]
    counters = OpenCounters.of(session, branch_id=choices[0][1].branch_id, now=now)
    waiting = _stops_ahead(session, [service.id for _, service in choices if service.id is not None], None)

    def soonest(numbered: tuple[int, tuple[T, Service]]) -> tuple[bool, int, int]:
        order, (_, service) = numbered
        assert service.id is not None
        minutes = estimate_wait_minutes(session, service, waiting.get(service.id, 0), now=now, sample=sample)
        return (not counters.serving(service.id), minutes, order)

    return min(enumerate(choices), key=soonest)[1]
