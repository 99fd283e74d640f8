"""After the day: the invariants (from the database and the event log, not from what the
simulator believes), the day's KPIs, and how good the wait estimates were."""

import math
from bisect import bisect_right
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bench.harness import percentile
from bench.simulation.city import CLOSES_AT, JST, Arrival, DayKind, StaffingPlan, local
from server.models import Counter, CounterService, Event, Queue, Service, Stop, StopStatus, Ticket, TicketStatus

if TYPE_CHECKING:
    from bench.simulation.day import Options, Running

FINISHED = (TicketStatus.done, TicketStatus.no_show)
ACTIVE_STOPS = (StopStatus.waiting, StopStatus.called, StopStatus.serving)
# The estimator the server had before this simulation existed, replayed offline for comparison.
V1_SAMPLE = 20


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class DayResult:
    checks: list[Check]
    kpis: dict[str, Any]
    estimator: dict[str, Any]
    meta: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    faults: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


def _minutes(delta: timedelta) -> float:
    return delta / timedelta(minutes=1)


def summary(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean": round(sum(values) / len(values), 1),
        "p50": round(percentile(values, 0.5), 1),
        "p90": round(percentile(values, 0.9), 1),
        "max": round(max(values), 1),
    }


@dataclass
class Log:
    """Everything the checks read, loaded once."""

    tickets: list[Ticket]
    stops: list[Stop]
    events: list[Event]
    counters: list[Counter]
    services: dict[int, Service]
    queues: dict[int, Queue]
    links: list[CounterService]


def load_log(engine: Engine) -> Log:
    with Session(engine) as session:
        return Log(
            tickets=list(session.exec(select(Ticket).order_by(col(Ticket.id))).all()),
            stops=list(session.exec(select(Stop).order_by(col(Stop.id))).all()),
            events=list(session.exec(select(Event).order_by(col(Event.id))).all()),
            counters=list(session.exec(select(Counter)).all()),
            services={service.id: service for service in session.exec(select(Service)).all() if service.id},
            queues={queue.id: queue for queue in session.exec(select(Queue)).all() if queue.id},
            links=list(session.exec(select(CounterService)).all()),
        )


# --- invariants ---------------------------------------------------------------------------------


def numbering_checks(log: Log) -> list[Check]:
    keys = Tally((t.branch_id, t.business_on, t.prefix, t.sequence) for t in log.tickets)
    numbers = Tally((t.branch_id, t.business_on, t.number) for t in log.tickets)
    duplicated = [key for key, count in keys.items() if count > 1] + [k for k, c in numbers.items() if c > 1]
    by_prefix: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for ticket in log.tickets:
        by_prefix[(ticket.branch_id, ticket.business_on, ticket.prefix)].append(ticket.sequence)
    gaps = {
        f"{prefix}": sorted(set(range(1, max(seqs) + 1)) - set(seqs))[:10]
        for (_, _, prefix), seqs in by_prefix.items()
        if len(set(seqs)) != max(seqs)
    }
    return [
        Check(
            "every ticket issued exactly once (no number twice per prefix and day)",
            not duplicated,
            f"{len(log.tickets)} tickets, {len(by_prefix)} prefixes"
            + (f"; DUPLICATES {duplicated[:10]}" if duplicated else ""),
        ),
        Check(
            "numbers follow on without gaps",
            not gaps,
            "contiguous from 001 in every prefix" if not gaps else f"gaps {gaps}",
        ),
    ]


def acknowledged_check(log: Log, acknowledged: dict[int, Any]) -> Check:
    stored = {ticket.id: ticket for ticket in log.tickets}
    missing = [
        record.number
        for ticket_id, record in acknowledged.items()
        if ticket_id not in stored
        or stored[ticket_id].number != record.number
        or stored[ticket_id].status_token != record.status_token
    ]
    return Check(
        "every acknowledged ticket is in the database",
        not missing,
        f"{len(acknowledged)} acknowledged, {len(missing)} missing" + (f": {missing[:10]}" if missing else ""),
    )


def orphan_check(log: Log, acknowledged: dict[int, Any]) -> Check:
    """Visitors retry with their Idempotency-Key: an answer lost to a crash must not leave a
    second, unclaimed ticket behind (it would be called, wait in vain, end as a no-show)."""
    orphans = [ticket.number for ticket in log.tickets if ticket.id not in acknowledged]
    return Check(
        "one ticket per visitor (no ticket whose answer was lost and issued again)",
        not orphans,
        f"{len(log.tickets)} stored, {len(orphans)} without their visitor" + (f": {orphans[:10]}" if orphans else ""),
    )


