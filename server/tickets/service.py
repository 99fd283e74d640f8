"""Issuing tickets: the rules checked first, then one short transaction (number, ticket, stops,
event); an Idempotency-Key replays a ticket already issued. Numbers: numbering.py; what a ticket
looks like: views.py."""

import secrets
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Enum, bindparam, cast, func, insert, union_all
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.catalog.calendar import calendar_of, closed_day
from server.catalog.schemas import minutes_of_day
from server.catalog.snapshot import BranchCatalog, branch_catalog
from server.db import DriverStatement, unsaved_row, written_row
from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.models import (
    Branch,
    Device,
    LifeEvent,
    PriorityCategory,
    Queue,
    Service,
    Staff,
    Stop,
    StopStatus,
    Ticket,
    TicketStatus,
)
from server.realtime.events import (
    EventDraft,
    EventType,
    append_event,
    appended_event,
    draft_event,
    event_lock_key,
    published_on_commit,
)
from server.tickets.estimates import position_and_wait, quickest_choice
from server.tickets.numbering import business_day, format_number, local_time, next_sequence
from server.tickets.routing import (
    PlannedStop,
    answers_that_count,
    lead_with,
    leading_choices,
    order_by_window,
    step_applies,
)
from server.tickets.schemas import TicketCreate
from server.tickets.views import Placed, Route, event_ticket, window_codes, window_of
from server.tickets.waiting_tally import WaitingTally

Issuer = Staff | Device


def get_branch(session: Session, branch_id: str) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"Unknown branch {branch_id!r}.", code="branch_not_found")
    return branch


def issuing_closed_reason(
    branch: Branch, service: Service | None, now: datetime, *, ignore_hours: bool
) -> Conflict | None:
    """Why no ticket may be issued now (stopped, before opening, after the cut-off), or None."""
    try:
        _check_issuing_open(branch, service, now, ignore_hours=ignore_hours)
    except Conflict as closed:
        return closed
    return None


def _check_issuing_open(branch: Branch, service: Service | None, now: datetime, *, ignore_hours: bool) -> None:
    if branch.issuing_stopped:
        raise Conflict("Ticket issuing is stopped for now. 現在、発券を停止しています。", code="issuing_stopped")
    if ignore_hours:
        return
    today = business_day(branch, now)
    closed = closed_day(calendar_of(branch.settings), today)
    if closed is not None:
        raise Conflict(closed.message(today), code="branch_closed_today")
    minute = local_time(branch, now).hour * 60 + local_time(branch, now).minute
    cutoff = branch.last_ticket_at
    if service is not None and service.issue_cutoff_at is not None:
        cutoff = min(cutoff, service.issue_cutoff_at, key=minutes_of_day)
    if minute < minutes_of_day(branch.opens_at):
        raise Conflict(
            f"Tickets are issued from {branch.opens_at}. 発券は{branch.opens_at}からです。", code="issuing_not_open"
        )
    if minute >= minutes_of_day(cutoff):
        raise Conflict(
            f"Ticket issuing has ended for today (last ticket {cutoff}). 本日の番号札の発券は終了しました。",
            code="issuing_closed",
        )


class Resolved(NamedTuple):
    queue: Queue
    route: list[PlannedStop]
    life_event: LifeEvent | None
    service: Service | None
    answers: dict[str, bool]  # those that count: questions the citizen was asked


def _resolve_route(catalog: BranchCatalog, request: TicketCreate, issuer: Issuer) -> Resolved:
    """What the request asks for, checked against the branch's rules (no database read)."""
    if request.service is not None:
        service = catalog.active_services.get(request.service)
        if service is None:
            raise NotFound(
                f"Unknown service {request.service!r}; see the branch menu for valid ids.", code="service_not_found"
            )
        if isinstance(issuer, Device) and not service.kiosk:
            raise Forbidden(
                f"Service {request.service!r} is not offered at the kiosk; ask the staff.", code="not_on_kiosk"
            )
        return Resolved(catalog.queues[service.queue_id], [PlannedStop(service, None)], None, service, {})

    rules = catalog.life_events.get(request.life_event or "")
    if rules is None:
        raise NotFound(
            f"Unknown life event {request.life_event!r}; see the branch menu for valid ids.",
            code="life_event_not_found",
        )
    unknown = sorted(set(request.answers) - rules.questions)
    if unknown:
        expected = ", ".join(sorted(rules.questions)) or "none"
        raise Unprocessable(
            f"Unknown question(s) {', '.join(unknown)} for life event {rules.row.key!r}; expected: {expected}.",
            code="unknown_question",
        )
    # An unanswered question counts as "no": only what the citizen confirmed adds a stop.
    answers = answers_that_count(request.answers, rules.shown_when)
    route = [
        PlannedStop(step.service, step.group)
        for step in rules.steps
        if step_applies(answers, when=step.when, when_any=step.when_any, unless=step.unless)
    ]
    if not route:
        raise Unprocessable("None of this life event's procedures apply to these answers.", code="empty_route")
    route = order_by_window(route, lambda service: window_of(catalog, service))
    prefix = catalog.branch.settings.get("life_event_queue")
    queue = catalog.queues[route[0].service.queue_id] if prefix is None else catalog.queue_by_prefix[prefix]
    return Resolved(queue, route, rules.row, None, answers)


