"""What staff do at a counter: open, call next, recall, start, complete, no-show, transfer, close.

Each function is one transaction. Exactly one counter gets each stop: on SQLite the write
transaction holds the database lock from its first statement (BEGIN IMMEDIATE); on
PostgreSQL candidate rows are taken with FOR UPDATE SKIP LOCKED.
"""

import math
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from server.announcements.phrases import AnnouncementKind
from server.catalog.schemas import AppointmentsSpec, BookableSpec
from server.catalog.snapshot import BranchCatalog, branch_catalog
from server.counters.schemas import WaitingItem
from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.models import (
    STOP_WAITING,
    Branch,
    Counter,
    CounterService,
    CounterState,
    Queue,
    Role,
    Service,
    Staff,
    Stage,
    Stop,
    StopStatus,
    Ticket,
    TicketStatus,
)
from server.realtime.events import EventType, record_event
from server.tickets.estimates import quickest_choice
from server.tickets.routing import begin_at_counter, make_waiting, move_to_front, pending_choices
from server.tickets.views import event_ticket, public_label, serving_counters, ticket_stops, window_codes, window_of

DEFAULT_WALK_IN_SHARE: float = BookableSpec.model_fields["walk_in_share"].default


def _locked_counter(session: Session, counter_id: int) -> Counter:
    statement = select(Counter).where(Counter.id == counter_id, col(Counter.active))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    counter = session.exec(statement).first()
    if counter is None:
        raise NotFound(f"Unknown counter {counter_id}.", code="counter_not_found")
    return counter


def _check_staff_branch(counter: Counter, staff: Staff) -> None:
    if staff.branch_id is not None and staff.branch_id != counter.branch_id:
        raise Forbidden(
            f"Your account belongs to branch {staff.branch_id!r}, not {counter.branch_id!r}.", code="wrong_branch"
        )


def _counter_in_use_by(counter: Counter, staff: Staff) -> Counter:
    """The counter must be open, and by this staff member (an admin may step in)."""
    _check_staff_branch(counter, staff)
    if counter.state != CounterState.open:
        raise Conflict(f"Counter {counter.code} is closed. Open it first.", code="counter_closed")
    if counter.staff_id != staff.id and staff.role != Role.admin:
        raise Conflict(f"Counter {counter.code} is open by another staff member.", code="counter_taken")
    return counter


def _may_handle(staff: Staff, service: Service) -> bool:
    return not (service.staff_only and staff.role == Role.contractor)


def _current(session: Session, counter: Counter) -> tuple[Stop, Ticket, Service]:
    if counter.current_stop_id is None:
        raise Conflict(f"Counter {counter.code} has no ticket in hand; call one first.", code="nothing_called")
    row = session.exec(
        select(Stop, Ticket).join(Ticket, col(Ticket.id) == Stop.ticket_id).where(Stop.id == counter.current_stop_id)
    ).one()
    stop, ticket = row
    return stop, ticket, branch_catalog(session, counter.branch_id).services[stop.service_id]


def _forbid_staff_only(staff: Staff, service: Service) -> None:
    if not _may_handle(staff, service):
        raise Forbidden(
            "This step is a decision reserved for municipal staff (公権力の行使); hand it over through the system.",
            code="staff_only_service",
        )


def open_counter(session: Session, *, counter_id: int, staff: Staff, now: datetime) -> Counter:
    counter = _locked_counter(session, counter_id)
    _check_staff_branch(counter, staff)
    services = session.exec(
        select(Service)
        .join(CounterService, col(CounterService.service_id) == Service.id)
        .where(CounterService.counter_id == counter.id, col(Service.active))
    ).all()
    if services and not any(_may_handle(staff, service) for service in services):
        raise Forbidden(
            f"Counter {counter.code} only handles decisions reserved for municipal staff (公権力の行使).",
            code="staff_only_counter",
        )
    if counter.state == CounterState.open:
        if counter.staff_id == staff.id:
            return counter
        raise Conflict(f"Counter {counter.code} is already open by another staff member.", code="counter_taken")
    counter.state, counter.staff_id, counter.opened_at = CounterState.open, staff.id, now
    branch = session.get(Branch, counter.branch_id)
    assert branch is not None
    # A counter that just opened owes normal tickets nothing: a priority ticket may go first.
    counter.normal_calls_since_priority = branch.min_normal_between
    counter.appointment_calls_in_row = 0
    session.add(counter)
    record_event(
        session,
        type=EventType.counter_opened,
        branch_id=counter.branch_id,
        now=now,
        counter=counter,
        role=str(staff.role),
    )
    session.commit()
    return counter