def double_call_check(log: Log) -> Check:
    """Replays each ticket's events: a call while the ticket is already in someone's hand, or
    after its visit ended, is a stop called twice."""
    in_hand: dict[int, int | None] = {}
    going_on: dict[int, int] = {}  # ticket → the counter that kept it for its next procedure
    finished: set[int] = set()
    problems: list[str] = []
    calls = 0
    for event in log.events:
        ticket_id = event.ticket_id
        if ticket_id is None:
            continue
        if event.type in ("ticket.called", "ticket.taken"):
            calls += 1
            # A desk going on with back-office work of the ticket it holds takes it: no second call.
            kept = event.type == "ticket.taken" and going_on.pop(ticket_id, None) == event.counter_id
            if not kept and (in_hand.get(ticket_id) is not None or ticket_id in finished):
                problems.append(f"event {event.id}: ticket {ticket_id} called while held by {in_hand.get(ticket_id)}")
            in_hand[ticket_id] = event.counter_id
        elif event.type in ("ticket.completed", "ticket.transferred", "ticket.no_show"):
            if in_hand.get(ticket_id) != event.counter_id:
                problems.append(f"event {event.id}: {event.type} at counter {event.counter_id} not holding it")
            # The same window going on with its next procedure keeps the ticket in hand.
            in_hand[ticket_id] = event.counter_id if event.payload.get("continued") else None
            if event.payload.get("continued") and event.counter_id is not None:
                going_on[ticket_id] = event.counter_id
            if event.type == "ticket.no_show" or (event.payload.get("ticket") or {}).get("status") == "done":
                finished.add(ticket_id)
    return Check(
        "no stop called twice (each call finds the ticket waiting; one counter at a time)",
        not problems,
        f"{calls} calls replayed" + (f"; {len(problems)} problems: {problems[:5]}" if problems else ""),
    )


def finished_checks(log: Log) -> list[Check]:
    unfinished = [t.number for t in log.tickets if t.status not in FINISHED]
    active = [s.id for s in log.stops if s.status in ACTIVE_STOPS]
    # A no-show keeps the rest of its route pending (parked, so staff may reinstate the citizen).
    done_ids = {t.id for t in log.tickets if t.status == TicketStatus.done}
    leftover = [s.id for s in log.stops if s.ticket_id in done_ids and s.status == StopStatus.pending]
    held = [c.code for c in log.counters if c.current_stop_id is not None or c.state != "closed"]
    return [
        Check(
            "every ticket finished (done or no-show) at the end of the day",
            not unfinished and not active and not leftover,
            f"{len(unfinished)} unfinished tickets, {len(active)} active stops, {len(leftover)} pending stops"
            + (f": {unfinished[:10]}" if unfinished else ""),
        ),
        Check(
            "every counter closed with nothing in hand",
            not held,
            "all closed" if not held else f"still open or holding: {held}",
        ),
    ]


def display_checks(log: Log, displays: Sequence[Any]) -> list[Check]:
    called = [event.id for event in log.events if event.type == "ticket.called"]
    checks = [
        Check(
            "at least two displays followed the branch stream all day",
            len(displays) >= 2 and all(d.first_id is not None for d in displays),
            f"{len(displays)} displays",
        )
    ]
    for display in displays:
        expected = {event_id for event_id in called if event_id > (display.first_id or 0)}
        missing = sorted(expected - display.received_ids())
        checks.append(
            Check(
                f"{display.name} received every ticket.called event, none twice",
                not missing and not display.duplicates,
                f"{len(expected)} calls expected, {len(missing)} missing"
                + (f" {missing[:10]}" if missing else "")
                + f", {len(display.duplicates)} duplicates; {display.connects} connections, "
                f"{display.resyncs} resyncs, {len(display.gaps)} snapshots after a gap",
            )
        )
    return checks


def board_matches(log: Log, displays: Sequence[Any], *, at_event: int, public_state: dict[int, str]) -> Check:
    """Each display's board after event `at_event` equals the database's counters at that moment."""
    wrong = {d.name: d.board_at(at_event) for d in displays if d.board_at(at_event) != public_state}
    return Check(
        f"display boards equal the database at event {at_event}",
        not wrong,
        f"{len(public_state)} counters with a ticket in hand" + (f"; differing: {wrong}" if wrong else ""),
    )


# --- KPIs -----------------------------------------------------------------------------------


def _first_calls(log: Log) -> dict[int, datetime]:
    first: dict[int, datetime] = {}
    for event in log.events:
        if event.type == "ticket.called" and event.ticket_id is not None and event.ticket_id not in first:
            first[event.ticket_id] = event.at
    return first


