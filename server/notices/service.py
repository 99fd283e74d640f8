"""“Your turn is near” by e-mail: a holder opts in on the status page; after each change to the
queues, the notices that became due go to the outbox in the same transaction that marks them
sent, so several server processes never send one twice."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from server.errors import Conflict, DomainError
from server.mail import queue_mail, valid_address
from server.models import FINISHED_TICKET_STATUSES, Service, Stop, StopStatus, Ticket, TicketNotice, TicketStatus
from server.notices.schemas import NoticeRegistered
from server.notices.texts import notice_mail
from server.tickets.estimates import positions_and_waits
from server.tickets.service import get_ticket_by_token
from server.tickets.views import routes_of, ticket_view

# Changing the address is allowed a few times: a typo, a second phone; not a relay for spam.
MAX_REGISTRATIONS = 3
# A notice left from an earlier day (a visit never finished) is erased by the next sweep.
NOTICE_LIFETIME = timedelta(hours=18)


class InvalidEmail(DomainError):
    status_code = 422
    code = "invalid_email"


def _mask(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def register_email(
    session: Session, *, status_token: str, email: str, notify_ahead: int, now: datetime
) -> NoticeRegistered:
    """The holder's address for this ticket's notices (a second call replaces it)."""
    ticket = get_ticket_by_token(session, status_token=status_token)
    if ticket.status in FINISHED_TICKET_STATUSES:
        raise Conflict("この番号札の手続きは終わっています。 This visit has ended.", code="ticket_finished")
    address = email.strip()
    if not valid_address(address):
        raise InvalidEmail(
            "メールアドレスの形式をご確認ください(例: name@example.jp)。 "
            "Check the e-mail address (for example name@example.jp)."
        )
    notice = session.exec(select(TicketNotice).where(TicketNotice.ticket_id == ticket.id)).first()
    if notice is None:
        assert ticket.id is not None
        session.add(TicketNotice(ticket_id=ticket.id, branch_id=ticket.branch_id, email=address, created_at=now))
    elif notice.registrations >= MAX_REGISTRATIONS:
        raise Conflict(
            f"メールアドレスの変更は{MAX_REGISTRATIONS}回までです。 "
            f"The address can be changed {MAX_REGISTRATIONS} times at most.",
            code="notice_changes_exceeded",
        )
    else:
        notice.email = address
        notice.registrations += 1
        session.add(notice)
    session.commit()
    return NoticeRegistered(email=_mask(address), notify_ahead=notify_ahead)


def cancel_email(session: Session, *, status_token: str) -> None:
    """No more notices for this ticket; the address is erased at once."""
    ticket = get_ticket_by_token(session, status_token=status_token)
    session.exec(delete(TicketNotice).where(col(TicketNotice.ticket_id) == ticket.id))
    session.commit()


def _claim(session: Session, notice: TicketNotice, field: str, stop_position: int) -> bool:
    """Marks this stop's notice as sent unless another process already did: only the winner
    queues the mail (both in the caller's transaction)."""
    column = getattr(TicketNotice, field)
    claimed = session.exec(
        update(TicketNotice)
        .where(col(TicketNotice.id) == notice.id, or_(column.is_(None), column != stop_position))
        .values({field: stop_position})
    )
    return bool(claimed.rowcount)


def any_notices(session: Session, *, branch_ids: Iterable[str] | None) -> bool:
    """Whether a check could find something to do (read without the write lock)."""
    statement = select(TicketNotice.id)
    if branch_ids is not None:
        statement = statement.where(col(TicketNotice.branch_id).in_(list(branch_ids)))
    return session.exec(statement.limit(1)).first() is not None


def send_due_notices(session: Session, *, branch_ids: Iterable[str] | None, notify_ahead: int, now: datetime) -> int:
    """Queues the notices that became due in these branches (every branch: None): a waiting stop
    with `notify_ahead` or fewer before it, a stop called. Ends the notices of finished visits,
    erasing their addresses. Commits; returns how many mails were queued."""
    statement = select(TicketNotice, Ticket).join(Ticket, col(Ticket.id) == TicketNotice.ticket_id)
    if branch_ids is not None:
        statement = statement.where(col(TicketNotice.branch_id).in_(list(branch_ids)))
    rows = session.exec(statement).all()
    if not rows:
        return 0
    ended = [notice.id for notice, ticket in rows if ticket.status in FINISHED_TICKET_STATUSES]
    ended += [notice.id for notice, _ in rows if notice.created_at < now - NOTICE_LIFETIME]
    live = [(notice, ticket) for notice, ticket in rows if notice.id not in ended]
    routes = routes_of(session, [ticket for _, ticket in live])
    waiting: dict[str, list[tuple[Stop, Service]]] = {}
    for _, ticket in live:
        assert ticket.id is not None
        if ticket.status == TicketStatus.waiting and ticket.current_stop is not None:
            stop, service, _ = routes[ticket.id][ticket.current_stop]
            if stop.status == StopStatus.waiting and service.citizen_present:
                waiting.setdefault(ticket.branch_id, []).append((stop, service))
    placed: dict[int, tuple[int, int]] = {}
    for branch_id, stops in waiting.items():
        placed |= positions_and_waits(session, stops, branch_id=branch_id, now=now, sample=20)

    queued = 0
    for notice, ticket in live:
        assert ticket.id is not None
        if ticket.current_stop is None:
            continue
        stop = routes[ticket.id][ticket.current_stop][0]
        if ticket.status == TicketStatus.called and stop.status == StopStatus.called:
            kind = "called"
        elif stop.id in placed and placed[stop.id][0] <= notify_ahead and notice.called_stop != ticket.current_stop:
            kind = "near"
        else:
            continue
        if not _claim(session, notice, f"{kind}_stop", ticket.current_stop):
            continue
        counters = _window(session, ticket, now=now)
        ahead = placed[stop.id][0] if kind == "near" and stop.id is not None else 0
        subject, body = notice_mail(kind, ticket.language, number=ticket.number, ahead=ahead, counters=counters)
        queue_mail(
            session, to=notice.email, subject=subject, body=body, now=now,
            reference=f"ticket-notice:{ticket.id}:{kind}:{ticket.current_stop}",
        )  # fmt: skip
        queued += 1
    if ended:
        session.exec(delete(TicketNotice).where(col(TicketNotice.id).in_(ended)))
    session.commit()
    return queued


def _window(session: Session, ticket: Ticket, *, now: datetime) -> str | None:
    """The window to go to or wait near, named as the holder's status page names it (the one
    calling, else those serving the stop)."""
    view = ticket_view(session, ticket, base_url="", now=now, for_holder=True)
    assert ticket.current_stop is not None
    return view.stops[ticket.current_stop].counter
