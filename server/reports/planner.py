"""Staffing planner: how many counters each service group needs, hour by hour, for a target mean wait.

A *service group* is the set of services served by exactly the same counters (in the demo:
転入・転居・戸籍の届出 at windows 1–5, 保険・年金 at 10–11, 入力 at desks B1–B2 …): it is the
unit a supervisor staffs, because any of those counters can take any of those tickets. A counter
shared by two groups (window 5 also takes interpreter tickets) appears in both.

Demand comes from the recorded days of the chosen day type (stops that reached each group, by
local hour of arrival at that group, averaged over those days; service time = mean called →
completed of the group's completed stops). With no recorded day of that type it falls back to the
reference's demand estimates below, spread over the catalog's typical minutes.
"""

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.models import Branch, Counter, CounterService, Queue, Service, Stop, StopStatus, Ticket
from server.reports.schemas import DayType, DemandSource, StaffingGroup, StaffingHour, StaffingPlan
from server.reports.service import business_hours, counter_intervals, counters_open_by_hour, day_bounds, open_hours
from server.tickets.service import get_branch
from server.tickets.views import counters_text

# --- default demand profile ----------------------------------------------------------------------
# From /work/shared/reference/city_hall.yaml `demand_est` (all "est": reasoned estimates for a city
# of ~180,000 people, scaled from 松阪市; hourly shape from 大船渡市's table renormalised to
# 08:30–17:15). Used only when no day of the requested type has been recorded yet.
CITY_HALL_VISITORS_PER_WEEKDAY = 1100
SHARE_CITIZEN_COUNTERS = 0.37
HOURLY_SHARE = {8: 0.04, 9: 0.135, 10: 0.165, 11: 0.135, 12: 0.085, 13: 0.12, 14: 0.12, 15: 0.10, 16: 0.085, 17: 0.015}
# day_factors.monday = 1.3; season_factors.mar15_apr10 = 2.5 (1 April alone is 4.0: a planner for
# that one day should be run on a recorded 1 April, not on the estimate).
DAY_FACTOR = {DayType.normal: 1.0, DayType.monday: 1.3, DayType.peak: 2.5}
PEAK_SEASON = ((3, 15), (4, 10))  # season_factors.mar15_apr10, inclusive
# Share of one-stop visits by ticket queue (prefix). Not in the reference: est, from its annual
# cases (moving in/out/within ≈ 22,000 a year ≈ 90 a day → A; births, deaths, marriages,
# divorces ≈ 4,300 a year → B) and certificates being the largest single flow. A queue's share is
# spread evenly over its kiosk services; queues not listed (back office, reservations) get none.
QUEUE_SHARE_EST = {
    "A": 0.24,
    "B": 0.05,
    "C": 0.32,
    "D": 0.10,
    "E": 0.12,
    "F": 0.06,
    "W": 0.04,
    "T": 0.06,
    "X": 0.01,
}

RECORDED_LOOKBACK_DAYS = 91
MAX_COUNTERS = 200
# A stop completed the instant it was called (a slip of the finger) must not make service free.
MIN_SERVICE_MINUTES = 0.5


