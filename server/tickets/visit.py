"""The visit at the counter: staff look a ticket up by its number, change the rest of its route
(the procedure the citizen forgot, one not needed, another order) and bring back a citizen who
was marked absent. Every change is audited and published as an event."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.models import (
    ACTIVE_STOP_STATUSES,
    AuditEntry,
    Service,
    Staff,
    Stop,
    StopStatus,
    Ticket,
    TicketStatus,
)
from server.realtime.events import EventType, record_event
from server.tickets.numbering import business_day
from server.tickets.routing import make_waiting, renumber
from server.tickets.service import get_branch
from server.tickets.views import event_ticket, ticket_stops

# Not yet begun: the part of a route that staff may replace.
NOT_STARTED = (StopStatus.pending, StopStatus.waiting)


def find_ticket(session: Session, *, branch_id: str, number: str, staff: Staff, now: datetime) -> Ticket:
    """Today's ticket with this number at this branch (numbers restart every business day)."""
    branch = get_branch(session, branch_id)
    if staff.branch_id is not None and staff.branch_id != branch.id:
        raise Forbidden(f"Your account belongs to branch {staff.branch_id!r}, not {branch.id!r}.", code="wrong_branch")
    statement = select(Ticket).where(
        Ticket.branch_id == branch.id, Ticket.business_on == business_day(branch, now), Ticket.number == number
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two staff changing one ticket at once: the second waits, then sees the first's result.
        statement = statement.with_for_update()
    ticket = session.exec(statement).first()
    if ticket is None:
        raise NotFound(
            f"No ticket {number!r} was issued today at this branch. 本日、{number}番の番号札は発券されていません。",
            code="ticket_not_found",
        )
    return ticket


def _locked_stops(session: Session, ticket: Ticket) -> list[tuple[Stop, Service]]:
    if session.get_bind().dialect.name == "postgresql":
        # A counter calling one of these stops right now finishes first; we then see it called.
        session.exec(select(Stop.id).where(Stop.ticket_id == ticket.id).with_for_update()).all()
    return [(stop, service) for stop, service, _ in ticket_stops(session, ticket)]


def _audit(
    session: Session,
    *,
    ticket: Ticket,
    staff: Staff,
    now: datetime,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    session.add(
        AuditEntry(
            branch_id=ticket.branch_id,
            at=now,
            staff_id=staff.id,
            username=staff.username,
            action=action,
            target=f"ticket:{ticket.business_on.isoformat()}:{ticket.number}",
            before=before,
            after=after,
        )
    )


def reroute(
    session: Session, *, branch_id: str, number: str, services: list[str], reason: str, staff: Staff, now: datetime
) -> Ticket:
    """Replace the part of the route not yet begun; what is done, called or served stays."""
    ticket = find_ticket(session, branch_id=branch_id, number=number, staff=staff, now=now)
    if ticket.status in (TicketStatus.done, TicketStatus.cancelled, TicketStatus.no_show):
        hint = "reinstate it first" if ticket.status == TicketStatus.no_show else "issue a new ticket"
        raise Conflict(
            f"Ticket {number} is {ticket.status}; its route can no longer change ({hint}).", code="ticket_finished"
        )
    repeated = sorted({key for key in services if services.count(key) > 1})
    if repeated:
        raise Unprocessable(f"Each procedure may appear once: {', '.join(repeated)}.", code="duplicate_service")
    branch_services = select(Service).where(Service.branch_id == ticket.branch_id, col(Service.active))
    rows = session.exec(branch_services.where(col(Service.key).in_(services))).all()
    by_key = {service.key: service for service in rows}
    unknown = [key for key in services if key not in by_key]
    if unknown:
        raise NotFound(
            f"Unknown service {unknown[0]!r}; see the branch's services for valid ids.", code="service_not_found"
        )
    stops = _locked_stops(session, ticket)
    before = [service.key for stop, service in stops if stop.status in NOT_STARTED]
    kept = [stop for stop, _ in stops if stop.status not in NOT_STARTED]
    for stop, _ in stops:
        if stop.status in NOT_STARTED:
            session.delete(stop)
    assert ticket.id is not None
    added = []
    for offset, key in enumerate(services):
        service_id = by_key[key].id
        assert service_id is not None
        # Parked on positions no kept stop has, then numbered after the kept ones.
        added.append(
            Stop(
                ticket_id=ticket.id,
                position=-1000 - offset,
                service_id=service_id,
                is_priority=ticket.priority_id is not None,
            )
        )
    session.add_all(added)
    session.flush()
    renumber(session, [*kept, *added], start=0)
    in_hand = next((stop for stop in kept if stop.status in ACTIVE_STOP_STATUSES), None)
    if in_hand is not None:
        ticket.current_stop = in_hand.position
    elif added:
        make_waiting(ticket, added[0], by_key[services[0]], now=now)
    else:
        ticket.status, ticket.finished_at, ticket.current_stop = TicketStatus.done, now, None
    session.add(ticket)
    session.flush()
    _audit(
        session,
        ticket=ticket,
        staff=staff,
        now=now,
        action="ticket.reroute",
        before={"stops": before},
        after={"stops": services, "reason": reason},
    )
    record_event(
        session,
        type=EventType.ticket_rerouted,
        branch_id=ticket.branch_id,
        now=now,
        ticket=ticket,
        ticket_view=event_ticket(session, ticket),
        by_role=str(staff.role),
    )
    session.commit()
    return ticket


def reinstate(session: Session, *, branch_id: str, number: str, staff: Staff, now: datetime) -> Ticket:
    """A citizen marked absent came back: the missed stop waits again with its original arrival
    time, so they are called soon; the rest of the route follows."""
    ticket = find_ticket(session, branch_id=branch_id, number=number, staff=staff, now=now)
    if ticket.status != TicketStatus.no_show:
        raise Conflict(f"Ticket {number} is {ticket.status}, not marked absent.", code="not_no_show")
    stops = _locked_stops(session, ticket)
    missed, service = next((stop, service) for stop, service in reversed(stops) if stop.status == StopStatus.no_show)
    for later, _ in stops:
        # Tickets marked absent before no-shows were parked had the rest of their route skipped.
        if later.position > missed.position and later.status == StopStatus.skipped:
            later.status = StopStatus.pending
            session.add(later)
    missed.status, missed.waiting_since, missed.counter_id = StopStatus.waiting, now, None
    missed.called_at = missed.started_at = missed.completed_at = None
    missed.staff_id = missed.staff_role = None
    missed.recall_count = 0
    ticket.current_stop, ticket.finished_at = missed.position, None
    ticket.status = TicketStatus.waiting if service.citizen_present else TicketStatus.processing
    session.add_all([missed, ticket])
    session.flush()
    after = {"stop": service.key}
    _audit(session, ticket=ticket, staff=staff, now=now, action="ticket.reinstate", before=None, after=after)
    record_event(
        session,
        type=EventType.ticket_reinstated,
        branch_id=ticket.branch_id,
        now=now,
        ticket=ticket,
        ticket_view=event_ticket(session, ticket),
    )
    session.commit()
    return ticket
