"""The demo city hall's day as data: who comes when and for what, how they answer the kiosk,
how long each step takes, and how many counters are open when. Pure functions of a seed.

Demand constants are copied from /work/shared/reference/city_hall.yaml `demand_est` (the values
there are estimates scaled from published figures; see the comments next to each).
"""

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.catalog.schemas import CityHallConfig, CounterSpec, ServiceSpec

JST = ZoneInfo("Asia/Tokyo")

# --- demand: city_hall.yaml `demand_est` ----------------------------------------------------
CITY_HALL_VISITORS_PER_WEEKDAY = 1100  # scaled from 松阪市 (~1000/day, pop ~160k)
SHARE_CITIZEN_COUNTERS = 0.37  # of the visitors, those who take a number at these counters
# Share of the day's arrivals by hour, renormalised to 08:30-17:15 (大船渡市 table). "08" is
# 08:30-09:00; "17" is the last quarter hour, which we place at 16:45-17:00 because the demo
# city hall stops issuing at 17:00.
HOURLY_SHARE = {8: 0.04, 9: 0.135, 10: 0.165, 11: 0.135, 12: 0.085, 13: 0.12, 14: 0.12, 15: 0.10, 16: 0.085, 17: 0.015}
DAY_FACTORS = {"monday": 1.3, "after_long_holiday": 1.5, "month_start_end": 1.2, "auspicious_day_marriage": 1.2}
SEASON_FACTORS = {"mar15_apr10": 2.5, "apr_1": 4.0, "jun_jul_tax_certificates": 1.2}
# Life-event cases per year, keyed by the demo configuration's life-event ids.
ANNUAL_CASES = {
    "move_in": 7000,
    "move_out": 7000,
    "move_within": 8000,
    "birth": 1100,
    "death": 2300,
    "marriage": 650,
    "divorce": 280,
}
BUSINESS_DAYS_PER_YEAR = 243  # est: 365 - weekends - 16 holidays - year-end closure

NORMAL_TICKETS = round(CITY_HALL_VISITORS_PER_WEEKDAY * SHARE_CITIZEN_COUNTERS)
LIFE_EVENT_SHARE = sum(ANNUAL_CASES.values()) / BUSINESS_DAYS_PER_YEAR / NORMAL_TICKETS


@dataclass(frozen=True)
class DayKind:
    name: str
    on: date
    tickets: int
    why: str


DAYS = {
    "normal": DayKind("normal", date(2026, 5, 13), NORMAL_TICKETS, "a Wednesday outside the moving season"),
    "monday": DayKind(
        "monday", date(2026, 5, 11), round(NORMAL_TICKETS * DAY_FACTORS["monday"]), "a Monday (day factor 1.3)"
    ),
    # The design-for worst case: 1 April's season factor with every day factor stacked on it.
    "peak": DayKind(
        "peak",
        date(2026, 4, 1),
        round(
            NORMAL_TICKETS
            * SEASON_FACTORS["apr_1"]
            * DAY_FACTORS["monday"]
            * DAY_FACTORS["month_start_end"]
            * DAY_FACTORS["auspicious_day_marriage"]
        ),
        "1 April (×4.0) with the Monday, month-start and auspicious-day factors stacked",
    ),
}

