"""Counter rules: who is called next, who may handle what, and where a ticket goes."""

from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.counters import service as counters
from server.errors import Conflict, Forbidden
from server.models import Counter, Role, Staff, Stop, Ticket
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.support import BRANCH, FixedClock, make_staff


@pytest.fixture
def municipal(engine: Engine, clock: FixedClock) -> Staff:
    return make_staff(engine, "shokuin", Role.municipal, clock())


@pytest.fixture
def contractor(engine: Engine, clock: FixedClock) -> Staff:
    return make_staff(engine, "itaku", Role.contractor, clock())


def counter_id(session: Session, code: str) -> int:
    counter = session.exec(select(Counter).where(Counter.code == code)).one()
    assert counter.id is not None
    return counter.id


def issue(session: Session, staff: Staff, now: datetime, **body: object) -> Ticket:
    return issue_ticket(session, branch_id=BRANCH, request=TicketCreate.model_validate(body), issuer=staff, now=now)


def opened(session: Session, code: str, staff: Staff, now: datetime) -> int:
    identifier = counter_id(session, code)
    counters.open_counter(session, counter_id=identifier, staff=staff, now=now)
    return identifier


def serve(session: Session, counter: int, staff: Staff, now: datetime) -> Ticket | None:
    ticket = counters.call_next(session, counter_id=counter, staff=staff, now=now)
    if ticket is not None:
        counters.complete_stop(session, counter_id=counter, staff=staff, now=now)
    return ticket


def test_longest_waiting_is_called_first(session: Session, municipal: Staff, clock: FixedClock) -> None:
    first = issue(session, municipal, clock.advance(minutes=1), service="certificate")
    second = issue(session, municipal, clock.advance(minutes=1), service="certificate")
    counter = opened(session, "7", municipal, clock())
    assert [serve(session, counter, municipal, clock.advance(minutes=1)) for _ in range(2)] == [first, second]
    assert counters.call_next(session, counter_id=counter, staff=municipal, now=clock()) is None


def test_priority_first_but_normal_tickets_are_not_starved(
    session: Session, municipal: Staff, clock: FixedClock
) -> None:
    normal = [issue(session, municipal, clock.advance(minutes=1), service="certificate").number for _ in range(4)]
    urgent = [
        issue(session, municipal, clock.advance(minutes=1), service="certificate", priority="pregnant").number
        for _ in range(2)
    ]
    counter = opened(session, "7", municipal, clock())
    order = []
    while (ticket := serve(session, counter, municipal, clock.advance(minutes=1))) is not None:
        order.append(ticket.number)
    # min_normal_between = 2: a priority ticket, then at least two normal ones, then the next priority.
    assert order == [urgent[0], normal[0], normal[1], urgent[1], normal[2], normal[3]]


def test_contractor_never_gets_a_staff_only_stop(
    session: Session, municipal: Staff, contractor: Staff, clock: FixedClock
) -> None:
    tax = issue(session, municipal, clock.advance(minutes=1), service="tax_general")  # staff-only
    certificate = issue(session, municipal, clock.advance(minutes=1), service="certificate")
    mixed_counter = opened(session, "22", contractor, clock())
    assert serve(session, mixed_counter, contractor, clock.advance(minutes=1)) == certificate
    assert counters.call_next(session, counter_id=mixed_counter, staff=contractor, now=clock()) is None
    counters.close_counter(session, counter_id=mixed_counter, staff=contractor, now=clock())
    opened(session, "22", municipal, clock())
    assert counters.call_next(session, counter_id=mixed_counter, staff=municipal, now=clock()) == tax


def test_contractor_cannot_open_a_desk_of_staff_only_work(
    session: Session, contractor: Staff, clock: FixedClock
) -> None:
    with pytest.raises(Forbidden) as refused:
        opened(session, "R1", contractor, clock())
    assert refused.value.code == "staff_only_counter"