def close_counter(session: Session, *, counter_id: int, staff: Staff, now: datetime) -> Counter:
    counter = _counter_in_use_by(_locked_counter(session, counter_id), staff)
    if counter.current_stop_id is not None:
        raise Conflict(
            f"Counter {counter.code} still has a ticket in hand; complete, transfer or mark it no-show first.",
            code="ticket_in_hand",
        )
    counter.state, counter.staff_id, counter.opened_at = CounterState.closed, None, None
    session.add(counter)
    record_event(session, type=EventType.counter_closed, branch_id=counter.branch_id, now=now, counter=counter)
    session.commit()
    return counter


def _callable_services(session: Session, counter: Counter, staff: Staff) -> dict[int, tuple[float, int]]:
    """(weight, order) per service this counter serves and this staff member may take."""
    catalog = branch_catalog(session, counter.branch_id)
    assert counter.id is not None
    served = catalog.served_by.get(counter.id, {})
    return {service_id: rank for service_id, rank in served.items() if _may_handle(staff, catalog.services[service_id])}


def _queue_heads(
    session: Session, counter: Counter, staff: Staff, *, exclude: set[int], now: datetime
) -> list[tuple[Stop, float, int]]:
    """The first waiting stop of each (service, priority class, due appointment or not) this
    counter and staff may take.

    One windowed read over waiting stops only (a partial index), so it stays flat as history grows.
    """
    allowed = _callable_services(session, counter, staff)
    if not allowed:
        return []
    due = case((and_(col(Stop.appointment_at).is_not(None), col(Stop.appointment_at) <= now), 1), else_=0)
    ranked = (
        select(
            col(Stop.id).label("stop_id"),
            func.row_number()
            .over(
                partition_by=(col(Stop.service_id), col(Stop.is_priority), due),
                order_by=(col(Stop.sort_at), col(Stop.id)),
            )
            .label("place"),
        )
        .where(STOP_WAITING, col(Stop.service_id).in_(list(allowed)), col(Stop.id).not_in(exclude))
        .subquery()
    )
    heads = session.exec(select(Stop).join(ranked, ranked.c.stop_id == Stop.id).where(ranked.c.place == 1)).all()
    return [(stop, *allowed[stop.service_id]) for stop in heads]


def _choose(heads: Iterable[tuple[Stop, float, int]], *, now: datetime) -> Stop | None:
    """Waiting time scaled by the service's weight at this counter decides; service order breaks ties."""
    best: tuple[float, int, Stop] | None = None
    for stop, weight, order in heads:
        assert stop.sort_at is not None
        score = (now - stop.sort_at).total_seconds() * weight
        if best is None or (score, -order) > (best[0], -best[1]):
            best = (score, order, stop)
    return best[2] if best else None


class CallKind(StrEnum):
    priority = "priority"
    appointment = "appointment"  # a checked-in booking whose start time has come
    walk_in = "walk_in"


def is_due(stop: Stop, now: datetime) -> bool:
    """A checked-in appointment whose start time has come (its first stop; server/appointments/)."""
    return stop.appointment_at is not None and stop.appointment_at <= now and not stop.is_priority


