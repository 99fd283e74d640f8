"""Booking e-mail addresses are erased `appointments.email_retention_days` after the visit (each
booking holds its own date), by `madoguchi retention`; a cancelled booking's address goes at once."""

from datetime import datetime

from sqlalchemy import Engine, func, update
from sqlmodel import col, select

from server.db import write_session
from server.models import Appointment, AuditEntry

SYSTEM_USER = "madoguchi-retention"


def erase_booking_addresses(engine: Engine, *, now: datetime) -> int:
    """Erase the addresses whose time has come; returns how many."""
    due = (col(Appointment.email).is_not(None), col(Appointment.email_erase_after) <= now)
    with write_session(engine) as session:
        count = int(session.exec(select(func.count()).select_from(Appointment).where(*due)).one())
        if count:
            session.exec(update(Appointment).where(*due).values(email=None))
            session.add(
                AuditEntry(
                    branch_id=None,
                    at=now,
                    staff_id=None,
                    username=SYSTEM_USER,
                    action="retention.booking_addresses",
                    target="appointments",
                    before=None,
                    after={"addresses_erased": count},
                )
            )
        session.commit()
    return count