def test_closed_counter_and_empty_hands_are_conflicts(session: Session, municipal: Staff, clock: FixedClock) -> None:
    counter = counter_id(session, "7")
    with pytest.raises(Conflict) as closed:
        counters.call_next(session, counter_id=counter, staff=municipal, now=clock())
    assert closed.value.code == "counter_closed"
    session.rollback()
    opened(session, "7", municipal, clock())
    with pytest.raises(Conflict) as empty:
        counters.complete_stop(session, counter_id=counter, staff=municipal, now=clock())
    assert empty.value.code == "nothing_called"


def test_another_staff_member_cannot_use_an_open_counter(
    session: Session, municipal: Staff, contractor: Staff, clock: FixedClock
) -> None:
    counter = opened(session, "7", municipal, clock())
    with pytest.raises(Conflict) as taken:
        counters.call_next(session, counter_id=counter, staff=contractor, now=clock())
    assert taken.value.code == "counter_taken"


def test_completing_routes_the_same_ticket_and_back_office_is_processing(
    session: Session, municipal: Staff, clock: FixedClock
) -> None:
    ticket = issue(session, municipal, clock(), life_event="move_in")
    reception = opened(session, "1", municipal, clock())
    assert serve(session, reception, municipal, clock.advance(minutes=10)) == ticket
    session.refresh(ticket)
    assert ticket.status == "processing"  # civil_review happens at an internal desk
    stops = session.exec(select(Stop).where(Stop.ticket_id == ticket.id).order_by(Stop.position)).all()
    assert [stop.status for stop in stops[:2]] == ["done", "waiting"]
    # Re-entry keeps fairness by original arrival.
    assert stops[1].sort_at == ticket.issued_at


def test_transfer_moves_the_stop_and_keeps_its_place(
    session: Session, municipal: Staff, contractor: Staff, clock: FixedClock
) -> None:
    ticket = issue(session, contractor, clock(), service="moving_in")
    reception = opened(session, "1", contractor, clock())
    counters.call_next(session, counter_id=reception, staff=contractor, now=clock.advance(minutes=1))
    # A contractor hands a question of judgement to municipal staff through the system.
    counters.transfer(
        session, counter_id=reception, staff=contractor, service_key="staff_explanation", now=clock.advance(minutes=1)
    )
    stop = session.exec(select(Stop).where(Stop.ticket_id == ticket.id)).one()
    assert stop.status == "waiting"
    assert stop.sort_at == ticket.issued_at
    desk = opened(session, "6", municipal, clock())
    assert counters.call_next(session, counter_id=desk, staff=municipal, now=clock()) == ticket
    with pytest.raises(Conflict):
        counters.transfer(session, counter_id=desk, staff=municipal, service_key="staff_explanation", now=clock())


def test_no_show_parks_the_visit_with_the_rest_of_its_route(
    session: Session, municipal: Staff, clock: FixedClock
) -> None:
    ticket = issue(session, municipal, clock(), life_event="move_in")
    reception = opened(session, "1", municipal, clock())
    counters.call_next(session, counter_id=reception, staff=municipal, now=clock())
    counters.recall(session, counter_id=reception, staff=municipal, now=clock.advance(minutes=2))
    counters.mark_no_show(session, counter_id=reception, staff=municipal, now=clock.advance(minutes=2))
    session.refresh(ticket)
    assert ticket.status == "no_show"
    statuses = [s.status for s in session.exec(select(Stop).where(Stop.ticket_id == ticket.id).order_by(Stop.position))]
    assert statuses[0] == "no_show"
    # Parked, not ended: the citizen may come back late and be reinstated.
    assert set(statuses[1:]) == {"pending"}
    with pytest.raises(Conflict):
        counters.recall(session, counter_id=reception, staff=municipal, now=clock())


def test_close_with_a_ticket_in_hand_is_refused(session: Session, municipal: Staff, clock: FixedClock) -> None:
    issue(session, municipal, clock(), service="certificate")
    counter = opened(session, "7", municipal, clock())
    counters.call_next(session, counter_id=counter, staff=municipal, now=clock())
    with pytest.raises(Conflict) as refused:
        counters.close_counter(session, counter_id=counter, staff=municipal, now=clock())
    assert refused.value.code == "ticket_in_hand"