def appointments_in_a_row(walk_in_share: float) -> float:
    """How many due appointments may be called one after another while walk-ins wait, so that at
    least `walk_in_share` of the calls go to walk-ins (0: no limit; 1: none, arrival order)."""
    if walk_in_share <= 0:
        return math.inf
    return math.floor((1 - walk_in_share) / walk_in_share + 1e-9)


def walk_in_shares(branch: Branch) -> dict[str, float]:
    """Each bookable service's key → the share of a counter's calls kept for walk-ins."""
    settings = AppointmentsSpec.model_validate(branch.settings.get("appointments") or {})
    return {spec.service: spec.walk_in_share for spec in settings.services}


@dataclass(frozen=True)
class CallState:
    """What the calling rule remembers per counter (columns of Counter)."""

    normal_calls_since_priority: int
    appointment_calls_in_row: int

    def after(self, kind: CallKind) -> "CallState":
        if kind == CallKind.priority:
            return CallState(0, self.appointment_calls_in_row)
        if kind == CallKind.appointment:
            return CallState(self.normal_calls_since_priority + 1, self.appointment_calls_in_row + 1)
        return CallState(self.normal_calls_since_priority + 1, 0)


def _pick(
    heads: list[tuple[Stop, float, int]],
    *,
    state: CallState,
    min_normal_between: int,
    share_of: Callable[[Stop], float],
    now: datetime,
) -> tuple[Stop | None, CallKind]:
    """The stop to call next and what kind of call it is.

    Priority (合理的配慮) first, but after a priority call a few normal calls before the next
    (min_normal_between). Among the others, a checked-in appointment whose time has come goes
    before walk-ins, at most appointments_in_a_row(share) times in a row while walk-ins wait;
    past that, waiting time decides between the two (an appointment waits from its start time),
    so neither kind can starve the other."""
    walk_in = _choose((head for head in heads if not head[0].is_priority and not is_due(head[0], now)), now=now)
    due = _choose((head for head in heads if is_due(head[0], now)), now=now)
    urgent = _choose((head for head in heads if head[0].is_priority), now=now)
    others = walk_in or due
    if urgent is not None and (others is None or state.normal_calls_since_priority >= min_normal_between):
        return urgent, CallKind.priority
    if due is None:
        return walk_in, CallKind.walk_in
    if walk_in is None or state.appointment_calls_in_row < appointments_in_a_row(share_of(due)):
        return due, CallKind.appointment
    fairer = _choose((head for head in heads if head[0] in (walk_in, due)), now=now)
    return fairer, CallKind.appointment if fairer is due else CallKind.walk_in


