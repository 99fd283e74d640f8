"""The reports' figures: pure functions over plain rows, one function that reads the rows for
any run of business days, and the daily report (months and years: periods.py).

Definitions (one place, so the page, the CSV and the tests mean the same thing):
- business day: Ticket.business_on (the branch's local date at issue); hours are local wall-clock
  hours in the branch's time zone.
- waiting time: issue → the ticket's first `ticket.called` event (the first call of its first stop;
  a transfer or a later stop never moves it). Tickets never called are not in it; today's
  report shows those still waiting apart (not_yet_called: issue → now).
- stay time: issue → completion of the last stop, for tickets that ended `done`.
- service time: a completed stop's called_at → completed_at. The counter is held from the call,
  walk-up included; the same measure the ticket estimates use.
- staff minutes: the service time of completed stops, by Stop.staff_role recorded at completion.
  City staff = municipal + admin (both are city employees); the reference's KPI
  (staff_counter_minutes) is city staff minutes on staff_only steps plus city staff covering
  steps a contractor may do, both shown.
- counters open: for each hour, open minutes ÷ 60 summed over counters (1.5 = one counter all
  hour and another half of it), from counter.opened / counter.closed events clipped to the hour
  and to `now`. Public windows and internal desks are counted apart.
- percentiles: nearest-rank (see `percentile`); means are arithmetic; minutes rounded to 0.01.
"""

import csv
import io
import math
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from server.catalog.schemas import minutes_of_day
from server.errors import Forbidden
from server.models import (
    Branch,
    Counter,
    Event,
    LifeEvent,
    Role,
    SatisfactionResponse,
    Service,
    Staff,
    Stop,
    StopStatus,
    Ticket,
    TicketStatus,
)
from server.realtime.events import EventType
from server.reports.schemas import (
    DailyReport,
    DurationBreakdown,
    DurationStats,
    HistogramBin,
    HourFigures,
    Name,
    Names,
    SatisfactionSummary,
    ServiceTimes,
    StaffMinutes,
    Totals,
)
from server.satisfaction.schemas import Reason
from server.tickets.numbering import business_day
from server.tickets.service import get_branch

PERCENTILE_METHOD = "nearest-rank"
CITY_STAFF_ROLES = (Role.municipal, Role.admin)
WAIT_BIN_MINUTES = 5
WAIT_BIN_LAST = 60  # everything from here on falls in one open-ended bin

K = TypeVar("K")


# --- who may read ------------------------------------------------------------------------------


def ensure_may_read_reports(staff: Staff, *, branch_id: str) -> None:
    """City staff (municipal, admin) only.

    The figures compare municipal and contractor work: they are the city's means of evaluating the
    outsourcing contract. The contractor reports to the city through its own supervisor under the
    contract; giving contractor workers the city's management view invites exactly the direct,
    per-worker steering that 偽装請負 rules forbid.
    """
    if staff.role == Role.contractor:
        raise Forbidden(
            "Reports are for city staff; the contractor's supervisor receives them under the contract.",
            code="reports_city_staff_only",
        )
    if staff.branch_id is not None and staff.branch_id != branch_id:
        raise Forbidden(f"Your account belongs to branch {staff.branch_id!r}, not {branch_id!r}.", code="wrong_branch")


# --- plain rows the pure functions take ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketFacts:
    business_on: date
    service: str | None  # single-service ticket
    life_event: str | None  # life-event ticket
    status: TicketStatus
    issued_at: datetime
    first_called_at: datetime | None
    finished_at: datetime | None
    appointment: bool = False  # issued at a booking's check-in


@dataclass(frozen=True, slots=True)
class StopFacts:
    """A completed stop, counted on its ticket's business day."""

    business_on: date
    service: str
    staff_only: bool
    staff_role: Role | None
    called_at: datetime
    completed_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerFacts:
    """A satisfaction answer, counted on its ticket's business day."""

    business_on: date
    score: int
    reason: str | None