def kpis(log: Log, kind: DayKind, plan: StaffingPlan) -> dict[str, Any]:
    services, queues = log.services, log.queues
    waits: dict[str, list[float]] = defaultdict(list)
    busy: dict[str, float] = defaultdict(float)
    for stop in log.stops:
        service = services[stop.service_id]
        if stop.called_at is not None and stop.waiting_since is not None and service.citizen_present:
            waits[queues[service.queue_id].prefix].append(_minutes(stop.called_at - stop.waiting_since))
        if stop.called_at is not None and stop.completed_at is not None and stop.staff_role is not None:
            busy[str(stop.staff_role)] += _minutes(stop.completed_at - stop.called_at)
    first = _first_calls(log)
    first_waits: dict[str, list[float]] = defaultdict(list)
    stays: dict[str, list[float]] = defaultdict(list)
    for ticket in log.tickets:
        if ticket.id in first:
            first_waits[ticket.prefix].append(_minutes(first[ticket.id] - ticket.issued_at))
        if ticket.status == TicketStatus.done and ticket.finished_at is not None:
            stays["life events (L)" if ticket.life_event_id else "single procedure"].append(
                _minutes(ticket.finished_at - ticket.issued_at)
            )
    open_minutes: dict[str, float] = defaultdict(float)
    opened: dict[int, tuple[datetime, str]] = {}
    for event in log.events:
        if event.type == "counter.opened" and event.counter_id is not None:
            opened[event.counter_id] = (event.at, str(event.payload.get("role", "?")))
        elif event.type == "counter.closed" and event.counter_id in opened:
            since, role = opened.pop(event.counter_id)
            open_minutes[role] += _minutes(event.at - since)
    types = Tally(event.type for event in log.events)
    no_shows = sum(1 for ticket in log.tickets if ticket.status == TicketStatus.no_show)
    returns = sum(1 for e in log.events if e.type == "ticket.transferred" and e.payload.get("reason"))
    last = max((event.at for event in log.events), default=None)
    closes = local(kind.on, CLOSES_AT)
    return {
        "tickets": len(log.tickets),
        "life_event_tickets": sum(1 for t in log.tickets if t.life_event_id),
        "priority_tickets": sum(1 for t in log.tickets if t.priority_id),
        "stops": len(log.stops),
        "counters_staffed": len(plan.roles),
        "temporary_counters": len(plan.temporary),
        "wait_minutes_by_queue": {prefix: summary(values) for prefix, values in sorted(waits.items())},
        "first_call_wait_minutes_by_ticket_prefix": {p: summary(v) for p, v in sorted(first_waits.items())},
        "stay_minutes": {what: summary(values) for what, values in sorted(stays.items())},
        "staff_busy_minutes_by_role": {role: round(minutes) for role, minutes in sorted(busy.items())},
        "staff_open_minutes_by_role": {role: round(minutes) for role, minutes in sorted(open_minutes.items())},
        "no_shows": no_shows,
        "no_show_percent": round(100 * no_shows / max(len(log.tickets), 1), 1),
        "transfers": types["ticket.transferred"] - returns,
        "returns": returns,
        "recalls": types["ticket.recalled"],
        "calls": types["ticket.called"],
        "events": len(log.events),
        "last_event_local": last.astimezone(JST).strftime("%H:%M") if last else None,
        "overtime_minutes": round(max(_minutes(last - closes), 0)) if last else 0,
    }


# --- estimator accuracy ---------------------------------------------------------------------


class V1Replay:
    """The server's original estimate (people ahead × mean of the last 20 service times ÷ open
    counters), recomputed from the log at each issue moment."""

    def __init__(self, log: Log) -> None:
        self.completions: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
        for stop in log.stops:
            if stop.status == StopStatus.done and stop.called_at is not None and stop.completed_at is not None:
                minutes = _minutes(stop.completed_at - stop.called_at)
                self.completions[stop.service_id].append((stop.completed_at, minutes))
        for history in self.completions.values():
            history.sort()
        self.serving: dict[int, set[int]] = defaultdict(set)
        for link in log.links:
            self.serving[link.service_id].add(link.counter_id)
        self.changes: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
        for event in log.events:
            if event.type in ("counter.opened", "counter.closed") and event.counter_id is not None:
                self.changes[event.counter_id].append((event.at, event.type == "counter.opened"))
        self.typical = {service_id: service.typical_minutes for service_id, service in log.services.items()}

    def _open_at(self, counter_id: int, at: datetime) -> bool:
        state = False
        for moment, is_open in self.changes.get(counter_id, []):
            if moment > at:
                break
            state = is_open
        return state

    def estimate(self, service_id: int, ahead: int, at: datetime) -> int:
        history = self.completions.get(service_id, [])
        end = bisect_right([moment for moment, _ in history], at)
        since = at - timedelta(hours=12)
        recent = [minutes for moment, minutes in history[max(0, end - V1_SAMPLE) : end] if moment >= since]
        per_ticket = sum(recent) / len(recent) if len(recent) >= 3 else self.typical[service_id]
        counters = max(sum(1 for c in self.serving[service_id] if self._open_at(c, at)), 1)
        return math.ceil(ahead * per_ticket / counters)


