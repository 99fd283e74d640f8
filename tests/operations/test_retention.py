"""Retention: a ticket's answers (and expired sign-ins) are deleted after the configured days, in
an audited run; the day's report counts the same before and after; recent answers stay."""

from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.db import write_session
from server.models import AuditEntry, Role, Staff, StaffSession, Ticket
from server.operations.retention import purge_personal_data
from server.reports.service import daily_report
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.support import BRANCH, FixedClock, make_staff, staff_token

ANSWERS = {"has_children": True, "over_65": False, "pregnant": True}


def _issue_move_in(engine: Engine, clock: FixedClock, staff: Staff) -> int:
    with write_session(engine) as session:
        ticket = issue_ticket(
            session,
            branch_id=BRANCH,
            request=TicketCreate(life_event="move_in", answers=ANSWERS),
            issuer=staff,
            now=clock(),
        )
    assert ticket.id is not None
    return ticket.id


def test_answers_are_deleted_after_the_retention_period_and_reports_keep_their_counts(
    engine: Engine, clock: FixedClock
) -> None:
    staff = make_staff(engine, "concierge", Role.municipal, clock())
    staff_token(engine, staff, clock(), hours=1)  # a sign-in that will have expired
    old_day = clock().date()
    old_ticket = _issue_move_in(engine, clock, staff)
    with Session(engine) as session:
        report_before = daily_report(session, branch_id=BRANCH, business_on=old_day, now=clock())

    clock.advance(days=89)
    recent_ticket = _issue_move_in(engine, clock, staff)
    clock.advance(days=2)  # the first visit is now 91 days old, the second 2

    purged = purge_personal_data(engine, days=90, now=clock())

    assert purged is not None
    assert purged.answers_cleared == 1
    assert purged.sessions_deleted >= 1
    with Session(engine) as session:
        old = session.get(Ticket, old_ticket)
        recent = session.get(Ticket, recent_ticket)
        assert old is not None
        assert recent is not None
        assert old.answers == {}
        assert old.number  # the visit itself stays: number, times, route
        assert recent.answers == ANSWERS
        assert session.exec(select(StaffSession).where(col(StaffSession.expires_at) < clock())).all() == []
        (audit,) = session.exec(select(AuditEntry).where(AuditEntry.action == "retention.purge")).all()
        assert audit.after is not None
        assert audit.after["answers_cleared"] == 1
        assert audit.after["days"] == 90
        report_after = daily_report(session, branch_id=BRANCH, business_on=old_day, now=clock())
    # Every count stays; only "not called yet, so far" is the day's own (it has passed).
    not_compared = {"generated_at", "not_yet_called"}
    assert report_after.model_dump(exclude=not_compared) == report_before.model_dump(exclude=not_compared)

    # A second run finds nothing more and writes no empty audit entry.
    again = purge_personal_data(engine, days=90, now=clock() + timedelta(minutes=1))
    assert again is not None
    assert (again.answers_cleared, again.sessions_deleted) == (0, 0)
    with Session(engine) as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "retention.purge")).all()) == 1


def test_retention_zero_keeps_everything(engine: Engine, clock: FixedClock) -> None:
    staff = make_staff(engine, "concierge", Role.municipal, clock())
    ticket_id = _issue_move_in(engine, clock, staff)
    assert purge_personal_data(engine, days=0, now=clock() + timedelta(days=3650)) is None
    with Session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.answers == ANSWERS