@dataclass(frozen=True)
class Facts:
    """The rows every report counts, for the tickets of some business days.

    A day, a month and a year are read the same way (`read_facts`) and counted by the same
    functions; a period's days or months are these rows split by business day (`split`).
    """

    tickets: Sequence[TicketFacts]
    stops: Sequence[StopFacts]
    answers: Sequence[AnswerFacts]

    def split(self, key: Callable[[date], K]) -> dict[K, "Facts"]:
        """The rows grouped by key(business day): e.g. by day, or by month."""
        groups: dict[K, tuple[list[TicketFacts], list[StopFacts], list[AnswerFacts]]] = defaultdict(
            lambda: ([], [], [])
        )
        for ticket in self.tickets:
            groups[key(ticket.business_on)][0].append(ticket)
        for stop in self.stops:
            groups[key(stop.business_on)][1].append(stop)
        for answer in self.answers:
            groups[key(answer.business_on)][2].append(answer)
        return {k: Facts(tickets, stops, answers) for k, (tickets, stops, answers) in groups.items()}


@dataclass(frozen=True)
class CounterEvent:
    counter_id: int
    opened: bool  # False = closed
    at: datetime


@dataclass(frozen=True)
class OpenInterval:
    counter_id: int
    start: datetime
    end: datetime


# --- pure statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: int) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it.

    For n sorted values it is the value at rank ⌈p·n/100⌉ (1-based): always an observed value,
    easy to check by hand. p50 of [1, 2, 3, 4] is 2; p90 of ten values is the 9th.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = sorted(values)
    rank = -(-p * len(ordered) // 100)  # ceiling in integers: no float surprises at exact ranks
    return ordered[rank - 1]


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 2)


def duration_stats(seconds: Sequence[float]) -> DurationStats:
    if not seconds:
        return DurationStats(count=0, mean_minutes=None, p50_minutes=None, p90_minutes=None)
    return DurationStats(
        count=len(seconds),
        mean_minutes=_minutes(sum(seconds) / len(seconds)),
        p50_minutes=_minutes(percentile(seconds, 50)),
        p90_minutes=_minutes(percentile(seconds, 90)),
    )


def stats_by(pairs: Iterable[tuple[str, float]]) -> dict[str, DurationStats]:
    groups: dict[str, list[float]] = defaultdict(list)
    for key, seconds in pairs:
        groups[key].append(seconds)
    return {key: duration_stats(groups[key]) for key in sorted(groups)}


def _seconds(start: datetime, end: datetime) -> float:
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def hour_label(hour: int) -> str:
    return f"{hour:02d}"


def local_hour(moment: datetime, zone: ZoneInfo) -> int:
    return moment.astimezone(zone).hour


def breakdown(facts: Sequence[tuple[TicketFacts, float]], zone: ZoneInfo) -> DurationBreakdown:
    """One duration per ticket, overall and by service, life event and local hour of issue."""
    return DurationBreakdown(
        all=duration_stats([seconds for _, seconds in facts]),
        by_service=stats_by((t.service, s) for t, s in facts if t.service is not None),
        by_life_event=stats_by((t.life_event, s) for t, s in facts if t.life_event is not None),
        by_hour=stats_by((hour_label(local_hour(t.issued_at, zone)), s) for t, s in facts),
    )


