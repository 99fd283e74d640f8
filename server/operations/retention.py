"""Data retention: personal data is deleted a configurable number of days after the visit
(MADOGUCHI_RETENTION_DAYS, default 90; 0 keeps it), by `madoguchi retention` on a daily timer.

What goes: a ticket's answers to the kiosk's questions (they describe a citizen's life:
moving, a birth, a death) and sign-in sessions that have expired. What stays: numbers, times,
routes, events and satisfaction scores — everything reports count — since none of it names
anyone. Each run that deletes something leaves an audit entry saying how much and up to when.
(Booking e-mail addresses are erased by server/appointments/retention.py, run by the same command.)
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, cast, delete, func, update
from sqlmodel import col, select

from server.db import write_session
from server.models import AuditEntry, StaffSession, Ticket

SYSTEM_USER = "madoguchi-retention"


@dataclass(frozen=True)
class Purged:
    before: datetime
    answers_cleared: int
    sessions_deleted: int


def purge_personal_data(engine: Engine, *, days: int, now: datetime) -> Purged | None:
    """Delete what is older than `days`; None when retention is off (days == 0)."""
    if days <= 0:
        return None
    cutoff = now - timedelta(days=days)
    with write_session(engine) as session:
        # Answers are a JSON object: "{}" (two characters) when there is nothing left to delete.
        stale = (col(Ticket.issued_at) < cutoff, func.length(cast(col(Ticket.answers), String)) > 2)
        answered = session.exec(select(func.count()).select_from(Ticket).where(*stale)).one()
        if answered:
            session.exec(update(Ticket).where(*stale).values(answers={}))
        sessions = session.exec(
            select(func.count()).select_from(StaffSession).where(col(StaffSession.expires_at) < now)
        ).one()
        if sessions:
            session.exec(delete(StaffSession).where(col(StaffSession.expires_at) < now))
        purged = Purged(before=cutoff, answers_cleared=int(answered), sessions_deleted=int(sessions))
        if answered or sessions:
            session.add(
                AuditEntry(
                    branch_id=None,
                    at=now,
                    staff_id=None,
                    username=SYSTEM_USER,
                    action="retention.purge",
                    target="personal_data",
                    before=None,
                    after={
                        "before": cutoff.isoformat(),
                        "days": days,
                        "answers_cleared": purged.answers_cleared,
                        "sessions_deleted": purged.sessions_deleted,
                    },
                )
            )
        session.commit()
    return purged
