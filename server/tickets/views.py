"""What staff, kiosks, boards and a ticket's holder see of tickets: routes read back, neutral labels,
the window text, the status link, the full view with position and estimated wait, the queue overview."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from server.catalog.snapshot import BranchCatalog, Window, branch_catalog
from server.catalog.translations import fixed_text, localize
from server.models import (
    Counter,
    CounterService,
    PriorityCategory,
    Queue,
    Service,
    Stop,
    StopStatus,
    Ticket,
    TicketStatus,
)
from server.realtime.events import TicketRef
from server.tickets.estimates import estimate_wait_minutes, position_and_wait, waiting_per_service
from server.tickets.schemas import StopPublic, TicketPublic
from server.tickets.visits import RouteStop, route_visits

Route = list[tuple[Stop, Service, Queue]]
# Position and estimated wait by stop id, computed where the stops are known.
Placed = Mapping[int, tuple[int, int]]


def ticket_stops(session: Session, ticket: Ticket) -> Route:
    """The ticket's stops in route order, with their service and queue (from the branch's rules)."""
    rows = session.exec(select(Stop).where(Stop.ticket_id == ticket.id).order_by(col(Stop.position))).all()
    return _with_services(session, ticket.branch_id, rows)


def routes_of(session: Session, tickets: Sequence[Ticket]) -> dict[int, Route]:
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


def _with_services(session: Session, branch_id: str, rows: Sequence[Stop]) -> Route:
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


def event_ticket(session: Session, ticket: Ticket, stops: Route | None = None) -> TicketRef:
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


def window_codes(catalog: BranchCatalog, service: Service) -> frozenset[str]:
    """The public windows that take a service; none for back office."""
    if not service.citizen_present:
        return frozenset()
    return frozenset(window.code for window in catalog.service_windows(service))


def window_of(catalog: BranchCatalog, service: Service) -> str | None:
    """The window group ("1–5") where a service is taken; None for back office."""
    return counters_text(catalog.service_windows(service)) if service.citizen_present else None


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
    stops: Route | None = None,
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
        route.append(
            RouteStop(
                stop.status,
                service.citizen_present,
                window,
                window_codes(catalog, service),
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