# --- estimates of ours (not in the reference) ------------------------------------------------
# Single-procedure tickets: certificates dominate a one-stop counter's day.
SINGLE_SERVICE_MIX = {
    "certificate": 0.55,
    "mynumber_update": 0.06,
    "mynumber_return": 0.02,
    "seal_registration": 0.03,
    "residence_card": 0.01,
    "nhi_change": 0.04,
    "nhi_enroll": 0.02,
    "nhi_withdraw": 0.02,
    "pension": 0.03,
    "late_elderly": 0.03,
    "pension_death": 0.01,
    "child_allowance": 0.02,
    "child_medical": 0.02,
    "maternal_health": 0.02,
    "single_parent": 0.01,
    "ltc_insurance": 0.02,
    "disability_cert": 0.01,
    "welfare_consult": 0.02,
    "tax_general": 0.04,
    "moped": 0.01,
    "interpreter": 0.01,
}
# Kiosk questions: how often a visitor answers yes (est), and per life event where it differs.
YES_RATES = {
    "is_foreign_resident": 0.05,
    "has_mynumber_card": 0.75,
    "wants_seal_registration": 0.15,
    "national_health_insurance": 0.25,
    "over_65": 0.12,
    "over_75": 0.06,
    "has_children": 0.30,
    "has_school_children": 0.15,
    "pregnant": 0.05,
    "has_disability_certificate": 0.05,
    "owns_moped": 0.05,
    "name_changes": 0.50,
    "moves_within_city": 0.30,
    "moves_from_other_city": 0.30,
    "has_seal_registration": 0.50,
    "was_household_head": 0.50,
    "receives_pension": 0.80,
    "owns_real_estate": 0.40,
    "files_death_registration": 0.30,  # usually the funeral company has filed it
}
YES_RATES_BY_EVENT = {
    "death": {"over_65": 0.85, "over_75": 0.70, "has_children": 0.02, "deceased_national_health_insurance": 0.40},
    "birth": {"has_children": 1.0},
    "divorce": {"has_children": 0.55, "name_changes": 0.60},
}
PRIORITY_SHARE = 0.03  # arranged by the concierge (合理的配慮), never self-declared at the kiosk
ENGLISH_SHARE = 0.05
NO_SHOW_FIRST_STOP = 0.03
NO_SHOW_LATER_STOP = 0.01
TRANSFER_TO_STAFF_SHARE = 0.02  # an intake the contractor hands to municipal staff (説明)
RETURN_SHARE = 0.03  # a review returned to the contractor team with a reason code (差戻し)
INTAKE_SERVICES = frozenset(
    {
        "moving_in",
        "moving_within",
        "moving_out",
        "household_change",
        "residence_card",
        "seal_registration",
        "birth_reg",
        "marriage_reg",
        "divorce_reg",
        "death_reg",
    }
)
RESERVATION_SLOTS = (time(9, 0), time(10, 30), time(13, 30), time(15, 0))  # おくやみコーナー
SERVICE_TIME_SIGMA = 0.45  # lognormal spread around each service's configured minutes
WALK_SECONDS_MEAN = 45.0
RECALL_AFTER_SECONDS = 120.0  # announcements.recall_after_seconds in the demo configuration
MAX_RECALLS = 2
# Expected wait between two stops of a route, only used to place work in the staffing plan.
PLANNING_WAIT_MINUTES = 8.0
TARGET_UTILISATION = 0.85
BACKLOG_MINUTES_PER_COUNTER = 30.0

OPENS_AT = time(8, 30)
LAST_TICKET_AT = time(17, 0)
CLOSES_AT = time(17, 15)
CLOCK_STARTS_AT = time(8, 20)  # staff sign in and open counters before the doors open


def lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    """A lognormal draw whose mean (not median) is `mean`."""
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


@dataclass(frozen=True)
class Arrival:
    """One visitor: what they ask for at the kiosk (or the concierge), and when."""

    index: int
    at: datetime
    life_event: str | None = None
    service: str | None = None
    answers: dict[str, bool] = field(default_factory=dict)
    language: str = "ja"
    priority: str | None = None
    by_staff: bool = False  # issued by the concierge: priority, reservations

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"language": self.language}
        if self.life_event is not None:
            body |= {"life_event": self.life_event, "answers": self.answers}
        else:
            body["service"] = self.service
        if self.priority is not None:
            body["priority"] = self.priority
        return body


