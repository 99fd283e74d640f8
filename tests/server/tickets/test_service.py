"""Issuing rules: numbering per prefix and business day, routes, issuing hours, priority."""

import json
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.models import DeviceKind, Event, Role, Service, Staff, Stop, Ticket
from server.realtime.events import NOTIFY_CHANNEL, PENDING_EVENTS_KEY
from server.tickets.numbering import business_day
from server.tickets.schemas import TicketCreate
from server.tickets.service import get_branch, issue_ticket
from tests.support import BRANCH, JST, FixedClock, make_device, make_staff


@pytest.fixture
def concierge(engine: Engine, clock: FixedClock) -> Staff:
    return make_staff(engine, "concierge", Role.contractor, clock())


def _issue(session: Session, issuer: Staff, now: datetime, **body: object) -> Ticket:
    return issue_ticket(session, branch_id=BRANCH, request=TicketCreate.model_validate(body), issuer=issuer, now=now)


def test_numbers_count_up_per_prefix(session: Session, concierge: Staff, clock: FixedClock) -> None:
    numbers = [_issue(session, concierge, clock.advance(seconds=1), service="certificate").number for _ in range(3)]
    numbers.append(_issue(session, concierge, clock.advance(seconds=1), service="nhi_enroll").number)
    numbers.append(_issue(session, concierge, clock.advance(seconds=1), service="certificate").number)
    assert numbers == ["C001", "C002", "C003", "E001", "C004"]


def test_numbers_restart_at_local_midnight_not_utc_midnight(
    session: Session, concierge: Staff, clock: FixedClock
) -> None:
    # 08:59 JST on 1 April is still 31 March in UTC; 08:59 and 16:00 are the same business day.
    morning = datetime(2026, 4, 1, 8, 59, tzinfo=JST)
    afternoon = datetime(2026, 4, 1, 16, 0, tzinfo=JST)
    next_morning = datetime(2026, 4, 2, 8, 45, tzinfo=JST)
    assert morning.astimezone(UTC).date().isoformat() == "2026-03-31"
    first = _issue(session, concierge, morning, service="certificate")
    second = _issue(session, concierge, afternoon, service="certificate")
    third = _issue(session, concierge, next_morning, service="certificate")
    assert (first.number, second.number, third.number) == ("C001", "C002", "C001")
    assert first.business_on == second.business_on == business_day(get_branch(session, BRANCH), morning)
    assert str(third.business_on) == "2026-04-02"


def test_issuing_outside_hours_is_refused_with_a_bilingual_message(session: Session, concierge: Staff) -> None:
    with pytest.raises(Conflict) as early:
        _issue(session, concierge, datetime(2026, 4, 1, 8, 0, tzinfo=JST), service="certificate")
    assert early.value.code == "issuing_not_open"
    with pytest.raises(Conflict) as late:
        _issue(session, concierge, datetime(2026, 4, 1, 17, 0, tzinfo=JST), service="certificate")
    assert late.value.code == "issuing_closed"
    assert "発券は終了しました" in late.value.message
    assert session.exec(select(Ticket)).all() == []


def test_a_refused_ticket_writes_nothing_and_uses_no_number(
    session: Session, concierge: Staff, clock: FixedClock
) -> None:
    with pytest.raises(NotFound):
        _issue(session, concierge, clock(), service="no_such_service")
    with pytest.raises(Unprocessable):
        _issue(session, concierge, clock(), life_event="move_in", answers={"owns_spaceship": True})
    session.rollback()
    assert session.exec(select(Ticket)).all() == []
    assert session.exec(select(Event)).all() == []
    assert _issue(session, concierge, clock(), life_event="move_in").number == "L001"


def test_kiosk_cannot_grant_itself_priority(session: Session, engine: Engine, clock: FixedClock) -> None:
    _, kiosk = make_device(engine, DeviceKind.kiosk, clock())
    with pytest.raises(Forbidden) as refused:
        issue_ticket(
            session,
            branch_id=BRANCH,
            request=TicketCreate(service="certificate", priority="pregnant"),
            issuer=kiosk,
            now=clock(),
        )
    assert refused.value.code == "priority_by_staff_only"


def test_staff_issue_a_priority_ticket(session: Session, concierge: Staff, clock: FixedClock) -> None:
    ticket = _issue(session, concierge, clock(), service="certificate", priority="pregnant")
    stop = session.exec(select(Stop).where(Stop.ticket_id == ticket.id)).one()
    assert stop.is_priority is True


def test_back_office_first_stop_makes_the_ticket_processing(
    session: Session, concierge: Staff, clock: FixedClock
) -> None:
    ticket = _issue(session, concierge, clock(), service="civil_review")
    assert ticket.status == "processing"


