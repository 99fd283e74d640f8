"""Issuing tickets and describing them: numbering, routes, position and estimated wait."""

import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.catalog.calendar import calendar_of, closed_day
from server.catalog.schemas import minutes_of_day
from server.catalog.snapshot import BranchCatalog, Window, branch_catalog
from server.catalog.translations import fixed_text, localize
from server.db import written_row
from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.models import (
    Branch,
    Counter,
    CounterService,
    Device,
    LifeEvent,
    NumberSequence,
    PriorityCategory,
    Queue,
    Service,
    Staff,
    Stop,
    StopStatus,
    Ticket,
    TicketStatus,
)
from server.realtime.events import EventType, TicketRef, record_event
from server.tickets.estimates import estimate_wait_minutes, position_and_wait, quickest_choice, waiting_per_service
from server.tickets.routing import PlannedStop, answers_that_count, leading_choices, order_by_window, step_applies
from server.tickets.schemas import StopPublic, TicketCreate, TicketPublic
from server.tickets.visits import RouteStop, route_visits

Issuer = Staff | Device


def local_time(branch: Branch, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(branch.timezone))


def business_day(branch: Branch, now: datetime) -> date:
    """Numbers restart with the branch's local day, not UTC's."""
    return local_time(branch, now).date()


def get_branch(session: Session, branch_id: str) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"Unknown branch {branch_id!r}.", code="branch_not_found")
    return branch


def _number_upsert(insert: Any) -> Any:
    table = NumberSequence.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .values(
            branch_id=bindparam("branch_id"),
            business_on=bindparam("business_on"),
            prefix=bindparam("prefix"),
            last_value=1,
        )
        .on_conflict_do_update(
            index_elements=["branch_id", "business_on", "prefix"], set_={"last_value": table.c.last_value + 1}
        )
        .returning(table.c.last_value)
    )


# Built once: every ticket takes a number, and building the upsert cost more than running it.
_NEXT_NUMBER = {"postgresql": _number_upsert(postgresql.insert), "sqlite": _number_upsert(sqlite.insert)}


def next_sequence(session: Session, *, branch_id: str, business_on: date, prefix: str) -> int:
    """Atomically take the next number of the day for a prefix (an upsert, safe under concurrency)."""
    statement = _NEXT_NUMBER[session.get_bind().dialect.name]
    parameters = {"branch_id": branch_id, "business_on": business_on, "prefix": prefix}
    return int(session.connection().execute(statement, parameters).scalar_one())


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:03d}"


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


def window_of(catalog: BranchCatalog, service: Service) -> str | None:
    """The window group ("1–5") where a service is taken; None for back office."""
    return counters_text(catalog.service_windows(service)) if service.citizen_present else None


Route = list[tuple[Stop, Service, Queue]]
# Position and estimated wait by stop id, computed where the stops are known.
Placed = Mapping[int, tuple[int, int]]


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
_INSERT_TICKET = insert(_TICKET_TABLE).returning(_TICKET_TABLE.c.id)
_INSERT_STOPS = insert(_STOP_TABLE).returning(_STOP_TABLE.c.id, sort_by_parameter_order=True)


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
    and counts who waits ahead of the new ticket (`sample`: see estimates.py).

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
    choices = [(planned, planned.service) for planned in leading_choices(route, lambda planned: planned.group)]
    first, _ = quickest_choice(session, choices, now=now)
    route = [first, *(planned for planned in route if planned is not first)]

    business_on = business_day(branch, now)
    sequence = next_sequence(session, branch_id=branch.id, business_on=business_on, prefix=queue.prefix)
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
    connection = session.connection()  # plain statements: see _INSERT_TICKET
    values["id"] = connection.execute(_INSERT_TICKET, values).scalar_one()
    ticket = written_row(session, Ticket, values)
    stop_values = [
        {
            "ticket_id": ticket.id,
            "position": position,
            "service_id": planned.service_id,
            "status": StopStatus.waiting if position == 0 else StopStatus.pending,
            "is_priority": priority is not None,
            "group": planned.group,
            "returned_reason": None,
            "appointment_at": appointment_at if position == 0 else None,
            "counter_id": None,
            "staff_id": None,
            "staff_role": None,
            "recall_count": 0,
            # A booked visit takes its place in the queue by its start time, not its arrival.
            "sort_at": (appointment_at or now) if position == 0 else None,
            "waiting_since": now if position == 0 else None,
            "called_at": None,
            "started_at": None,
            "completed_at": None,
        }
        for position, planned in enumerate(route)
    ]
    stop_ids = connection.execute(_INSERT_STOPS, stop_values).scalars().all()
    stops = [
        written_row(session, Stop, {**row, "id": stop_id}) for row, stop_id in zip(stop_values, stop_ids, strict=True)
    ]
    rows = [
        (stop, planned.service, catalog.queues[planned.service.queue_id])
        for stop, planned in zip(stops, route, strict=True)
    ]
    # Counted in this transaction, so the answer needs no second one; and before its event, as
    # the open counters read for the estimate may then be kept for the next issues (issuing
    # changes no counter).
    placed: dict[int, tuple[int, int]] = {}
    if stops[0].status == StopStatus.waiting:
        assert stops[0].id is not None
        placed[stops[0].id] = position_and_wait(session, first.service, stops[0], now=now, sample=sample)
    if also is not None:
        also(ticket)
    record_event(
        session,
        type=EventType.ticket_issued,
        branch_id=branch.id,
        now=now,
        ticket=ticket,
        ticket_view=event_ticket(session, ticket, rows),
    )
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