class Issued(NamedTuple):
    ticket: Ticket
    # The route as written and where its first stop stands (None for a replay): the answer is
    # built from them, not read back.
    route: Route | None
    replayed: bool
    placed: Placed | None = None


def issue_ticket(
    session: Session,
    *,
    branch_id: str,
    request: TicketCreate,
    issuer: Issuer,
    now: datetime,
    ignore_hours: bool = False,
    request_key: str | None = None,
) -> Ticket:
    """Issue one ticket (see _issue)."""
    return _issue(
        session,
        branch_id=branch_id,
        request=request,
        issuer=issuer,
        now=now,
        ignore_hours=ignore_hours,
        request_key=request_key,
    ).ticket


_TICKET_TABLE = Ticket.__table__  # type: ignore[attr-defined]
_STOP_TABLE = Stop.__table__  # type: ignore[attr-defined]
# Plain INSERTs with RETURNING, built once: the ticket and its stops are new rows that nothing
# else in the transaction reads as objects before the answer, so the unit of work is not needed.
_TICKET_COLUMNS = [column.key for column in _TICKET_TABLE.columns if column.key != "id"]
_STOP_COLUMNS = [column.key for column in _STOP_TABLE.columns if column.key != "id"]
_INSERT_TICKET = DriverStatement(insert(_TICKET_TABLE).returning(_TICKET_TABLE.c.id), _TICKET_COLUMNS)
_INSERT_STOPS = DriverStatement(
    insert(_STOP_TABLE).returning(_STOP_TABLE.c.id, sort_by_parameter_order=True), _STOP_COLUMNS
)


def _bound(name: str, column: Any) -> Any:
    value = bindparam(name, type_=column.type)
    # A SELECT's values, unlike VALUES, do not take their columns' types: an enum needs a cast.
    return cast(value, column.type) if isinstance(column.type, Enum) else value


@cache
def _issue_statement_postgresql(stops: int) -> Any:
    """PostgreSQL, in one round trip: the ticket, its `stops` stops and its event (with the
    notification), so that the branch's event lock, held since the number, waits for one round
    trip here instead of three. Values are bound as `ticket_<column>`, `stop<n>_<column>` and
    the event's own (events.py: appended_event)."""
    ticket = (
        insert(_TICKET_TABLE)
        .values({name: bindparam(f"ticket_{name}", type_=_TICKET_TABLE.c[name].type) for name in _TICKET_COLUMNS})
        .returning(_TICKET_TABLE.c.id)
        .cte("ticket")
    )
    others = [name for name in _STOP_COLUMNS if name != "ticket_id"]
    rows = [
        sql_select(ticket.c.id, *(_bound(f"stop{n}_{name}", _STOP_TABLE.c[name]) for name in others))
        for n in range(stops)
    ]
    written_stops = (
        insert(_STOP_TABLE)
        .from_select(["ticket_id", *others], union_all(*rows) if stops > 1 else rows[0])
        .returning(_STOP_TABLE.c.id, _STOP_TABLE.c.position)
        .cte("stops")
    )
    stop_ids = sql_select(func.array_agg(aggregate_order_by(written_stops.c.id, written_stops.c.position)))
    ticket_id = sql_select(ticket.c.id).scalar_subquery()  # a subquery: no product of the CTEs' rows
    event, notified = appended_event(ticket_id)
    return sql_select(ticket_id, stop_ids.scalar_subquery(), event.c.id, notified)


def _write_postgresql(
    connection: Connection, ticket: dict[str, Any], stops: list[dict[str, Any]], event: EventDraft
) -> tuple[int, list[int], int]:
    """The ticket's, its stops' and its event's ids (see _issue_statement_postgresql)."""
    values = {f"ticket_{name}": ticket[name] for name in _TICKET_COLUMNS}
    for n, stop in enumerate(stops):
        values |= {f"stop{n}_{name}": value for name, value in stop.items()}
    # The event's ticket is the new one, from the statement.
    values |= {name: value for name, value in event.values.items() if name != "ticket_id"}
    values |= {"key": event_lock_key(ticket["branch_id"]), "rest": event.notification_rest()}
    ticket_id, stop_ids, event_id, _ = connection.execute(_issue_statement_postgresql(len(stops)), values).one()
    return ticket_id, list(stop_ids), event_id


