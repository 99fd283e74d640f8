"""Admin API for bookings and closed days (/api/v1/admin/branches/{branch}/…), administrators only.

Every change takes the one path for rule changes (server/admin/service.py): export, edit, check
with the configuration's rules, apply, audit, and tell every process (catalog.changed).
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func
from sqlmodel import Session, col, select

from server.admin.service import Change, _dump, admin_branch, current_config, replacing_part, save_rules
from server.catalog.schemas import AppointmentsSpec, CalendarSpec, CityHallConfig
from server.deps import ClockDep, CurrentAdmin, SessionDep, WriteSessionDep
from server.errors import Conflict, NotFound
from server.models import Appointment, AppointmentStatus, Branch, Staff

router = APIRouter(prefix="/admin/branches/{branch}", tags=["admin"])


class ClosedDayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date


class ClosedDayAdded(BaseModel):
    date: date
    # Bookings already made for that day: still on record, for the staff to call and move.
    bookings: int
    calendar: CalendarSpec


def replace_appointments(
    session: Session, *, branch_id: str, appointments: AppointmentsSpec, staff: Staff, now: datetime
) -> AppointmentsSpec:
    edit = replacing_part("appointments", appointments, action="appointments.update", target="appointments")
    return save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit).appointments


def replace_calendar(
    session: Session, *, branch_id: str, calendar: CalendarSpec, staff: Staff, now: datetime
) -> CalendarSpec:
    edit = replacing_part("calendar", calendar, action="calendar.update", target="calendar")
    return save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit).calendar


def _closed_days(
    session: Session,
    *,
    branch_id: str,
    staff: Staff,
    now: datetime,
    action: str,
    change: Callable[[list[date]], list[date]],
) -> CalendarSpec:
    """Save the calendar with its extra closed days changed (`change`: from the days as saved)."""

    def edit(config: CityHallConfig) -> Change:
        before = config.calendar
        config.calendar = before.model_copy(update={"closed_days": change(list(before.closed_days))})
        return Change(action, "calendar", _dump(before), _dump(config.calendar))

    return save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit).calendar


def _bookings_on(session: Session, branch: Branch, day: date) -> int:
    if not 2 <= day.year <= 9998:
        return 0
    zone = ZoneInfo(branch.timezone)
    begin = datetime.combine(day, time(0), tzinfo=zone)
    return int(
        session.exec(
            select(func.count())
            .select_from(Appointment)
            .where(
                Appointment.branch_id == branch.id,
                col(Appointment.status) == AppointmentStatus.booked,
                col(Appointment.start_at) >= begin,
                col(Appointment.start_at) < begin + timedelta(days=1),
            )
        ).one()
    )


@router.get("/appointments")
def get_appointments(branch: str, session: SessionDep, admin: CurrentAdmin) -> AppointmentsSpec:
    """The bookable services and their slots, the reminder time and how long addresses are kept."""
    admin_branch(session, branch_id=branch, staff=admin)
    return current_config(session, branch_id=branch).appointments


@router.put("/appointments")
def put_appointments(
    branch: str, body: AppointmentsSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> AppointmentsSpec:
    """Set the bookable services (checked like the configuration file; bookings made stay)."""
    return replace_appointments(session, branch_id=branch, appointments=body, staff=admin, now=clock())


@router.get("/calendar")
def get_calendar(branch: str, session: SessionDep, admin: CurrentAdmin) -> CalendarSpec:
    """Closed days: weekends, national holidays, 12/29〜1/3, and the extra days added."""
    admin_branch(session, branch_id=branch, staff=admin)
    return current_config(session, branch_id=branch).calendar


@router.put("/calendar")
def put_calendar(
    branch: str, body: CalendarSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> CalendarSpec:
    """Set the closed-day rules and the extra closed days at once (they apply to tickets and bookings)."""
    return replace_calendar(session, branch_id=branch, calendar=body, staff=admin, now=clock())


@router.post("/closed-days", status_code=status.HTTP_201_CREATED)
def add_closed_day(
    branch: str, body: ClosedDayCreate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> ClosedDayAdded:
    """Close the branch on one more day: no tickets and no new bookings then. Bookings already
    made for that day are counted in the answer (the staff's day view lists them)."""

    def add(days: list[date]) -> list[date]:
        if body.date in days:
            raise Conflict(
                f"すでに閉庁日です。 {body.date.isoformat()} is already a closed day.", code="closed_day_exists"
            )
        return sorted([*days, body.date])

    saved = _closed_days(
        session, branch_id=branch, staff=admin, now=clock(), action="calendar.closed_day_add", change=add
    )
    bookings = _bookings_on(session, admin_branch(session, branch_id=branch, staff=admin), body.date)
    return ClosedDayAdded(date=body.date, bookings=bookings, calendar=saved)


@router.delete("/closed-days/{day}", status_code=status.HTTP_204_NO_CONTENT)
def remove_closed_day(
    branch: str,
    day: Annotated[date, Path(description="YYYY-MM-DD")],
    session: WriteSessionDep,
    admin: CurrentAdmin,
    clock: ClockDep,
) -> None:
    """Open again on an extra closed day (weekends and holidays follow the rules above)."""

    def remove(days: list[date]) -> list[date]:
        if day not in days:
            raise NotFound(
                f"臨時の閉庁日ではありません。 {day.isoformat()} is not one of the extra closed days.",
                code="closed_day_not_found",
            )
        return [other for other in days if other != day]

    _closed_days(
        session, branch_id=branch, staff=admin, now=clock(), action="calendar.closed_day_remove", change=remove
    )