def ticket_stops(session: Session, ticket: Ticket) -> list[tuple[Stop, Service, Queue]]:
    """The ticket's stops in route order, with their service and queue (from the branch's rules)."""
    rows = session.exec(select(Stop).where(Stop.ticket_id == ticket.id).order_by(col(Stop.position))).all()
    return _with_services(session, ticket.branch_id, rows)


def routes_of(session: Session, tickets: Sequence[Ticket]) -> dict[int, list[tuple[Stop, Service, Queue]]]:
    """`ticket_stops` of many tickets, by ticket id, in a few reads."""
    by_ticket: dict[int, list[Stop]] = {ticket.id: [] for ticket in tickets if ticket.id is not None}
    ids = list(by_ticket)
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start : start + 500]
        statement = select(Stop).where(col(Stop.ticket_id).in_(chunk)).order_by(col(Stop.ticket_id), col(Stop.position))
        for stop in session.exec(statement).all():
            by_ticket[stop.ticket_id].append(stop)
    return {
        ticket.id: _with_services(session, ticket.branch_id, by_ticket[ticket.id])
        for ticket in tickets
        if ticket.id is not None
    }


def _with_services(session: Session, branch_id: str, rows: Sequence[Stop]) -> list[tuple[Stop, Service, Queue]]:
    catalog = branch_catalog(session, branch_id)
    services = [catalog.services[stop.service_id] for stop in rows]
    return [(stop, service, catalog.queues[service.queue_id]) for stop, service in zip(rows, services, strict=True)]


DEFAULT_SENSITIVE_LABEL = {"ja": "届出", "en": "Notifications"}


def public_label(session: Session, service: Service, queue: Queue) -> tuple[str, str]:
    """The neutral label shown for a stop; a sensitive procedure never shows its own."""
    if service.sensitive:
        settings = branch_catalog(session, service.branch_id).branch.settings
        label = settings.get("sensitive_label") or DEFAULT_SENSITIVE_LABEL
        return label["ja"], label["en"]
    return queue.label_ja, queue.label_en


def event_ticket(session: Session, ticket: Ticket, stops: list[tuple[Stop, Service, Queue]] | None = None) -> TicketRef:
    """What displays may know of a ticket: its number, status and the neutral label of its stop."""
    stops = stops if stops is not None else ticket_stops(session, ticket)
    current = (
        stops[ticket.current_stop] if ticket.current_stop is not None and ticket.current_stop < len(stops) else None
    )
    label_ja, label_en = public_label(session, current[1], current[2]) if current else (None, None)
    return TicketRef(
        number=ticket.number,
        status=str(ticket.status),
        priority=ticket.priority_id is not None,
        stop=ticket.current_stop,
        stops=len(stops),
        queue=current[2].prefix if current else None,
        label_ja=label_ja,
        label_en=label_en,
        citizen_present=current[1].citizen_present if current else None,
    )


def serving_counters(session: Session, service_id: int, *, public_only: bool = True) -> list[Counter]:
    statement = (
        select(Counter)
        .join(CounterService, col(CounterService.counter_id) == Counter.id)
        .where(CounterService.service_id == service_id, col(Counter.active))
        .order_by(col(Counter.position))
    )
    if public_only:
        statement = statement.where(col(Counter.public))
    return list(session.exec(statement).all())


def counters_text(counters: Sequence[Counter | Window]) -> str | None:
    """'1–5' for a run of numbered windows, else '7・8'; None when only internal desks serve it."""
    codes = [counter.code for counter in counters]
    if not codes:
        return None
    if len(codes) > 2 and all(code.isdigit() for code in codes):
        numbers = sorted(int(code) for code in codes)
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{numbers[0]}–{numbers[-1]}"
    return "・".join(codes)


# What the status link says instead of a sensitive procedure's key and a priority's reason. The
# link is printed on paper anyone may pick up: it shows *that* a ticket has priority (the holder
# may need to know they are called early) but not why, no procedure the lobby board hides, and no
# row id (the token is the ticket's only public name).
HOLDER_SENSITIVE_SERVICE = "notification"  # like DEFAULT_SENSITIVE_LABEL, 届出 / Notifications
HOLDER_PRIORITY = "priority"


def status_url(base_url: str, status_token: str) -> str:
    """The holder's page, printed as the QR code on the slip."""
    return f"{base_url.rstrip('/')}/t/{status_token}"


def _priority_category(session: Session, catalog: BranchCatalog, category_id: int | None) -> PriorityCategory | None:
    if category_id is None:
        return None
    active = next((category for category in catalog.priorities.values() if category.id == category_id), None)
    # A category retired since keeps its name on old tickets.
    return active or session.get(PriorityCategory, category_id)