def _issue(
    session: Session,
    *,
    branch_id: str,
    request: TicketCreate,
    issuer: Issuer,
    now: datetime,
    ignore_hours: bool = False,
    request_key: str | None = None,
    appointment_at: datetime | None = None,
    also: Callable[[Ticket], None] | None = None,
    sample: int = 20,
) -> Issued:
    """Everything is checked and the route planned from the branch's rules first; the write
    transaction then holds only what it writes (the number, the ticket, its stops, the event)
    and counts who waits ahead of the new ticket (`sample`: see estimates.py). PostgreSQL: three
    round trips (the number, the log since the tally, the rows) and the commit.

    `appointment_at`: a booked visit checked in (server/appointments/), for `request.service`;
    the booking was checked against the calendar and the hours, and it is taken at the kiosk
    even for a service the kiosk does not offer to walk-ins. `also`: more to write in the same
    transaction once the ticket has its id (the appointment's link to it)."""
    catalog = branch_catalog(session, branch_id)
    branch = catalog.branch
    if issuer.branch_id is not None and issuer.branch_id != branch.id:
        raise Forbidden(f"This account belongs to branch {issuer.branch_id!r}, not {branch.id!r}.", code="wrong_branch")
    priority: PriorityCategory | None = None
    if request.priority is not None:
        if isinstance(issuer, Device):
            # Consideration (合理的配慮) is granted by staff, never self-declared at a kiosk.
            raise Forbidden("Priority is arranged by the floor staff; please ask them.", code="priority_by_staff_only")
        priority = catalog.priorities.get(request.priority)
        if priority is None:
            raise NotFound(f"Unknown priority category {request.priority!r}.", code="priority_not_found")
    if appointment_at is None:
        queue, route, life_event, service, answers = _resolve_route(catalog, request, issuer)
        _check_issuing_open(branch, service, now, ignore_hours=ignore_hours)
    else:
        service = catalog.active_services.get(request.service or "")
        if service is None:
            raise NotFound(f"Unknown service {request.service!r}.", code="service_not_found")
        queue, route, life_event, answers = catalog.queues[service.queue_id], [PlannedStop(service, None)], None, {}
    leading = leading_choices(route, lambda planned: planned.group)
    first, _ = quickest_choice(session, [(planned, planned.service) for planned in leading], now=now)
    route = [*lead_with(leading, first, lambda planned: window_codes(catalog, planned.service)), *route[len(leading) :]]

    # The first stop as it will be written (never added: its ticket has no id yet).
    newcomer = unsaved_row(
        Stop,
        {
            "ticket_id": 0,
            "position": 0,
            "service_id": first.service_id,
            "status": StopStatus.waiting,
            "is_priority": priority is not None,
            "appointment_at": appointment_at,
            # A booked visit takes its place in the queue by its start time, not its arrival.
            "sort_at": appointment_at or now,
        },
    )
    business_on = business_day(branch, now)
    sequence = next_sequence(session, branch_id=branch.id, business_on=business_on, prefix=queue.prefix)
    # Placed once the number is taken: on PostgreSQL the branch's event lock comes with it and is
    # held until the commit, so the branch's issues are placed one after another, each from the
    # tally the one before left (waiting_tally.py), rather than side by side from a stale one.
    placement = position_and_wait(session, first.service, newcomer, now=now, sample=sample, new=True)
    values: dict[str, Any] = {
        "branch_id": branch.id,
        "business_on": business_on,
        "prefix": queue.prefix,
        "sequence": sequence,
        "number": format_number(queue.prefix, sequence),
        "language": request.language,
        "priority_id": priority.id if priority else None,
        "life_event_id": life_event.id if life_event else None,
        "service_id": service.id if service else None,
        "status": TicketStatus.waiting if first.service.citizen_present else TicketStatus.processing,
        "status_token": secrets.token_urlsafe(24),
        "answers": answers,
        "current_stop": 0,
        "issued_by_device_id": issuer.id if isinstance(issuer, Device) else None,
        "issued_by_staff_id": issuer.id if isinstance(issuer, Staff) else None,
        "issued_at": now,
        "finished_at": None,
        "request_key": request_key,
        "appointment": appointment_at is not None,
    }
    stop_values = [
        {
            "position": position,
            "service_id": planned.service_id,
            "status": newcomer.status if position == 0 else StopStatus.pending,
            "is_priority": priority is not None,
            "group": planned.group,
            "returned_reason": None,
            "appointment_at": newcomer.appointment_at if position == 0 else None,
            "counter_id": None,
            "staff_id": None,
            "staff_role": None,
            "recall_count": 0,
            "sort_at": newcomer.sort_at if position == 0 else None,
            "waiting_since": now if position == 0 else None,
            "called_at": None,
            "started_at": None,
            "completed_at": None,
        }
        for position, planned in enumerate(route)
    ]
    queues = [catalog.queues[planned.service.queue_id] for planned in route]
    # What boards are told, from the rows about to be written (no id of theirs is part of it).
    issued = draft_event(
        type=EventType.ticket_issued,
        branch_id=branch.id,
        now=now,
        ticket_view=event_ticket(
            session,
            unsaved_row(Ticket, values),
            [
                (unsaved_row(Stop, row), planned.service, queue)
                for row, planned, queue in zip(stop_values, route, queues, strict=True)
            ],
        ),
    )
    connection = session.connection()  # plain statements: see _INSERT_TICKET
    if connection.dialect.name == "postgresql":
        values["id"], stop_ids, event_id = _write_postgresql(connection, values, stop_values, issued)
        published_on_commit(session, issued.of_ticket(values["id"]), event_id)
    else:
        values["id"] = _INSERT_TICKET.scalar(connection, values)
        stop_ids = _INSERT_STOPS.scalars_of_each(
            connection, [{**row, "ticket_id": values["id"]} for row in stop_values]
        )
        event_id = append_event(session, issued.of_ticket(values["id"]))
    ticket = written_row(session, Ticket, values)
    stops = [
        written_row(session, Stop, {**row, "ticket_id": ticket.id, "id": stop_id})
        for row, stop_id in zip(stop_values, stop_ids, strict=True)
    ]
    rows = [(stop, planned.service, queue) for stop, planned, queue in zip(stops, route, queues, strict=True)]
    assert stops[0].id is not None
    placed = {stops[0].id: placement}
    if also is not None:
        also(ticket)
    tally = WaitingTally.of(session)
    if tally is not None:
        tally.issue_recorded(session, newcomer, event_id)
    session.commit()
    return Issued(ticket, rows, replayed=False, placed=placed)


