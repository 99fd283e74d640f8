"""Positions and estimates computed for many tickets at once agree with one ticket at a time."""

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from server.counters.service import open_counter
from server.edge import views
from server.models import Counter, Role, Staff, StopStatus, Ticket, TicketStatus
from server.tickets.estimates import position_and_wait, positions_and_waits
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from server.tickets.views import routes_of, ticket_view
from tests.support import BRANCH, FixedClock, make_staff


def _issue(session: Session, issuer: Staff, now: datetime, **body: object) -> Ticket:
    return issue_ticket(session, branch_id=BRANCH, request=TicketCreate.model_validate(body), issuer=issuer, now=now)


def _busy_morning(session: Session, engine: Engine, clock: FixedClock) -> None:
    """Certificates and enrolments, some with priority, some issued in the same instant, and
    counters open that share services (so waits count other services' queues too)."""
    concierge = make_staff(engine, "concierge", Role.contractor, clock())
    staff = [make_staff(engine, f"window-{number}", Role.municipal, clock()) for number in range(3)]
    for index in range(24):
        now = clock() if index % 5 == 0 else clock.advance(seconds=7)  # every fifth: the same instant
        priority = "pregnant" if index % 6 == 3 else None
        service = ("certificate", "nhi_enroll", "moving_in")[index % 3]
        _issue(session, concierge, now, service=service, **({"priority": priority} if priority else {}))
    windows = session.exec(select(Counter).where(Counter.branch_id == BRANCH).order_by(Counter.id)).all()
    for member, counter in zip(staff, windows, strict=False):
        assert counter.id is not None
        open_counter(session, counter_id=counter.id, staff=member, now=clock())


def test_positions_of_many_stops_match_one_at_a_time(session: Session, engine: Engine, clock: FixedClock) -> None:
    _busy_morning(session, engine, clock)
    now = clock.advance(minutes=3)
    tickets = session.exec(select(Ticket).where(Ticket.status == TicketStatus.waiting)).all()
    routes = routes_of(session, tickets)
    waiting = []
    for ticket in tickets:
        assert ticket.id is not None
        assert ticket.current_stop is not None
        stop, service, _ = routes[ticket.id][ticket.current_stop]
        assert stop.status == StopStatus.waiting
        waiting.append((stop, service))
    assert len(waiting) == 24

    placed = positions_and_waits(session, waiting, branch_id=BRANCH, now=now, sample=20)

    one_by_one = {stop.id: position_and_wait(session, service, stop, now=now, sample=20) for stop, service in waiting}
    assert placed == one_by_one
    assert sorted(position for position, _ in placed.values())[-1] > 3  # the queues are not trivial


def test_edge_views_of_many_tickets_match_each_ticket_view(session: Session, engine: Engine, clock: FixedClock) -> None:
    _busy_morning(session, engine, clock)
    now = clock.advance(minutes=3)
    tickets = session.exec(select(Ticket)).all()

    ids = [ticket.id for ticket in tickets if ticket.id is not None]
    held = views.tickets_by_id(session, ids, base_url="https://edge.example", now=now, sample=20)

    by_id = {item["ticket_id"]: item["view"] for item in held}
    for ticket in tickets:
        alone = ticket_view(session, ticket, base_url="https://edge.example", now=now, sample=20, for_holder=True)
        assert by_id[ticket.id] == alone.model_dump(mode="json")