# --- Erlang C ------------------------------------------------------------------------------------


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival has to wait, in an M/M/c queue with load a = λ/μ (Erlangs).

    Computed through the Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), then
    C = c·B / (c − a·(1 − B)): stable for large c where a^c/c! would overflow. 1 when the queue is
    unstable (a ≥ c): the wait grows without bound.
    """
    if servers < 1:
        raise ValueError("at least one server")
    if offered_load <= 0:
        return 0.0
    if offered_load >= servers:
        return 1.0
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return servers * blocking / (servers - offered_load * (1 - blocking))


def mean_wait_hours(servers: int, arrivals_per_hour: float, services_per_hour: float) -> float:
    """Expected wait in queue Wq = C(c, a) / (c·μ − λ) in hours; infinite when c·μ ≤ λ."""
    if arrivals_per_hour <= 0:
        return 0.0
    if servers * services_per_hour <= arrivals_per_hour:
        return math.inf
    probability = erlang_c(servers, arrivals_per_hour / services_per_hour)
    return probability / (servers * services_per_hour - arrivals_per_hour)


def counters_needed(arrivals_per_hour: float, service_minutes: float, target_wait_minutes: float) -> int:
    """The smallest number of counters c whose Erlang C mean wait is at most the target.

    Why Erlang C: it is the standard closed form for "how many agents for this traffic and this
    wait" (call centres, counters), needs only the arrival rate and the mean service time that the
    event log records, and answers per hour. Its limits, which the page states: it assumes Poisson
    arrivals and exponential service times (real service times vary less, so it errs on the side
    of one counter too many), no one leaving the queue, every counter of the group able to take
    every ticket, and a steady state within each hour (the morning rush carries over into the
    next hour; the model starts each hour empty, so it errs the other way after a rush). Treat
    the answer as a planning guide next to what was actually open, not as a rule.
    """
    if service_minutes <= 0:
        raise ValueError("service time must be positive")
    if arrivals_per_hour <= 0:
        return 0
    services_per_hour = 60 / service_minutes
    # Stability needs c > a; start there instead of at 1.
    servers = max(1, math.floor(arrivals_per_hour / services_per_hour) + 1)
    while mean_wait_hours(servers, arrivals_per_hour, services_per_hour) * 60 > target_wait_minutes:
        servers += 1
        if servers > MAX_COUNTERS:
            return MAX_COUNTERS
    return servers


# --- day types -----------------------------------------------------------------------------------


def day_type_of(day: date) -> DayType:
    """Peak season (15 March – 10 April) first, then Mondays, else a normal day."""
    (start_month, start_day), (end_month, end_day) = PEAK_SEASON
    if (start_month, start_day) <= (day.month, day.day) <= (end_month, end_day):
        return DayType.peak
    return DayType.monday if day.weekday() == 0 else DayType.normal


# --- groups --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceGroup:
    counters: tuple[Counter, ...]
    services: tuple[Service, ...]

    @property
    def key(self) -> str:
        return "+".join(counter.code for counter in self.counters)


def service_groups(session: Session, *, branch_id: str) -> list[ServiceGroup]:
    """Services grouped by the exact set of counters that serve them, in counter order."""
    rows = session.exec(
        select(Service, Counter)
        .join(CounterService, col(CounterService.service_id) == Service.id)
        .join(Counter, col(Counter.id) == CounterService.counter_id)
        .where(Service.branch_id == branch_id, col(Service.active), col(Counter.active))
        .order_by(col(Counter.position), col(Counter.id), col(Service.position))
    ).all()
    counters: dict[int, Counter] = {}
    services: dict[int, Service] = {}
    counters_of: dict[int, list[int]] = defaultdict(list)
    for service, counter in rows:
        assert service.id is not None
        assert counter.id is not None
        services[service.id], counters[counter.id] = service, counter
        counters_of[service.id].append(counter.id)
    grouped: dict[tuple[int, ...], list[Service]] = defaultdict(list)
    for service_id, counter_ids in counters_of.items():
        grouped[tuple(counter_ids)].append(services[service_id])
    return [
        ServiceGroup(tuple(counters[c] for c in counter_ids), tuple(sorted(members, key=lambda s: s.position)))
        for counter_ids, members in grouped.items()
    ]


# --- demand --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    arrivals: dict[int, float]  # local hour → arrivals per hour
    service_minutes: float
    service_minutes_source: DemandSource


def recorded_days(session: Session, *, branch_id: str, day_type: DayType, until: date) -> list[date]:
    since = until - timedelta(days=RECORDED_LOOKBACK_DAYS)
    days = session.exec(
        select(col(Ticket.business_on))
        .where(Ticket.branch_id == branch_id, col(Ticket.business_on) > since, col(Ticket.business_on) <= until)
        .distinct()
    ).all()
    return sorted(day for day in days if day_type_of(day) == day_type)


def recorded_demand(
    session: Session, *, groups: Sequence[ServiceGroup], days: Sequence[date], zone: ZoneInfo, branch_id: str
) -> dict[str, Demand]:
    """Mean arrivals per local hour and mean service time per group over the recorded days."""
    group_of = {service.id: group.key for group in groups for service in group.services}
    stops = session.exec(
        select(Stop)
        .join(Ticket, col(Ticket.id) == Stop.ticket_id)
        .where(Ticket.branch_id == branch_id, col(Ticket.business_on).in_(list(days)))
    ).all()
    arrivals: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    durations: dict[str, list[float]] = defaultdict(list)
    for stop in stops:
        key = group_of.get(stop.service_id)
        if key is None or stop.waiting_since is None:
            continue  # a stop never reached (skipped, still pending) made no demand
        arrivals[key][stop.waiting_since.astimezone(zone).hour] += 1 / len(days)
        if stop.status == StopStatus.done and stop.called_at is not None and stop.completed_at is not None:
            durations[key].append((stop.completed_at - stop.called_at).total_seconds() / 60)
    demand = {}
    for group in groups:
        minutes = durations.get(group.key)
        demand[group.key] = Demand(
            arrivals=dict(arrivals.get(group.key, {})),
            service_minutes=max(sum(minutes) / len(minutes), MIN_SERVICE_MINUTES)
            if minutes
            else _typical_minutes(group.services),
            service_minutes_source=DemandSource.recorded if minutes else DemandSource.estimate,
        )
    return demand


def _typical_minutes(services: Sequence[Service], weights: Sequence[float] | None = None) -> float:
    weights = weights if weights is not None and sum(weights) > 0 else [1.0] * len(services)
    return sum(s.typical_minutes * w for s, w in zip(services, weights, strict=True)) / sum(weights)


def estimated_demand(
    session: Session, *, groups: Sequence[ServiceGroup], day_type: DayType, branch_id: str
) -> dict[str, Demand]:
    """The reference's estimate: daily visitors × hourly shape × day factor × queue share."""
    prefixes = dict(session.exec(select(Queue.id, Queue.prefix).where(Queue.branch_id == branch_id)).all())
    kiosk_services: dict[str, int] = defaultdict(int)
    for group in groups:
        for service in group.services:
            if service.kiosk:
                kiosk_services[prefixes[service.queue_id]] += 1
    daily = CITY_HALL_VISITORS_PER_WEEKDAY * SHARE_CITIZEN_COUNTERS * DAY_FACTOR[day_type]
    demand = {}
    for group in groups:
        shares = [
            QUEUE_SHARE_EST.get(prefixes[s.queue_id], 0.0) / kiosk_services[prefixes[s.queue_id]] if s.kiosk else 0.0
            for s in group.services
        ]
        per_day = daily * sum(shares)
        demand[group.key] = Demand(
            arrivals={hour: per_day * share for hour, share in HOURLY_SHARE.items()} if per_day > 0 else {},
            service_minutes=_typical_minutes(group.services, shares),
            service_minutes_source=DemandSource.estimate,
        )
    return demand


