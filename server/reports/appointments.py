"""A report's bookings (a day, a month, a year): how many were made, checked in, missed and
cancelled, and the wait from the start time, next to the walk-ins' wait from their ticket. Counts
and times only: no code, no address."""

from collections import Counter as Tally
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_
from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from server.appointments.service import appointments_of
from server.models import Appointment, AppointmentStatus, Branch, Service, Stop
from server.reports.schemas import AppointmentCounts, AppointmentFigures
from server.reports.service import TicketFacts, day_bounds, duration_stats, waits

DEFAULT_GRACE_MINUTES = 15


def appointment_figures(
    session: Session, *, branch: Branch, first_on: date, end_on: date, tickets: list[TicketFacts], now: datetime
) -> AppointmentFigures:
    """Bookings whose start falls on the business days [first_on, end_on); `tickets`: those days'."""
    zone = ZoneInfo(branch.timezone)
    start, end = day_bounds(first_on, zone)[0], day_bounds(end_on - timedelta(days=1), zone)[1]
    grace = {spec.service: spec.grace_minutes for spec in appointments_of(branch).services}
    rows = session.execute(
        sql_select(
            col(Service.key),
            col(Appointment.status),
            col(Appointment.start_at),
            col(Appointment.checked_in_at),
            col(Stop.called_at),
        )
        .select_from(Appointment)
        .join(Service, col(Service.id) == Appointment.service_id)
        .outerjoin(Stop, and_(col(Stop.ticket_id) == Appointment.ticket_id, col(Stop.position) == 0))
        .where(
            col(Appointment.branch_id) == branch.id,
            col(Appointment.start_at) >= start,
            col(Appointment.start_at) < end,
        )
    ).all()
    tallies: dict[str, Tally[str]] = {}
    waited: list[float] = []
    for service, status, start_at, checked_in_at, called_at in rows:
        if status == AppointmentStatus.cancelled:
            kind = "cancelled"
        elif status == AppointmentStatus.checked_in:
            kind = "checked_in"
            if called_at is not None:
                since = max(start_at, checked_in_at or start_at)
                waited.append(max((called_at - since).total_seconds(), 0.0))
        elif now > start_at + timedelta(minutes=grace.get(service, DEFAULT_GRACE_MINUTES)):
            kind = "missed"
        else:
            kind = "booked"
        tallies.setdefault(service, Tally())[kind] += 1

    def counts(tally: Tally[str]) -> AppointmentCounts:
        return AppointmentCounts(
            booked=tally["booked"] + tally["checked_in"] + tally["missed"],
            checked_in=tally["checked_in"],
            missed=tally["missed"],
            cancelled=tally["cancelled"],
        )

    walk_ins = [seconds for ticket, seconds in waits(tickets) if not ticket.appointment]
    return AppointmentFigures(
        counts=counts(sum(tallies.values(), Tally())),
        by_service={service: counts(tally) for service, tally in sorted(tallies.items())},
        wait_from_start=duration_stats(waited),
        walk_in_wait=duration_stats(walk_ins),
    )