def _claim(session: Session, stop: Stop) -> bool:
    """Take the row for this transaction. SQLite already holds the write lock; PostgreSQL
    skips a row another counter has just locked, and the caller looks again."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    locked = session.exec(
        select(Stop.id).where(Stop.id == stop.id, Stop.status == StopStatus.waiting).with_for_update(skip_locked=True)
    ).first()
    if locked is None:
        return False
    session.refresh(stop)
    return True


def _share_of(catalog: BranchCatalog) -> Callable[[Stop], float]:
    shares = walk_in_shares(catalog.branch)

    def share(stop: Stop) -> float:
        return shares.get(catalog.services[stop.service_id].key, DEFAULT_WALK_IN_SHARE)

    return share


def call_next(session: Session, *, counter_id: int, staff: Staff, now: datetime) -> Ticket | None:
    counter = _counter_in_use_by(_locked_counter(session, counter_id), staff)
    if counter.current_stop_id is not None:
        _, in_hand, _ = _current(session, counter)
        raise Conflict(
            f"Counter {counter.code} still has ticket {in_hand.number}; complete, transfer or mark it no-show first.",
            code="ticket_in_hand",
        )
    catalog = branch_catalog(session, counter.branch_id)
    branch = catalog.branch
    share_of = _share_of(catalog)
    state = CallState(counter.normal_calls_since_priority, counter.appointment_calls_in_row)
    taken_elsewhere: set[int] = set()
    while True:
        heads = _queue_heads(session, counter, staff, exclude=taken_elsewhere, now=now)
        stop, kind = _pick(heads, state=state, min_normal_between=branch.min_normal_between, share_of=share_of, now=now)
        if stop is None:
            session.rollback()
            return None
        if _claim(session, stop):
            break
        assert stop.id is not None
        taken_elsewhere.add(stop.id)
    state = state.after(kind)
    counter.normal_calls_since_priority = state.normal_calls_since_priority
    counter.appointment_calls_in_row = state.appointment_calls_in_row
    with session.no_autoflush:  # the counter's changes go out in one UPDATE with the rest below
        ticket = session.get(Ticket, stop.ticket_id)
    service = branch_catalog(session, counter.branch_id).services[stop.service_id]
    assert ticket is not None
    if not service.citizen_present:
        # Back-office work is taken, not called (even at a public window): nobody is announced,
        # the citizen keeps waiting for their next window.
        begin_at_counter(ticket, stop, service, counter, staff_id=staff.id, now=now)
        session.add_all([stop, ticket, counter])
        session.flush()
        _record(session, EventType.ticket_taken, ticket, counter, now=now)
        session.commit()
        return ticket
    stop.status, stop.counter_id, stop.called_at, stop.staff_id = StopStatus.called, counter.id, now, staff.id
    ticket.status = TicketStatus.called
    counter.current_stop_id = stop.id
    session.add_all([stop, ticket, counter])
    session.flush()
    extra: dict[str, Any] = (
        {"call": str(AnnouncementKind.READY_FOR_PICKUP)} if _documents_ready(session, stop, service) else {}
    )
    _record(session, EventType.ticket_called, ticket, counter, now=now, **extra)
    session.commit()
    return ticket


def _record(
    session: Session,
    type: EventType,
    ticket: Ticket,
    counter: Counter,
    *,
    now: datetime,
    stops: list[tuple[Stop, Service, Queue]] | None = None,
    **extra: Any,
) -> None:
    """`stops`: the ticket's route when the caller has read it already."""
    record_event(
        session,
        type=type,
        branch_id=counter.branch_id,
        now=now,
        ticket=ticket,
        ticket_view=event_ticket(session, ticket, stops),
        counter=counter,
        **extra,
    )


def _documents_ready(session: Session, stop: Stop, service: Service) -> bool:
    """A hand-over (お渡し) after the back office has finished this ticket's work: the call says
    that the documents are ready."""
    if not service.hands_over:
        return False
    prepared = session.exec(
        select(Stop.status)
        .join(Service, col(Service.id) == Stop.service_id)
        .where(Stop.ticket_id == stop.ticket_id, Stop.position < stop.position, col(Service.citizen_present).is_(False))
    ).all()
    return bool(prepared) and all(status == StopStatus.done for status in prepared)


def recall(session: Session, *, counter_id: int, staff: Staff, now: datetime) -> Ticket:
    counter = _counter_in_use_by(_locked_counter(session, counter_id), staff)
    stop, ticket, service = _current(session, counter)
    _forbid_staff_only(staff, service)
    if stop.status != StopStatus.called:
        raise Conflict(
            f"Ticket {ticket.number} is already being served; there is no one to call again.", code="not_called"
        )
    limit = max_recalls(session, counter.branch_id)
    if stop.recall_count >= limit:
        raise Conflict(
            f"Ticket {ticket.number} has been called again {limit} times already; mark it absent (不在) instead. "
            f"{ticket.number}番は再呼出の上限({limit}回)に達しました。不在にしてください。",
            code="recall_limit",
        )
    stop.recall_count += 1
    session.add(stop)
    _record(session, EventType.ticket_recalled, ticket, counter, now=now, recall_count=stop.recall_count)
    session.commit()
    return ticket