# --- the plan ------------------------------------------------------------------------------------


def staffing_plan(
    session: Session,
    *,
    branch_id: str,
    day: date,
    day_type: DayType | None,
    target_wait_minutes: float,
    now: datetime,
) -> StaffingPlan:
    branch: Branch = get_branch(session, branch_id)
    zone = ZoneInfo(branch.timezone)
    kind = day_type or day_type_of(day)
    groups = service_groups(session, branch_id=branch.id)
    days = recorded_days(session, branch_id=branch.id, day_type=kind, until=day)
    if days:
        demand = recorded_demand(session, groups=groups, days=days, zone=zone, branch_id=branch.id)
    else:
        demand = estimated_demand(session, groups=groups, day_type=kind, branch_id=branch.id)
    start, end = day_bounds(day, zone)
    intervals = counter_intervals(session, branch_id=branch.id, start=start, end=max(start, min(end, now)))
    per_counter = open_hours(intervals, day=day, zone=zone)
    hours = sorted(set(business_hours(branch)) | {h for d in demand.values() for h, v in d.arrivals.items() if v > 0})
    result = []
    for group in groups:
        need = demand[group.key]
        actual = counters_open_by_hour(per_counter, (counter.id for counter in group.counters if counter.id))
        rows = []
        for hour in hours:
            arrivals = need.arrivals.get(hour, 0.0)
            needed = counters_needed(arrivals, need.service_minutes, target_wait_minutes)
            wait = mean_wait_hours(needed, arrivals, 60 / need.service_minutes) * 60 if needed else None
            rows.append(
                StaffingHour(
                    hour=hour,
                    arrivals=round(arrivals, 2),
                    needed=needed,
                    expected_wait_minutes=round(wait, 2) if wait is not None and math.isfinite(wait) else None,
                    actually_open=round(actual.get(hour, 0.0), 2),
                )
            )
        first = group.counters[0]
        result.append(
            StaffingGroup(
                key=group.key,
                name=first.name_ja,
                name_en=first.name_en,
                counters=counters_text(group.counters) or group.key,
                services=[service.key for service in group.services],
                service_minutes=round(need.service_minutes, 2),
                service_minutes_source=need.service_minutes_source,
                hours=rows,
            )
        )
    return StaffingPlan(
        branch=branch.id,
        date=day,
        day_type=kind,
        target_wait_minutes=target_wait_minutes,
        source=DemandSource.recorded if days else DemandSource.estimate,
        recorded_days=days,
        groups=result,
        method="Erlang C (M/M/c): smallest c with expected mean wait ≤ target, per hour",
    )