def wait_histogram(seconds: Sequence[float]) -> list[HistogramBin]:
    """5-minute bins [from, to) up to 60 minutes, then one open-ended bin."""
    counts = Tally(min(int(s // 60 // WAIT_BIN_MINUTES), WAIT_BIN_LAST // WAIT_BIN_MINUTES) for s in seconds)
    bins = []
    for index in range(WAIT_BIN_LAST // WAIT_BIN_MINUTES + 1):
        start = index * WAIT_BIN_MINUTES
        end = start + WAIT_BIN_MINUTES if start < WAIT_BIN_LAST else None
        label = f"{start}-{end}" if end is not None else f"{start}+"
        bins.append(HistogramBin(bin=label, from_minutes=start, to_minutes=end, count=counts.get(index, 0)))
    return bins


def staff_minutes(stops: Sequence[StopFacts]) -> StaffMinutes:
    by_role: dict[str, float] = {str(role): 0.0 for role in Role}
    on_staff_only = city_on_staff_only = city_on_other = 0.0
    for stop in stops:
        seconds = _seconds(stop.called_at, stop.completed_at)
        role = str(stop.staff_role) if stop.staff_role is not None else "unknown"
        by_role[role] = by_role.get(role, 0.0) + seconds
        if stop.staff_only:
            on_staff_only += seconds
        if stop.staff_role in CITY_STAFF_ROLES:
            if stop.staff_only:
                city_on_staff_only += seconds
            else:
                city_on_other += seconds
    city = sum(by_role[str(role)] for role in CITY_STAFF_ROLES)
    contractor = by_role[str(Role.contractor)]
    return StaffMinutes(
        by_role={role: _minutes(seconds) for role, seconds in by_role.items()},
        city_staff=_minutes(city),
        contractor=_minutes(contractor),
        city_staff_on_staff_only=_minutes(city_on_staff_only),
        city_staff_on_other=_minutes(city_on_other),
        staff_only_steps=_minutes(on_staff_only),
        city_staff_share=round(city / (city + contractor), 4) if city + contractor > 0 else None,
    )


def service_times(stops: Sequence[StopFacts]) -> ServiceTimes:
    durations = [(stop, _seconds(stop.called_at, stop.completed_at)) for stop in stops]
    return ServiceTimes(
        all=duration_stats([seconds for _, seconds in durations]),
        by_service=stats_by((stop.service, seconds) for stop, seconds in durations),
        by_role=stats_by(
            (str(stop.staff_role) if stop.staff_role is not None else "unknown", seconds) for stop, seconds in durations
        ),
    )


# --- counters open per hour ----------------------------------------------------------------------


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day as a UTC interval [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def open_intervals(
    events: Sequence[CounterEvent], *, open_at_start: Iterable[int], start: datetime, end: datetime
) -> list[OpenInterval]:
    """Turn ordered opened/closed events into open intervals inside [start, end).

    A counter open when the window starts is open from `start`; one still open at the end is
    open until `end` (the caller passes min(end of day, now)). A repeated open is ignored.
    """
    opened: dict[int, datetime] = dict.fromkeys(open_at_start, start)
    intervals: list[OpenInterval] = []
    for event in sorted(events, key=lambda e: e.at):
        at = min(max(event.at, start), end)
        if event.opened:
            opened.setdefault(event.counter_id, at)
        elif event.counter_id in opened:
            since = opened.pop(event.counter_id)
            if at > since:
                intervals.append(OpenInterval(event.counter_id, since, at))
    intervals.extend(OpenInterval(counter, since, end) for counter, since in opened.items() if end > since)
    return sorted(intervals, key=lambda i: (i.counter_id, i.start))


def open_hours(intervals: Iterable[OpenInterval], *, day: date, zone: ZoneInfo) -> dict[int, dict[int, float]]:
    """Per counter, per local hour: the fraction of that hour it was open (0 … 1)."""
    slots = [(hour, *_hour_slot(day, hour, zone)) for hour in range(24)]
    result: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for interval in intervals:
        for hour, slot_start, slot_end in slots:
            overlap = _seconds(max(interval.start, slot_start), min(interval.end, slot_end))
            if overlap > 0:
                result[interval.counter_id][hour] += overlap / _seconds(slot_start, slot_end)
    return {counter: dict(hours) for counter, hours in result.items()}


def _hour_slot(day: date, hour: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local wall-clock hour as a UTC interval."""
    start = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(hours=1)


def counters_open_by_hour(per_counter: dict[int, dict[int, float]], counters: Iterable[int]) -> dict[int, float]:
    """Sum the open fractions of the given counters, hour by hour."""
    totals: dict[int, float] = defaultdict(float)
    for counter in counters:
        for hour, fraction in per_counter.get(counter, {}).items():
            totals[hour] += fraction
    return dict(totals)


# --- the figures every report shares --------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The figures a day, a month and a year have in common, each computed here and nowhere else."""

    totals: Totals
    waiting: DurationBreakdown
    stay: DurationBreakdown
    wait_seconds: list[float]
    service_time: ServiceTimes
    staff_minutes: StaffMinutes
    satisfaction: SatisfactionSummary


def waits(tickets: Iterable[TicketFacts]) -> list[tuple[TicketFacts, float]]:
    """Issue → first call, for each ticket that was called."""
    return [(t, _seconds(t.issued_at, t.first_called_at)) for t in tickets if t.first_called_at is not None]


def waited_so_far(tickets: Iterable[TicketFacts], now: datetime) -> list[float]:
    """Issue → now, for each ticket still waiting for its first call."""
    return [
        _seconds(t.issued_at, now) for t in tickets if t.first_called_at is None and t.status == TicketStatus.waiting
    ]


def stays(tickets: Iterable[TicketFacts]) -> list[tuple[TicketFacts, float]]:
    """Issue → last completion, for each visit that ended done."""
    return [
        (t, _seconds(t.issued_at, t.finished_at))
        for t in tickets
        if t.status == TicketStatus.done and t.finished_at is not None
    ]


def totals(tickets: Sequence[TicketFacts], stops: Sequence[StopFacts]) -> Totals:
    statuses = Tally(t.status for t in tickets)
    finished = (TicketStatus.done, TicketStatus.no_show, TicketStatus.cancelled)
    return Totals(
        issued=len(tickets),
        served=statuses[TicketStatus.done],
        no_show=statuses[TicketStatus.no_show],
        cancelled=statuses[TicketStatus.cancelled],
        unfinished=len(tickets) - sum(statuses[s] for s in finished),
        stops_completed=len(stops),
    )


def satisfaction_summary(answers: Sequence[AnswerFacts]) -> SatisfactionSummary:
    scores = Tally(answer.score for answer in answers)
    reasons = Tally(answer.reason for answer in answers if answer.reason is not None)
    return SatisfactionSummary(
        count=len(answers),
        mean=round(sum(scores.elements()) / len(answers), 2) if answers else None,
        distribution={str(score): scores.get(score, 0) for score in range(1, 6)},
        reasons={str(code): reasons.get(str(code), 0) for code in Reason},
    )


def figures(facts: Facts, zone: ZoneInfo) -> Figures:
    """Every shared figure of some business days' rows."""
    waited = waits(facts.tickets)
    return Figures(
        totals=totals(facts.tickets, facts.stops),
        waiting=breakdown(waited, zone),
        stay=breakdown(stays(facts.tickets), zone),
        wait_seconds=[seconds for _, seconds in waited],
        service_time=service_times(facts.stops),
        staff_minutes=staff_minutes(facts.stops),
        satisfaction=satisfaction_summary(facts.answers),
    )


def used_names(names: Names, facts: Iterable[Facts]) -> Names:
    """Only the services and life events the rows mention."""
    services: set[str | None] = set()
    life_events: set[str | None] = set()
    for rows in facts:
        services.update(t.service for t in rows.tickets)
        services.update(stop.service for stop in rows.stops)
        life_events.update(t.life_event for t in rows.tickets)
    return Names(
        services={k: v for k, v in names.services.items() if k in services},
        life_events={k: v for k, v in names.life_events.items() if k in life_events},
    )


# --- the daily report from rows --------------------------------------------------------------------


def compute_daily_report(
    *,
    branch_id: str,
    day: date,
    zone: ZoneInfo,
    business_hours: range,
    facts: Facts,
    intervals: Sequence[OpenInterval],
    public_counters: set[int],
    names: Names,
) -> DailyReport:
    """Every figure of one business day, from plain rows (no database)."""
    shared = figures(facts, zone)
    arrivals = Tally(local_hour(t.issued_at, zone) for t in facts.tickets)
    per_counter = open_hours(intervals, day=day, zone=zone)
    windows = counters_open_by_hour(per_counter, (c for c in per_counter if c in public_counters))
    desks = counters_open_by_hour(per_counter, (c for c in per_counter if c not in public_counters))
    busy_hours = set(arrivals) | {h for h, v in windows.items() if v > 0} | {h for h, v in desks.items() if v > 0}
    hours = sorted(set(business_hours) | busy_hours)
    return DailyReport(
        branch=branch_id,
        date=day,
        timezone=zone.key,
        percentile_method=PERCENTILE_METHOD,
        totals=shared.totals,
        waiting=shared.waiting,
        stay=shared.stay,
        wait_histogram=wait_histogram(shared.wait_seconds),
        service_time=shared.service_time,
        staff_minutes=shared.staff_minutes,
        hourly=[
            HourFigures(
                hour=hour,
                arrivals=arrivals.get(hour, 0),
                counters_open=round(windows.get(hour, 0.0), 2),
                desks_open=round(desks.get(hour, 0.0), 2),
            )
            for hour in hours
        ],
        satisfaction=shared.satisfaction,
        names=used_names(names, [facts]),
    )


# --- CSV: the same figures, one per row ----------------------------------------------------------

CSV_HEADER = ("section", "key", "metric", "value")


def report_rows(report: BaseModel) -> Iterator[tuple[str, str, str, str]]:
    """Flatten the JSON report into (section, key, metric, value) rows.

    The path of each figure in the JSON is section parts + key + metric: `waiting.by_service`,
    `moving_in`, `p90_minutes`. List items (hours, histogram bins) are keyed by their first field.
    Top-level scalars go to section `report`. Empty value = null.
    """
    yield from _flatten([], report.model_dump(mode="json"))


def _flatten(path: list[str], value: Any) -> Iterator[tuple[str, str, str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten([*path, str(key)], item)
    elif isinstance(value, list):
        for item in value:
            first, *_ = item
            yield from _flatten([*path, str(item[first])], {k: v for k, v in item.items() if k != first})
    else:
        text = "" if value is None else str(value)
        if len(path) == 1:
            yield "report", "", path[0], text
        elif len(path) == 2:
            yield path[0], "", path[1], text
        else:
            yield ".".join(path[:-2]), path[-2], path[-1], text


def report_csv(report: BaseModel) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(report_rows(report))
    return buffer.getvalue()


# --- reading the rows ----------------------------------------------------------------------------


def business_hours(branch: Branch) -> range:
    """Local hours the branch is open, e.g. 08:30–17:15 → 8 … 17."""
    return range(minutes_of_day(branch.opens_at) // 60, math.ceil(minutes_of_day(branch.closes_at) / 60))


def counter_intervals(session: Session, *, branch_id: str, start: datetime, end: datetime) -> list[OpenInterval]:
    """Open intervals of every counter of the branch within [start, end), from the event log."""
    kinds = (str(EventType.counter_opened), str(EventType.counter_closed))

    def last_before_start(kind: str) -> Any:
        # One seek per counter and kind in ix_event_counter_type, however long the log is.
        return (
            select(Event.id)
            .where(Event.counter_id == Counter.id, Event.type == kind, col(Event.at) < start)
            .order_by(col(Event.id).desc())
            .limit(1)
            .correlate(Counter)
            .scalar_subquery()
        )

    last_events = session.exec(
        select(Counter.id, last_before_start(kinds[0]), last_before_start(kinds[1])).where(
            Counter.branch_id == branch_id
        )
    ).all()
    open_at_start = {
        counter_id
        for counter_id, opened, closed in last_events
        if counter_id is not None and opened is not None and (closed is None or opened > closed)
    }
    rows = session.exec(
        select(Event.counter_id, Event.type, Event.at)
        .where(Event.branch_id == branch_id, col(Event.type).in_(kinds), col(Event.at) >= start, col(Event.at) < end)
        .order_by(col(Event.id))
    ).all()
    events = [
        CounterEvent(counter_id, kind == str(EventType.counter_opened), at)
        for counter_id, kind, at in rows
        if counter_id is not None
    ]
    return open_intervals(events, open_at_start=open_at_start, start=start, end=end)


def _without_parallel_workers(session: Session) -> None:
    """A day's rows are few, but PostgreSQL plans from a year of statistics and would start a
    parallel worker (some 10 ms) to read them: this transaction reads them itself."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")


def read_facts(session: Session, *, branch_id: str, first_on: date, end_on: date) -> Facts:
    """The rows of the tickets issued on business days [first_on, end_on), for any report.

    Every read is bounded by the period, never by the history: the tickets through the
    (branch_id, business_on, …) unique index; their calls, stops and answers through the ticket_id
    indexes, within the span of those tickets' ids. The span is only a bound (the join on the
    tickets decides), but it lets PostgreSQL seek a month of stops rather than hash the whole table.
    Bookings themselves are counted by the daily report (server/reports/appointments.py).
    """
    in_period = (
        col(Ticket.branch_id) == branch_id,
        col(Ticket.business_on) >= first_on,
        col(Ticket.business_on) < end_on,
    )
    # Plain columns, not entities: a year is many rows, and a report needs a few fields of each.
    ticket_rows = session.execute(
        sql_select(
            col(Ticket.id),
            col(Ticket.business_on),
            col(Service.key),
            col(LifeEvent.key),
            col(Ticket.status),
            col(Ticket.issued_at),
            col(Ticket.finished_at),
            col(Ticket.appointment),
        )
        .outerjoin(Service, col(Service.id) == Ticket.service_id)
        .outerjoin(LifeEvent, col(LifeEvent.id) == Ticket.life_event_id)
        .where(*in_period)
    ).all()
    if not ticket_rows:
        return Facts(tickets=[], stops=[], answers=[])
    lowest, highest = min(row[0] for row in ticket_rows), max(row[0] for row in ticket_rows)
    first_calls: dict[int | None, datetime] = dict(
        session.execute(
            sql_select(col(Event.ticket_id), func.min(Event.at))
            .join(Ticket, col(Ticket.id) == Event.ticket_id)
            .where(
                col(Event.type) == str(EventType.ticket_called),
                col(Event.ticket_id).between(lowest, highest),
                *in_period,
            )
            .group_by(col(Event.ticket_id))
        )
        .tuples()
        .all()
    )
    stop_rows = session.execute(
        sql_select(
            col(Ticket.business_on),
            col(Service.key),
            col(Service.staff_only),
            col(Stop.staff_role),
            col(Stop.called_at),
            col(Stop.started_at),
            col(Stop.completed_at),
        )
        .select_from(Stop)
        .join(Ticket, col(Ticket.id) == Stop.ticket_id)
        .join(Service, col(Service.id) == Stop.service_id)
        .where(*in_period, col(Stop.ticket_id).between(lowest, highest), col(Stop.status) == StopStatus.done)
    ).all()
    answer_rows = session.execute(
        sql_select(col(Ticket.business_on), col(SatisfactionResponse.score), col(SatisfactionResponse.reason))
        .select_from(SatisfactionResponse)
        .join(Ticket, col(Ticket.id) == SatisfactionResponse.ticket_id)
        .where(*in_period, col(SatisfactionResponse.ticket_id).between(lowest, highest))
    ).all()
    return Facts(
        tickets=[
            TicketFacts(
                business_on,
                service,
                life_event,
                status,
                issued_at,
                first_calls.get(ticket_id),
                finished_at,
                appointment,
            )
            for ticket_id, business_on, service, life_event, status, issued_at, finished_at, appointment in ticket_rows
        ],
        stops=[
            StopFacts(business_on, key, staff_only, role, called_at or started_at or completed_at, completed_at)
            for business_on, key, staff_only, role, called_at, started_at, completed_at in stop_rows
            if completed_at is not None
        ],
        answers=[AnswerFacts(*row) for row in answer_rows],
    )


def daily_report(session: Session, *, branch_id: str, business_on: date, now: datetime) -> DailyReport:
    _without_parallel_workers(session)
    branch = get_branch(session, branch_id)
    zone = ZoneInfo(branch.timezone)
    facts = read_facts(session, branch_id=branch.id, first_on=business_on, end_on=business_on + timedelta(days=1))
    start, end = day_bounds(business_on, zone)
    intervals = counter_intervals(session, branch_id=branch.id, start=start, end=max(start, min(end, now)))
    public_counters = set(
        session.exec(select(Counter.id).where(Counter.branch_id == branch.id, col(Counter.public))).all()
    )
    report = compute_daily_report(
        branch_id=branch.id,
        day=business_on,
        zone=zone,
        business_hours=business_hours(branch),
        facts=facts,
        intervals=intervals,
        public_counters={c for c in public_counters if c is not None},
        names=names_of(session, branch.id),
    )
    if business_on == business_day(branch, now):
        report.not_yet_called = duration_stats(waited_so_far(facts.tickets, now))
    from server.reports.appointments import appointment_figures  # it reads this module's helpers

    report.appointments = appointment_figures(
        session,
        branch=branch,
        first_on=business_on,
        end_on=business_on + timedelta(days=1),
        tickets=list(facts.tickets),
        now=now,
    )
    return report


def names_of(session: Session, branch_id: str) -> Names:
    services = session.exec(select(Service).where(Service.branch_id == branch_id).order_by(col(Service.position)))
    life_events = session.exec(
        select(LifeEvent).where(LifeEvent.branch_id == branch_id).order_by(col(LifeEvent.position))
    )
    return Names(
        services={s.key: Name(name=s.name_ja, name_en=s.name_en) for s in services},
        life_events={e.key: Name(name=e.name_ja, name_en=e.name_en) for e in life_events},
    )


def report_day(session: Session, *, branch_id: str, day: date | None, now: datetime) -> date:
    """The requested business day, or today in the branch's time zone."""
    return day if day is not None else business_day(get_branch(session, branch_id), now)