def start(session: Session, *, counter_id: int, staff: Staff, now: datetime) -> Ticket:
    counter = _counter_in_use_by(_locked_counter(session, counter_id), staff)
    stop, ticket, service = _current(session, counter)
    _forbid_staff_only(staff, service)
    if stop.status == StopStatus.serving:
        return ticket
    stop.status, stop.started_at = StopStatus.serving, now
    ticket.status = TicketStatus.serving if service.citizen_present else TicketStatus.processing
    session.add_all([stop, ticket])
    session.flush()
    _record(session, EventType.ticket_serving, ticket, counter, now=now)
    session.commit()
    return ticket


DEFAULT_MAX_RECALLS = 2


def max_recalls(session: Session, branch_id: str) -> int:
    """How often a called number may be called again before it is marked absent (config: announcements)."""
    settings = branch_catalog(session, branch_id).branch.settings
    return int((settings.get("announcements") or {}).get("max_recalls", DEFAULT_MAX_RECALLS))


def _release(counter: Counter) -> None:
    counter.current_stop_id = None


def complete_stop(session: Session, *, counter_id: int, staff: Staff, now: datetime) -> Ticket:
    """Finish this counter's stop and route the same ticket to its next stop.

    When this counter also takes the next procedure, it goes on with the citizen already sitting
    here: no second call, no second announcement (one visit per window)."""
    counter = _counter_in_use_by(_locked_counter(session, counter_id), staff)
    stop, ticket, service = _current(session, counter)
    _forbid_staff_only(staff, service)
    stop.status, stop.completed_at = StopStatus.done, now
    stop.started_at = stop.started_at or stop.called_at
    stop.staff_id, stop.staff_role = staff.id, staff.role
    _release(counter)
    session.add_all([stop, counter])
    route = ticket_stops(session, ticket)
    choices = pending_choices([(s, sv) for s, sv, _ in route])
    here = _callable_services(session, counter, staff)
    staying = next((choice for choice in choices if choice[1].id in here), None)
    if not choices:
        ticket.status, ticket.finished_at, ticket.current_stop = TicketStatus.done, now, None
    else:
        chosen = staying or quickest_choice(session, choices, now=now)
        following, next_service = chosen
        catalog = branch_catalog(session, ticket.branch_id)
        move_to_front(session, choices, chosen, lambda service: window_codes(catalog, service))
        if staying:
            begin_at_counter(ticket, following, next_service, counter, staff_id=staff.id, now=now)
        else:
            make_waiting(ticket, following, next_service, now=now)
        session.add(following)
    session.add(ticket)
    session.flush()
    # Moving the next stop to the front renumbered the route: read in its new order once.
    route = sorted(route, key=lambda row: row[0].position)
    _record(session, EventType.ticket_completed, ticket, counter, now=now, stops=route, continued=staying is not None)
    if staying:
        went_on = EventType.ticket_serving if next_service.citizen_present else EventType.ticket_taken
        _record(session, went_on, ticket, counter, now=now, stops=route)
    elif choices:
        _record(
            session,
            EventType.ticket_routed,
            ticket,
            counter,
            now=now,
            stops=route,
            next_counters=_public_counters(session, next_service),
        )
    session.commit()
    return ticket


def _public_counters(session: Session, service: Service) -> str | None:
    """Where the citizen goes next; None while the work happens out of sight (back office)."""
    return window_of(branch_catalog(session, service.branch_id), service)


def mark_no_show(session: Session, *, counter_id: int, staff: Staff, now: datetime) -> Ticket:
    counter = _counter_in_use_by(_locked_counter(session, counter_id), staff)
    stop, ticket, service = _current(session, counter)
    _forbid_staff_only(staff, service)
    if stop.status != StopStatus.called:
        raise Conflict(f"Ticket {ticket.number} is being served; complete or transfer it instead.", code="not_called")
    # Parked, not ended: the rest of the route stays pending, so staff can reinstate a citizen
    # who comes back late (the missed stop keeps its arrival time).
    stop.status, stop.completed_at, stop.staff_id, stop.staff_role = StopStatus.no_show, now, staff.id, staff.role
    ticket.status, ticket.finished_at = TicketStatus.no_show, now
    _release(counter)
    session.add_all([stop, ticket, counter])
    session.flush()
    _record(session, EventType.ticket_no_show, ticket, counter, now=now)
    session.commit()
    return ticket