def test_the_death_route_keeps_stops_that_apply(session: Session, concierge: Staff, clock: FixedClock) -> None:
    ticket = _issue(
        session,
        concierge,
        clock(),
        life_event="death",
        answers={"files_death_registration": False, "national_pension_only": True, "needs_certificates": True},
    )
    services = [
        stop.service_id
        for stop in session.exec(select(Stop).where(Stop.ticket_id == ticket.id).order_by(Stop.position))
    ]
    assert len(services) == 2  # the pension claim and the certificates; nothing filed, so no review
    assert ticket.number.startswith("L")


def test_business_day_uses_branch_timezone(session: Session) -> None:
    branch = get_branch(session, BRANCH)
    just_after_midnight = datetime(2026, 4, 1, 0, 1, tzinfo=JST)
    assert just_after_midnight.astimezone(UTC).date().isoformat() == "2026-03-31"
    assert business_day(branch, just_after_midnight).isoformat() == "2026-04-01"


def test_a_question_shown_only_after_a_yes_counts_as_no_without_it(
    session: Session, concierge: Staff, clock: FixedClock
) -> None:
    """「75歳以上」 is asked only after 「65歳以上: はい」: an answer to it without that yes (an old or
    a hand-made client) adds no stop and is not stored."""
    skipped = _issue(session, concierge, clock(), life_event="move_out", answers={"over_65": False, "over_75": True})
    asked = _issue(session, concierge, clock(), life_event="move_out", answers={"over_65": True, "over_75": True})

    def services(ticket: Ticket) -> list[str]:
        stops = session.exec(select(Stop).where(Stop.ticket_id == ticket.id)).all()
        return [stop.service_id for stop in stops]

    late_elderly = session.exec(select(Service.id).where(Service.key == "late_elderly")).one()
    assert late_elderly not in services(skipped)
    assert late_elderly in services(asked)
    assert skipped.answers == {"over_65": False}
    assert asked.answers == {"over_65": True, "over_75": True}


def test_an_issued_ticket_and_its_stops_are_what_was_stored(
    engine: Engine, concierge: Staff, clock: FixedClock
) -> None:
    """Issuing writes plain INSERTs and makes the objects itself: they must hold every column
    exactly as a later read finds it, and later changes to them must reach the database."""
    with Session(engine, expire_on_commit=False) as session:
        ticket = _issue(session, concierge, clock(), life_event="move_in", answers={"has_children": True})
        stops = session.exec(select(Stop).where(Stop.ticket_id == ticket.id)).all()
        written = ticket.model_dump(), sorted((stop.model_dump() for stop in stops), key=lambda row: row["position"])
        ticket.language = "en"  # an ordinary change after issuing, as a counter makes
        session.commit()
    with Session(engine) as fresh:
        stored = fresh.get(Ticket, ticket.id)
        assert stored is not None
        stored_stops = fresh.exec(select(Stop).where(Stop.ticket_id == ticket.id).order_by(Stop.position)).all()
        assert {**written[0], "language": "en"} == stored.model_dump()
        assert written[1] == [stop.model_dump() for stop in stored_stops]
        assert len(stored_stops) > 1


def test_issued_times_are_the_instants_given_whatever_the_database_time_zone(
    engine: Engine, concierge: Staff, clock: FixedClock
) -> None:
    # PostgreSQL reads a time given with a zone in its session's zone when it stores a column
    # without one: issuing's statements must hand it the times as stored (UTC), never raw.
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))
        ticket = _issue(session, concierge, clock(), life_event="move_in", answers={"has_children": True})
    with Session(engine) as fresh:
        stored = fresh.get(Ticket, ticket.id)
        first = fresh.exec(select(Stop).where(Stop.ticket_id == ticket.id, Stop.position == 0)).one()
        event = fresh.exec(select(Event).where(Event.ticket_id == ticket.id)).one()
        assert stored is not None
        assert stored.issued_at == first.sort_at == first.waiting_since == event.at == clock()


def test_an_issue_publishes_its_event_with_the_ticket_it_wrote(
    engine: Engine, concierge: Staff, clock: FixedClock
) -> None:
    # PostgreSQL writes the ticket, its stops and its event in one statement: the notification
    # other processes receive and this process's own publication name the new ticket's id.
    listener = None
    if engine.dialect.name == "postgresql":
        listener = psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(False), autocommit=True)
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
    try:
        with Session(engine, expire_on_commit=False) as session:
            ticket = _issue(session, concierge, clock(), life_event="move_in", answers={"has_children": True})
            published = session.info[PENDING_EVENTS_KEY]
            event = session.exec(select(Event).where(Event.ticket_id == ticket.id)).one()
        assert [(ticket_id, message["id"], message["ticket"]["number"]) for ticket_id, message in published] == [
            (ticket.id, event.id, ticket.number)
        ]
        if listener is not None:
            (notification,) = listener.notifies(timeout=5, stop_after=1)
            data = json.loads(notification.payload)
            assert (data["id"], data["ticket_id"], data["payload"]) == (event.id, ticket.id, event.payload)
    finally:
        if listener is not None:
            listener.close()