class Behaviour:
    """Each visitor's and each step's randomness, keyed by who and where, not by call order, so
    the same seed gives the same visitors whatever the timing of the run."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def _rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.seed, *key)))

    def absent(self, index: int | None, position: int) -> bool:
        """The visitor does not come when called (a ticket nobody holds never comes)."""
        if index is None:
            return True
        rate = NO_SHOW_FIRST_STOP if position == 0 else NO_SHOW_LATER_STOP
        return self._rng(index, position, "absent").random() < rate

    def walk_seconds(self, index: int | None, position: int) -> float:
        return lognormal(self._rng(index, position, "walk"), WALK_SECONDS_MEAN, 0.5)

    def service_minutes(self, index: int | None, position: int, typical: float, attempt: int = 0) -> float:
        return lognormal(self._rng(index, position, attempt, "minutes"), typical, SERVICE_TIME_SIGMA)

    def hands_to_staff(self, index: int | None, position: int) -> bool:
        return self._rng(index, position, "transfer").random() < TRANSFER_TO_STAFF_SHARE

    def returned(self, index: int | None, position: int) -> bool:
        return self._rng(index, position, "return").random() < RETURN_SHARE

    def pick(self, index: int | None, what: str, options: Sequence[str]) -> str:
        return self._rng(index, what).choice(list(options))


def local(on: date, at: time) -> datetime:
    return datetime.combine(on, at, tzinfo=JST)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


def _hour_window(on: date, hour: int) -> tuple[datetime, datetime]:
    if hour == 8:
        return local(on, OPENS_AT), local(on, time(9, 0))
    if hour == 17:
        return local(on, time(16, 45)), local(on, LAST_TICKET_AT)
    return local(on, time(hour, 0)), local(on, time(hour + 1, 0))


def arrivals(
    config: CityHallConfig, *, on: date, tickets: int, seed: int, priority_keys: Sequence[str]
) -> list[Arrival]:
    """The day's visitors, in arrival order: the hourly shape, the life-event mix, kiosk answers."""
    rng = random.Random(seed)
    hours = list(HOURLY_SHARE)
    questions = {event.id: list(event.questions) for event in config.life_events}
    kiosk_services = {service.id for service in config.services if service.kiosk}
    mix = {key: share for key, share in SINGLE_SERVICE_MIX.items() if key in kiosk_services}
    life_mix = {key: float(cases) for key, cases in ANNUAL_CASES.items() if key in questions}
    moments = []
    for _ in range(tickets):
        start, end = _hour_window(on, rng.choices(hours, weights=[HOURLY_SHARE[h] for h in hours])[0])
        moments.append(start + (end - start) * rng.random())
    moments.sort()
    visitors: list[Arrival] = []
    for moment in moments:
        index = len(visitors)
        language = "en" if rng.random() < ENGLISH_SHARE else "ja"
        priority = rng.choice(list(priority_keys)) if priority_keys and rng.random() < PRIORITY_SHARE else None
        if rng.random() < LIFE_EVENT_SHARE:
            event = _weighted(rng, life_mix)
            rates = YES_RATES | YES_RATES_BY_EVENT.get(event, {})
            answers = {question: rng.random() < rates.get(question, 0.2) for question in questions[event]}
            visitors.append(
                Arrival(index, moment, life_event=event, answers=answers, language=language, priority=priority)
            )
        else:
            visitors.append(Arrival(index, moment, service=_weighted(rng, mix), language=language, priority=priority))
        if priority is not None:
            visitors[-1] = replace(visitors[-1], by_staff=True)
    reservations = [
        Arrival(0, local(on, slot), service="okuyami_session", by_staff=True)
        for slot in RESERVATION_SLOTS
        if any(service.id == "okuyami_session" for service in config.services)
    ]
    merged = sorted([*visitors, *reservations], key=lambda arrival: arrival.at)
    return [replace(arrival, index=index) for index, arrival in enumerate(merged)]


def route(config: CityHallConfig, arrival: Arrival) -> list[str]:
    """The services this visitor's ticket visits, as the server will route it."""
    if arrival.service is not None:
        return [arrival.service]
    event = next(event for event in config.life_events if event.id == arrival.life_event)
    return [stop.service for stop in event.stops if all(arrival.answers.get(q, False) for q in stop.when)]


# --- staffing ---------------------------------------------------------------------------------