def _check_reason(session: Session, branch_id: str, reason: str) -> None:
    branch = session.get(Branch, branch_id)
    assert branch is not None
    codes = [str(code["id"]) for code in branch.settings.get("reason_codes", [])]
    if reason not in codes:
        raise Unprocessable(
            f"Unknown reason code {reason!r}; the contract's codes are: {', '.join(codes) or 'none configured'}.",
            code="unknown_reason",
        )


def _come_back_after(session: Session, ticket: Ticket, stop: Stop, service: Service) -> None:
    """A returned item comes back to the service that returned it once the front has fixed it.

    Without this stop the fixed item would skip the review it was returned from.
    """
    later = sorted(
        (s for s, _, _ in ticket_stops(session, ticket) if s.position > stop.position),
        key=lambda s: s.position,
        reverse=True,
    )
    for following in later:
        # One row at a time, last first: (ticket, position) is unique at every step.
        following.position += 1
        session.add(following)
        session.flush()
    assert ticket.id is not None
    assert service.id is not None
    session.add(
        Stop(
            ticket_id=ticket.id,
            position=stop.position + 1,
            service_id=service.id,
            status=StopStatus.pending,
            is_priority=stop.is_priority,
        )
    )


def transfer(
    session: Session, *, counter_id: int, staff: Staff, service_key: str, now: datetime, reason: str | None = None
) -> Ticket:
    """Hand the ticket in hand to another service's queue (also how staff and contractors hand over work).

    With a reason code it is a return (差戻し): it goes to a front service, the contractor team's
    queue, and comes back here afterwards. Hand-offs name a queue, never a person.
    """
    counter = _counter_in_use_by(_locked_counter(session, counter_id), staff)
    stop, ticket, service = _current(session, counter)
    _forbid_staff_only(staff, service)
    if reason is not None:
        _check_reason(session, counter.branch_id, reason)
    target = session.exec(
        select(Service).where(Service.branch_id == counter.branch_id, Service.key == service_key, col(Service.active))
    ).first()
    if target is None:
        raise NotFound(
            f"Unknown service {service_key!r}; see the branch's services for valid ids.", code="service_not_found"
        )
    if target.id == service.id:
        raise Conflict(f"Ticket {ticket.number} is already at {service_key!r}.", code="same_service")
    others = {
        s.service_id
        for s, _, _ in ticket_stops(session, ticket)
        if s.id != stop.id and s.status in (StopStatus.pending, StopStatus.waiting)
    }
    if target.id in others:
        raise Conflict(f"Ticket {ticket.number} already has a later stop at {service_key!r}.", code="already_routed")
    assert target.id is not None
    if not serving_counters(session, target.id, public_only=False):
        raise Conflict(f"No counter serves {service_key!r}; an admin must assign one first.", code="service_unserved")
    if reason is not None:
        if target.stage != Stage.front:
            raise Unprocessable(
                f"A return (差戻し) goes to a front service, the contractor team's queue; {service_key!r} is not one.",
                code="return_not_to_front",
            )
        _come_back_after(session, ticket, stop, service)
    stop.service_id, stop.status, stop.counter_id, stop.waiting_since = target.id, StopStatus.waiting, None, now
    stop.called_at = stop.started_at = None
    stop.returned_reason = reason
    ticket.status = TicketStatus.waiting if target.citizen_present else TicketStatus.processing
    _release(counter)
    session.add_all([stop, ticket, counter])
    session.flush()
    _record(
        session,
        EventType.ticket_transferred,
        ticket,
        counter,
        now=now,
        next_counters=_public_counters(session, target),
        by_role=str(staff.role),
        from_stage=str(service.stage),
        to_stage=str(target.stage),
        reason=reason,
    )
    session.commit()
    return ticket


WAITING_LIST_LIMIT = 200