def ticket_view(
    session: Session,
    ticket: Ticket,
    *,
    base_url: str,
    now: datetime,
    sample: int = 20,
    for_holder: bool = False,
    stops: list[tuple[Stop, Service, Queue]] | None = None,
    placed: Placed | None = None,
) -> TicketPublic:
    """A ticket as staff, kiosks and (with `for_holder`) the holder of its status link see it.

    `stops`: the route when the caller holds it already (a ticket just issued), else read.
    `placed`: position and estimate by stop id when the caller computed many at once."""
    catalog = branch_catalog(session, ticket.branch_id)
    stops = stops if stops is not None else ticket_stops(session, ticket)
    translations = catalog.branch.settings.get("translations") or {}
    back_office = fixed_text("back_office", ticket.language)
    branch_name = localize(
        translations, ticket.language, ("branch",), ja=catalog.branch.name_ja, en=catalog.branch.name_en
    )
    public_stops = []
    route = []
    for stop, service, queue in stops:
        windows = catalog.service_windows(service) if service.citizen_present else ()
        window = counters_text(windows)
        called_at = None
        if stop.counter_id is not None and service.citizen_present:
            # A window removed since keeps its name on old tickets.
            counter = catalog.windows.get(stop.counter_id) or session.get(Counter, stop.counter_id)
            assert counter is not None
            called_at = counter.code if counter.public else None
        label_ja, label_en = public_label(session, service, queue)
        public_stops.append(
            StopPublic(
                service=HOLDER_SENSITIVE_SERVICE if for_holder and service.sensitive else service.key,
                label=label_ja,
                label_en=label_en,
                status=stop.status,
                counter=called_at or window,
                citizen_present=service.citizen_present,
            )
        )
        name_ja, name_en = (label_ja, label_en) if service.sensitive else (service.name_ja, service.name_en)
        local = localize(
            translations,
            ticket.language,
            ("sensitive_label",) if service.sensitive else ("services", service.key),
            ja=name_ja,
            en=name_en,
        )
        codes = frozenset(counter.code for counter in windows)
        route.append(
            RouteStop(
                stop.status,
                service.citizen_present,
                window,
                codes,
                called_at,
                name_ja,
                name_en,
                local.text,
                local.lang,
                back_office,
            )
        )
    position = estimate = None
    if ticket.current_stop is not None and ticket.status in (TicketStatus.waiting, TicketStatus.processing):
        stop, service, _ = stops[ticket.current_stop]
        known = placed.get(stop.id) if placed is not None and stop.id is not None else None
        if stop.status == StopStatus.waiting:
            position, estimate = known or position_and_wait(session, service, stop, now=now, sample=sample)
    priority = _priority_category(session, catalog, ticket.priority_id)
    assert ticket.id is not None
    return TicketPublic(
        id=None if for_holder else ticket.id,
        number=ticket.number,
        status=ticket.status,
        language=ticket.language,
        priority=(HOLDER_PRIORITY if for_holder else priority.key) if priority else None,
        issued_at=ticket.issued_at,
        status_token=ticket.status_token,
        status_url=status_url(base_url, ticket.status_token),
        branch_name=branch_name.text,
        branch_name_lang=branch_name.lang,
        current_stop=ticket.current_stop,
        stops=public_stops,
        visits=route_visits(route),
        position=position,
        estimated_wait_minutes=estimate,
        appointment=ticket.appointment,
    )


def queue_overview(session: Session, *, branch_id: str, now: datetime, sample: int = 20) -> list[dict[str, Any]]:
    """Waiting and estimated wait per citizen-facing service (sensitive ones as one neutral
    row): two reads, however many services."""
    catalog = branch_catalog(session, branch_id)
    waiting_counts = waiting_per_service(session, branch_id=branch_id)
    services = sorted(
        (service for service in catalog.active_services.values() if service.citizen_present),
        key=lambda service: service.position,
    )
    overview: list[dict[str, Any]] = []
    notifications: dict[str, Any] | None = None
    for service in services:
        assert service.id is not None
        queue = catalog.queues[service.queue_id]
        waiting = waiting_counts.get(service.id, 0)
        label_ja, label_en = public_label(session, service, queue)
        estimate = estimate_wait_minutes(session, service, waiting, now=now, sample=sample, waiting_now=waiting_counts)
        if service.sensitive:
            # Anyone may read this: one neutral row for every sensitive procedure (death,
            # divorce, welfare …), since a row per procedure with its count would name them.
            if notifications is None:
                notifications = {
                    "service": HOLDER_SENSITIVE_SERVICE,
                    "label": label_ja,
                    "label_en": label_en,
                    "prefix": queue.prefix,
                    "waiting": 0,
                    "estimated_wait_minutes": 0,
                }
                overview.append(notifications)
            notifications["waiting"] += waiting
            notifications["estimated_wait_minutes"] = max(notifications["estimated_wait_minutes"], estimate)
            continue
        overview.append(
            {
                "service": service.key,
                "label": label_ja,
                "label_en": label_en,
                "prefix": queue.prefix,
                "waiting": waiting,
                "estimated_wait_minutes": estimate,
            }
        )
    return overview