def staff_role(counter: CounterSpec, services: dict[str, ServiceSpec], *, twin_index: int = 0) -> str:
    """Who sits at a counter: the contract says contractor or staff; a mixed counter gets
    municipal staff where it handles a decision reserved for them, alternating with contractors
    across identical counters."""
    if counter.staffed_by == "contractor":
        return "contractor"
    if counter.staffed_by == "staff":
        return "municipal"
    needs_staff = any(services[key].staff_only for key in counter.services)
    return "municipal" if needs_staff and twin_index % 2 == 0 else "contractor"


def _components(counters: Sequence[CounterSpec]) -> list[list[CounterSpec]]:
    """Counters that share services, directly or through another counter, work one pool."""
    parent = list(range(len(counters)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_service: dict[str, int] = {}
    for i, counter in enumerate(counters):
        for key in counter.services:
            if key in by_service:
                parent[find(i)] = find(by_service[key])
            else:
                by_service[key] = i
    groups: dict[int, list[CounterSpec]] = defaultdict(list)
    for i, counter in enumerate(counters):
        groups[find(i)].append(counter)
    return list(groups.values())


@dataclass
class Pool:
    counters: list[str]  # counter ids in opening order
    services: set[str]
    open_by_hour: dict[int, int] = field(default_factory=dict)

    def open_count(self, hour: int) -> int:
        if hour in self.open_by_hour:
            return self.open_by_hour[hour]
        known = sorted(self.open_by_hour)
        return self.open_by_hour[known[-1] if hour > known[-1] else known[0]] if known else 1


@dataclass
class StaffingPlan:
    config: CityHallConfig  # with any temporary counters added
    roles: dict[str, str]  # counter id -> contractor | municipal
    pools: list[Pool]
    temporary: list[str]
    work_minutes: dict[str, float]  # expected minutes of work per service
    minutes: dict[str, float] = field(default_factory=dict)  # configured minutes per service

    def pool_of(self, counter_id: str) -> Pool:
        return next(pool for pool in self.pools if counter_id in pool.counters)

    def should_be_open(
        self, counter_id: str, at: datetime, waiting: Mapping[str, int] | None = None, *, is_open: bool = False
    ) -> bool:
        """The roster for this hour, plus help from the back room when a queue grows long: one
        more counter per BACKLOG_MINUTES_PER_COUNTER of waiting work (as floor managers do),
        staying until the backlog is down to half that (no opening and closing every minute)."""
        pool = self.pool_of(counter_id)
        count = pool.open_count(at.astimezone(JST).hour)
        if waiting:
            backlog = sum(n * self.minutes.get(key, 0.0) for key, n in waiting.items() if key in pool.services)
            per_counter = BACKLOG_MINUTES_PER_COUNTER / (2 if is_open else 1)
            count = max(count, math.ceil(backlog / per_counter - 1e-9))
        return pool.counters.index(counter_id) < count


def _expected_work(
    config: CityHallConfig, visitors: Iterable[Arrival]
) -> tuple[dict[str, dict[int, float]], dict[str, float]]:
    """Minutes of work per service per hour, each stop placed where it will roughly happen."""
    # A counter is busy from the call: the walk to the window counts too.
    minutes = {
        service.id: service.minutes + (WALK_SECONDS_MEAN / 60 if service.citizen_present else 0)
        for service in config.services
    }
    by_hour: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[str, float] = defaultdict(float)
    for visitor in visitors:
        at = visitor.at.astimezone(JST)
        for key in route(config, visitor):
            at += timedelta(minutes=PLANNING_WAIT_MINUTES)
            by_hour[key][at.hour] += minutes[key]
            totals[key] += minutes[key]
            at += timedelta(minutes=minutes[key])
    return by_hour, totals


def staffing_plan(config: CityHallConfig, visitors: Sequence[Arrival]) -> StaffingPlan:
    """How many counters each pool opens per hour for the expected work (at ~85 % utilisation),
    adding temporary counters (臨時窓口, as city halls do in the moving season) where the demo
    city hall has too few. Every procedure with work that day keeps a counter open that may
    handle it (a contractor never takes a decision reserved for municipal staff)."""
    work, totals = _expected_work(config, visitors)
    services = {service.id: service for service in config.services}
    counters = list(config.counters)
    temporary: list[str] = []
    taken = {counter.id for counter in counters}
    groups: list[tuple[list[CounterSpec], dict[int, int]]] = []
    for group in _components(config.counters):
        keys = {key for counter in group for key in counter.services}
        # Minutes of work per minute of the hour, smoothed over neighbouring hours: a queue
        # absorbs a busy half hour, and staff are rostered by the hour, not by the minute.
        rate = {
            hour: sum(work[key].get(hour, 0.0) for key in keys) / (30 if hour == 8 else 60) for hour in range(7, 25)
        }
        hourly: dict[int, int] = {}
        for hour in range(8, 24):
            smooth = 0.25 * rate[hour - 1] + 0.5 * rate[hour] + 0.25 * rate[hour + 1]
            hourly[hour] = math.ceil(smooth / TARGET_UTILISATION - 1e-9) if smooth else 0
        # The tail of the day keeps the staff of the last busy hour until the queue is empty.
        busiest_late = max(hourly[hour] for hour in range(16, 24))
        for hour in range(17, 24):
            hourly[hour] = busiest_late
        busiest = max(group, key=lambda counter: sum(totals.get(key, 0.0) for key in counter.services))
        extra = []
        for n in range(max(hourly.values()) - len(group)):
            extra.append(_clone(busiest, taken, n))
            taken.add(extra[-1].id)
        counters.extend(extra)
        temporary += [counter.id for counter in extra]
        groups.append(([*group, *extra], hourly))
    roles: dict[str, str] = {}
    twins: dict[tuple[str, ...], int] = defaultdict(int)
    for counter in counters:
        signature = tuple(sorted(counter.services))
        roles[counter.id] = staff_role(counter, services, twin_index=twins[signature])
        twins[signature] += 1
    pools = []
    for members, hourly in groups:
        keys = {key for counter in members for key in counter.services}
        ordered = _covering_first(members, roles, services, {key for key in keys if totals.get(key)})
        cover = len(ordered.cover)
        if cover:
            hourly = {hour: min(max(count, cover), len(members)) for hour, count in hourly.items()}
        pools.append(Pool(counters=[counter.id for counter in ordered.counters], services=keys, open_by_hour=hourly))
    extended = config.model_copy(update={"counters": counters})
    minutes = {service.id: service.minutes for service in config.services}
    return StaffingPlan(extended, roles, pools, temporary, dict(totals), minutes)


@dataclass
class _Ordered:
    counters: list[CounterSpec]
    cover: list[CounterSpec]


def _covering_first(
    members: Sequence[CounterSpec], roles: dict[str, str], services: dict[str, ServiceSpec], needed: set[str]
) -> _Ordered:
    """Counters in opening order: first a few that together handle every procedure with work
    (greedy set cover, by who sits there), then the rest in the configuration's order."""

    def handles(counter: CounterSpec) -> set[str]:
        contractor = roles[counter.id] == "contractor"
        return {key for key in counter.services if not (contractor and services[key].staff_only)}

    uncovered, cover = set(needed), []
    while uncovered:
        best = max(members, key=lambda counter: len(handles(counter) & uncovered))
        if not handles(best) & uncovered:
            break  # nobody here may handle what is left: the plan cannot help it
        cover.append(best)
        uncovered -= handles(best)
    return _Ordered(counters=[*cover, *(c for c in members if c not in cover)], cover=cover)


def _clone(template: CounterSpec, taken: set[str], n: int) -> CounterSpec:
    if template.public:
        number = 31
        while str(number) in taken:
            number += 1
        code = str(number)
    else:
        letter, number = template.id[0], 2
        while f"{letter}{number}" in taken:
            number += 1
        code = f"{letter}{number}"
    return template.model_copy(
        update={
            "id": code,
            "name_ja": f"{template.name_ja}(臨時)",
            "name_en": f"{template.name_en} (temporary)",
            "staffed_by": "contractor" if template.staffed_by == "mixed" and n % 2 else template.staffed_by,
        }
    )