class DeskView(NamedTuple):
    counter: Counter
    mine: bool
    ticket: Ticket | None
    returned_reason: str | None


def _readable_counter(session: Session, counter_id: int, staff: Staff) -> Counter:
    counter = session.exec(select(Counter).where(Counter.id == counter_id, col(Counter.active))).first()
    if counter is None:
        raise NotFound(f"Unknown counter {counter_id}.", code="counter_not_found")
    _check_staff_branch(counter, staff)
    return counter


def waiting_list(
    session: Session, *, counter_id: int, staff: Staff, now: datetime, limit: int = WAITING_LIST_LIMIT
) -> list[WaitingItem]:
    """What this counter would call, best first, if this staff member pressed "call" again and again now."""
    counter = _readable_counter(session, counter_id, staff)
    allowed = _callable_services(session, counter, staff)
    if not allowed:
        return []
    branch = session.get(Branch, counter.branch_id)
    assert branch is not None
    rows = session.exec(
        select(Stop, Service, Queue, Ticket)
        .join(Service, col(Service.id) == Stop.service_id)
        .join(Queue, col(Queue.id) == Service.queue_id)
        .join(Ticket, col(Ticket.id) == Stop.ticket_id)
        .where(STOP_WAITING, col(Stop.service_id).in_(list(allowed)))
        .order_by(col(Stop.sort_at), col(Stop.id))
    ).all()
    lanes: dict[tuple[int, bool, bool], deque[Stop]] = {}
    for stop, _, _, _ in rows:
        lanes.setdefault((stop.service_id, stop.is_priority, is_due(stop, now)), deque()).append(stop)
    # The same rule as call_next, replayed; a closed counter starts as open_counter leaves it.
    state = (
        CallState(counter.normal_calls_since_priority, counter.appointment_calls_in_row)
        if counter.state == CounterState.open
        else CallState(branch.min_normal_between, 0)
    )
    share_of = _share_of(branch_catalog(session, counter.branch_id))
    ordered: list[Stop] = []
    while len(ordered) < limit:
        heads = [(lane[0], *allowed[service_id]) for (service_id, _, _), lane in lanes.items() if lane]
        chosen, kind = _pick(
            heads, state=state, min_normal_between=branch.min_normal_between, share_of=share_of, now=now
        )
        if chosen is None:
            break
        lanes[(chosen.service_id, chosen.is_priority, is_due(chosen, now))].popleft()
        state = state.after(kind)
        ordered.append(chosen)
    details = {stop.id: (service, queue, ticket) for stop, service, queue, ticket in rows}
    items = []
    for stop in ordered:
        service, queue, ticket = details[stop.id]
        label_ja, label_en = public_label(session, service, queue)
        since = stop.waiting_since or stop.sort_at or now
        items.append(
            WaitingItem(
                number=ticket.number,
                service=service.key,
                label=label_ja,
                label_en=label_en,
                citizen_present=service.citizen_present,
                priority=stop.is_priority,
                waiting_since=since,
                waited_minutes=max(int((now - since).total_seconds() // 60), 0),
                returned_reason=stop.returned_reason,
                appointment_at=stop.appointment_at,
            )
        )
    return items


def counter_desk(session: Session, *, counter_id: int, staff: Staff) -> DeskView:
    """A counter's state for its console, with the ticket in hand and why it came (if returned)."""
    counter = _readable_counter(session, counter_id, staff)
    mine = counter.state == CounterState.open and counter.staff_id == staff.id
    stop = session.get(Stop, counter.current_stop_id) if counter.current_stop_id is not None else None
    if stop is None:
        return DeskView(counter, mine, None, None)
    return DeskView(counter, mine, session.get(Ticket, stop.ticket_id), stop.returned_reason)


def current_ticket_of(session: Session, counter: Counter) -> Ticket | None:
    if counter.current_stop_id is None:
        return None
    stop = session.get(Stop, counter.current_stop_id)
    return session.get(Ticket, stop.ticket_id) if stop else None