def _errors(pairs: Sequence[tuple[float, float]]) -> dict[str, float | int]:
    if not pairs:
        return {"n": 0}
    absolute = [abs(estimate - actual) for estimate, actual in pairs]
    return {
        "n": len(pairs),
        "mae": round(sum(absolute) / len(absolute), 2),
        "p90_abs_error": round(percentile(absolute, 0.9), 2),
        "bias": round(sum(estimate - actual for estimate, actual in pairs) / len(pairs), 2),
    }


def estimator_accuracy(log: Log, acknowledged: dict[int, Any]) -> dict[str, Any]:
    """Estimated wait at issue vs the actual wait from issue to first call, in minutes."""
    first = _first_calls(log)
    by_key = {service.key: service for service in log.services.values()}
    replay = V1Replay(log)
    rows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_prefix: dict[str, list[tuple[float, float]]] = defaultdict(list)
    actual_waits = []
    for ticket_id, record in acknowledged.items():
        if record.estimate is None or record.position is None or ticket_id not in first:
            continue
        service = by_key[record.first_service]
        assert service.id is not None
        actual = _minutes(first[ticket_id] - record.issued_at)
        actual_waits.append(actual)
        rows["server (current)"].append((record.estimate, actual))
        rows["naive: ahead × configured minutes"].append((record.position * service.typical_minutes, actual))
        rows["v1: ahead × recent mean ÷ open counters"].append(
            (replay.estimate(service.id, record.position, record.issued_at), actual)
        )
        by_prefix[record.number.rstrip("0123456789")].append((record.estimate, actual))
    return {
        "actual_wait_minutes": summary(actual_waits),
        "by_estimator": {k: _errors(v) for k, v in rows.items()},
        "server_by_ticket_prefix": {k: _errors(v) for k, v in sorted(by_prefix.items())},
    }


# --- everything ---------------------------------------------------------------------------------


def check_day(
    engine: Engine,
    running: "Running",
    *,
    options: "Options",
    kind: DayKind,
    plan: StaffingPlan,
    visitors: Sequence[Arrival],
    real_seconds: float,
    server_logs: Sequence[Path],
) -> DayResult:
    log = load_log(engine)
    day = running.day
    stats = day.stats
    # The kiosk agent's 503 means "server unreachable" (its visitor tries again); anything else
    # 5xx is the server failing.
    server_errors = {
        key: count for key, count in stats.statuses.items() if key.split()[-1].startswith("5") and key != "kiosk 503"
    }
    checks = [
        *numbering_checks(log),
        acknowledged_check(log, day.tickets),
        orphan_check(log, day.tickets),
        double_call_check(log),
        *finished_checks(log),
        *display_checks(log, running.displays),
        board_matches(log, running.displays, at_event=max((e.id or 0 for e in log.events), default=0), public_state={}),
        Check(
            "no server error and no unexpected refusal",
            not server_errors and not stats.unexpected,
            f"{sum(stats.statuses.values())} responses; 5xx {server_errors}; unexpected {stats.unexpected[:5]}",
        ),
        Check("the day finished", not any("did not finish" in n for n in day.notes), "; ".join(day.notes) or "ok"),
        *day.extra_checks,
    ]
    latency = {
        label: {
            "n": len(values),
            "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        }
        for label, values in sorted(stats.latencies.items())
    }
    meta = {
        "day": kind.name,
        "date": kind.on.isoformat(),
        "why": kind.why,
        "visitors_planned": len(visitors),
        "seed": options.seed,
        "speed": options.speed,
        "processes": options.processes,
        "database": "postgresql" if engine.dialect.name == "postgresql" else "sqlite",
        "real_seconds": round(real_seconds, 1),
        "requests": sum(stats.statuses.values()),
        "transport_errors": stats.transport_errors,
        "busy_retries": stats.busy_retries,
        "unacknowledged_issue_attempts": day.unacknowledged,
        "refused_issues": dict(Tally(day.refused)),
        "lost_visitors": day.lost_visitors,
        "issue_lateness_simulated_seconds": summary(day.issue_lateness),
        "latency_real_ms": latency,
        "server_logs": [str(path) for path in server_logs],
    }
    return DayResult(
        checks=checks,
        kpis=kpis(log, kind, plan),
        estimator=estimator_accuracy(log, day.tickets),
        meta=meta,
        notes=list(day.notes),
        faults=dict(day.fault_outcomes),
    )