def issue_once(
    session: Session,
    *,
    branch_id: str,
    request: TicketCreate,
    issuer: Issuer,
    now: datetime,
    ignore_hours: bool = False,
    request_key: str | None = None,
    sample: int = 20,
) -> Issued:
    """Issue, unless this issuer's request with this key already was: then that ticket, replayed.

    A kiosk that lost the answer (network, restart, a 503) sends the same key again and gets the
    same ticket, never a second one. Two such requests racing meet at the unique index.
    """
    if request_key is not None:
        earlier = _ticket_for_request(session, branch_id=branch_id, request_key=request_key, issuer=issuer)
        if earlier is not None:
            return Issued(earlier, None, replayed=True)
    try:
        return _issue(
            session,
            branch_id=branch_id,
            request=request,
            issuer=issuer,
            now=now,
            ignore_hours=ignore_hours,
            request_key=request_key,
            sample=sample,
        )
    except IntegrityError:
        if request_key is None:
            raise
        session.rollback()
        earlier = _ticket_for_request(session, branch_id=branch_id, request_key=request_key, issuer=issuer)
        if earlier is None:
            raise
        return Issued(earlier, None, replayed=True)


def _ticket_for_request(session: Session, *, branch_id: str, request_key: str, issuer: Issuer) -> Ticket | None:
    ticket = session.exec(
        select(Ticket).where(Ticket.branch_id == branch_id, Ticket.request_key == request_key)
    ).first()
    if ticket is None:
        return None
    device_id, staff_id = (issuer.id, None) if isinstance(issuer, Device) else (None, issuer.id)
    if (ticket.issued_by_device_id, ticket.issued_by_staff_id) != (device_id, staff_id):
        raise Conflict(
            "This Idempotency-Key was already used by another kiosk or person; send a new one with each new request.",
            code="request_key_taken",
        )
    return ticket


def get_ticket_by_token(session: Session, *, status_token: str) -> Ticket:
    ticket = session.exec(select(Ticket).where(Ticket.status_token == status_token)).first()
    if ticket is None:
        raise NotFound("No ticket has this status link; check the QR code on your ticket.", code="ticket_not_found")
    return ticket
