"""Booked visits (予約): bookable services, slots, booking, cancelling, check-in, the staff day view.

A slot's places live in `AppointmentSlot.booked`, raised by one conditional UPDATE (`booked <
capacity`) in the booking's transaction: on PostgreSQL the row lock makes a second booking wait
and re-check the condition, on SQLite the write lock serializes bookings, so a slot is never
overbooked however many processes book at once. Cancelling lowers it again.
"""

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from server.appointments import mail
from server.catalog.calendar import calendar_of, closed_day
from server.catalog.schemas import WEEKDAYS, AppointmentsSpec, BookableSpec, minutes_of_day
from server.catalog.snapshot import BranchCatalog, branch_catalog
from server.catalog.translations import localize
from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.mail import valid_address
from server.models import (
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    Branch,
    Device,
    Service,
    Staff,
    Ticket,
)
from server.tickets.schemas import TicketCreate
from server.tickets.service import Issuer, _issue
from server.tickets.views import Route

# No 0/O and no 1/I: a code is read off a phone and typed at a kiosk.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
MAX_DAYS_LISTED = 93
# Dates outside these years are answered without arithmetic that could overflow (a fuzzer's 9999-12-31).
MIN_YEAR, MAX_YEAR = 2, 9998


def appointments_of(branch: Branch) -> AppointmentsSpec:
    return AppointmentsSpec.model_validate(branch.settings.get("appointments") or {})


@dataclass(frozen=True)
class Bookable:
    spec: BookableSpec
    service: Service
    zone: ZoneInfo


def _bookable(catalog: BranchCatalog, key: str) -> Bookable:
    service = catalog.active_services.get(key)
    spec = next((item for item in appointments_of(catalog.branch).services if item.service == key), None)
    if service is None or spec is None:
        offered = ", ".join(item.service for item in appointments_of(catalog.branch).services) or "none"
        raise NotFound(
            f"この手続きは予約できません。 Service {key!r} cannot be booked here; bookable services: {offered}.",
            code="service_not_bookable",
        )
    return Bookable(spec, service, ZoneInfo(catalog.branch.timezone))


def _local_today(catalog: BranchCatalog, now: datetime) -> date:
    return now.astimezone(ZoneInfo(catalog.branch.timezone)).date()


def slot_starts(bookable: Bookable, day: date) -> list[datetime]:
    """The slots the weekly hours lay out on `day` (closed days aside), as aware local times."""
    starts = []
    for clock_range in bookable.spec.hours.get(WEEKDAYS[day.weekday()], []):
        begin, end = (minutes_of_day(part) for part in clock_range.split("-"))
        minute = begin
        while minute + bookable.spec.slot_minutes <= end:
            starts.append(datetime.combine(day, time(minute // 60, minute % 60), tzinfo=bookable.zone))
            minute += bookable.spec.slot_minutes
    return starts


def _why_not_bookable(catalog: BranchCatalog, bookable: Bookable, day: date, now: datetime) -> str | None:
    """Why nothing can be booked on `day` (closed, past, too far ahead), or None."""
    closed = closed_day(calendar_of(catalog.branch.settings), day)
    if closed is not None:
        return closed.message(day)
    today = _local_today(catalog, now)
    if day < today:
        return f"過ぎた日は予約できません。 {day.isoformat()} is in the past."
    last = today + timedelta(days=bookable.spec.days_ahead)
    if day > last:
        return (
            f"予約は{bookable.spec.days_ahead}日先({last.month}月{last.day}日)までです。 "
            f"Bookings open {bookable.spec.days_ahead} days ahead, up to {last.isoformat()}."
        )
    return None


def _taken(session: Session, bookable: Bookable, starts: Sequence[datetime]) -> dict[datetime, int]:
    if not starts:
        return {}
    rows = session.exec(
        select(AppointmentSlot).where(
            AppointmentSlot.branch_id == bookable.service.branch_id,
            AppointmentSlot.service_id == bookable.service.id,
            col(AppointmentSlot.start_at) >= min(starts),
            col(AppointmentSlot.start_at) <= max(starts),
        )
    ).all()
    return {row.start_at: row.booked for row in rows}


def _first_bookable_start(bookable: Bookable, now: datetime) -> datetime:
    return now + timedelta(hours=bookable.spec.min_notice_hours)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    available: int


def day_slots(session: Session, *, branch_id: str, service: str, day: date, now: datetime) -> list[Slot]:
    """The day's slots with their free places (0 for one past or too soon); none on a closed day."""
    catalog = branch_catalog(session, branch_id)
    bookable = _bookable(catalog, service)
    if not MIN_YEAR <= day.year <= MAX_YEAR or _why_not_bookable(catalog, bookable, day, now) is not None:
        return []
    starts = slot_starts(bookable, day)
    taken = _taken(session, bookable, starts)
    earliest = _first_bookable_start(bookable, now)
    length = timedelta(minutes=bookable.spec.slot_minutes)
    return [
        Slot(
            start,
            start + length,
            0 if start < earliest else max(bookable.spec.capacity - taken.get(start, 0), 0),
        )
        for start in starts
    ]


def open_days(
    session: Session, *, branch_id: str, service: str, first: date, last: date, now: datetime
) -> list[dict[str, Any]]:
    """Each date from `first` to `last`: open or not (and why not), and its free places."""
    if last < first:
        raise Unprocessable("期間の指定が逆です。 'to' is before 'from'.", code="invalid_range")
    if (last - first).days >= MAX_DAYS_LISTED:
        raise Unprocessable(
            f"一度に{MAX_DAYS_LISTED}日までです。 Ask for at most {MAX_DAYS_LISTED} days at once.",
            code="range_too_long",
        )
    catalog = branch_catalog(session, branch_id)
    bookable = _bookable(catalog, service)
    days: list[dict[str, Any]] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        why = _why_not_bookable(catalog, bookable, day, now)
        closed = closed_day(calendar_of(catalog.branch.settings), day)
        slots = [] if why else day_slots(session, branch_id=branch_id, service=service, day=day, now=now)
        days.append(
            {
                "date": day.isoformat(),
                "open": bool(slots),
                "closed": closed is not None,
                "reason": closed.reason if closed else None if slots else "out_of_range" if why else "no_hours",
                "slots": len(slots),
                "free": sum(slot.available for slot in slots),
            }
        )
    return days


def bookable_services(session: Session, *, branch_id: str, language: str) -> list[dict[str, Any]]:
    catalog = branch_catalog(session, branch_id)
    translations = catalog.branch.settings.get("translations") or {}
    listed = []
    appointments = appointments_of(catalog.branch)
    for spec in appointments.services:
        service = catalog.active_services.get(spec.service)
        if service is None:
            continue
        name = localize(translations, language, ("services", service.key), ja=service.name_ja, en=service.name_en)
        listed.append(
            {
                "id": service.key,
                "name": name.text,
                "name_lang": name.lang,
                "name_ja": service.name_ja,
                "slot_minutes": spec.slot_minutes,
                "capacity": spec.capacity,
                "days_ahead": spec.days_ahead,
                "min_notice_hours": spec.min_notice_hours,
                "check_in_opens_minutes": spec.check_in_opens_minutes,
                "grace_minutes": spec.grace_minutes,
                # The booking page tells the citizen when their address is erased.
                "email_retention_days": appointments.email_retention_days,
            }
        )
    return listed


# --- booking ------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", code).upper()


def _new_code(session: Session, branch_id: str) -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = session.exec(select(Appointment.id).where(Appointment.branch_id == branch_id, Appointment.code == code))
        if taken.first() is None:
            return code
    raise Conflict(
        "予約番号を作れませんでした。もう一度お試しください。 Could not make a booking code; try again.", code="busy"
    )  # 32^6 codes: never in practice


def _take_place(session: Session, bookable: Bookable, start: datetime) -> None:
    """One place in the slot, or 409 slot_full: an insert of the row if missing, then one
    conditional update that only succeeds while places are left."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = AppointmentSlot.__table__  # type: ignore[attr-defined]
    key = {"branch_id": bookable.service.branch_id, "service_id": bookable.service.id, "start_at": start}
    session.execute(insert(table).values(**key, booked=0).on_conflict_do_nothing())
    taken = session.execute(
        update(table)
        .where(
            table.c.branch_id == key["branch_id"],
            table.c.service_id == key["service_id"],
            table.c.start_at == start,
            table.c.booked < bookable.spec.capacity,
        )
        .values(booked=table.c.booked + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict(
            "この時間は満員です。別の時間をお選びください。 This time is fully booked; choose another.",
            code="slot_full",
        )


def _free_place(session: Session, appointment: Appointment) -> None:
    table = AppointmentSlot.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(
            table.c.branch_id == appointment.branch_id,
            table.c.service_id == appointment.service_id,
            table.c.start_at == appointment.start_at,
            table.c.booked > 0,
        )
        .values(booked=table.c.booked - 1)
    )


def book(
    session: Session,
    *,
    branch_id: str,
    service: str,
    start: datetime,
    language: str,
    email: str | None,
    now: datetime,
    base_url: str,
    staff: Staff | None = None,
    send_mail: bool = True,
) -> Appointment:
    catalog = branch_catalog(session, branch_id)
    if staff is not None and staff.branch_id is not None and staff.branch_id != branch_id:
        raise Forbidden(f"This account belongs to branch {staff.branch_id!r}, not {branch_id!r}.", code="wrong_branch")
    bookable = _bookable(catalog, service)
    if start.tzinfo is None:
        raise Unprocessable(
            "開始時刻は時差つきで指定してください。 Give the start with its offset, as the slots list it "
            "(2026-04-01T09:00:00+09:00).",
            code="invalid_start",
        )
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise Conflict(
            f"この時刻は予約枠ではありません。 {start.isoformat()} is not one of the slots.", code="slot_unavailable"
        )
    local = start.astimezone(bookable.zone)
    why = _why_not_bookable(catalog, bookable, local.date(), now)
    if why is not None:
        raise Conflict(why, code="slot_unavailable")
    if local not in slot_starts(bookable, local.date()):
        raise Conflict(
            "この時刻は予約枠ではありません。 "
            f"{local.isoformat()} is not one of the day's slots; choose a start from the slots list.",
            code="slot_unavailable",
        )
    if start < _first_bookable_start(bookable, now):
        notice = bookable.spec.min_notice_hours
        raise Conflict(
            "この時間は予約を受け付けていません"
            + (f"({notice}時間前までにご予約ください)" if notice else "")
            + "。 This time has passed or is too soon to book"
            + (f" (book at least {notice} hours ahead)." if notice else "."),
            code="slot_unavailable",
        )
    address = email.strip() if email else None
    if address is not None and not valid_address(address):
        raise Unprocessable(
            "メールアドレスを確認してください。 The e-mail address is not valid (for example name@example.jp).",
            code="invalid_email",
        )
    settings = appointments_of(catalog.branch)
    _take_place(session, bookable, start)
    end = start + timedelta(minutes=bookable.spec.slot_minutes)
    assert bookable.service.id is not None
    appointment = Appointment(
        branch_id=branch_id,
        service_id=bookable.service.id,
        code=_new_code(session, branch_id),
        manage_token=secrets.token_urlsafe(24),
        start_at=start,
        end_at=end,
        language=language,
        email=address,
        email_erase_after=end + timedelta(days=settings.email_retention_days) if address else None,
        booked_by_staff_id=staff.id if staff else None,
        created_at=now,
    )
    session.add(appointment)
    session.flush()
    if address is not None and send_mail:
        mail.queue_confirmation(session, catalog=catalog, appointment=appointment, now=now, base_url=base_url)
        mail.queue_reminder(session, catalog=catalog, appointment=appointment, now=now, base_url=base_url)
    session.commit()
    return appointment


def by_token(session: Session, *, manage_token: str) -> Appointment:
    appointment = session.exec(select(Appointment).where(Appointment.manage_token == manage_token)).first()
    if appointment is None:
        raise NotFound(
            "この予約は見つかりません。 No booking has this link; check the link in your e-mail.",
            code="appointment_not_found",
        )
    return appointment


def cancel(session: Session, *, manage_token: str, now: datetime, base_url: str) -> Appointment:
    appointment = by_token(session, manage_token=manage_token)
    if appointment.status == AppointmentStatus.cancelled:
        return appointment
    if appointment.status == AppointmentStatus.checked_in:
        raise Conflict(
            "受付済みの予約は取り消せません。窓口でお申し出ください。 "
            "This booking is already checked in; ask the staff at the counter.",
            code="already_checked_in",
        )
    if now >= appointment.start_at:
        raise Conflict(
            "予約の時刻を過ぎたため取り消せません。 The booked time has begun; it can no longer be cancelled.",
            code="appointment_past",
        )
    appointment.status, appointment.cancelled_at = AppointmentStatus.cancelled, now
    session.add(appointment)
    _free_place(session, appointment)
    mail.cancel_reminder(session, appointment=appointment)
    if appointment.email:
        catalog = branch_catalog(session, appointment.branch_id)
        mail.queue_cancellation(session, catalog=catalog, appointment=appointment, now=now, base_url=base_url)
        appointment.email = None  # the notice holds its own copy until sent; the booking needs it no more
    session.commit()
    return appointment


# --- check-in -----------------------------------------------------------------------------


def _find_for_check_in(session: Session, branch_id: str, code: str) -> Appointment:
    """By the code typed at the kiosk, or by the manage token the QR code of the e-mail holds."""
    normalized = normalize_code(code)
    found = session.exec(
        select(Appointment).where(Appointment.branch_id == branch_id, Appointment.code == normalized)
    ).first()
    if found is None and len(code) > CODE_LENGTH:
        found = session.exec(select(Appointment).where(Appointment.manage_token == code)).first()
        if found is not None and found.branch_id != branch_id:
            raise NotFound(
                f"この予約は別の庁舎の予約です。 This booking is for another branch ({found.branch_id}).",
                code="appointment_other_branch",
            )
    if found is None:
        raise NotFound(
            "この予約番号は見つかりません。予約確認の番号をご確認ください。 "
            "No booking has this code; check the code in your confirmation.",
            code="appointment_not_found",
        )
    return found


def check_in_key(appointment: Appointment) -> str:
    """The request key of an appointment's ticket: the unique index makes a second check-in
    (another kiosk at the same moment) find the first one's ticket instead of a second one."""
    return f"appointment#{appointment.id}"  # '#' never appears in a client's Idempotency-Key


def _ticket_of(session: Session, appointment: Appointment) -> Ticket | None:
    return session.exec(
        select(Ticket).where(Ticket.branch_id == appointment.branch_id, Ticket.request_key == check_in_key(appointment))
    ).first()


@dataclass(frozen=True)
class CheckedIn:
    ticket: Ticket
    route: Route | None
    again: bool  # checked in before: the same ticket


def check_in(session: Session, *, branch_id: str, code: str, issuer: Issuer, now: datetime) -> CheckedIn:
    if issuer.branch_id is not None and issuer.branch_id != branch_id:
        raise Forbidden(f"This account belongs to branch {issuer.branch_id!r}, not {branch_id!r}.", code="wrong_branch")
    catalog = branch_catalog(session, branch_id)
    appointment = _find_for_check_in(session, branch_id, code)
    if appointment.status == AppointmentStatus.checked_in:
        earlier = _ticket_of(session, appointment)
        if earlier is not None:
            return CheckedIn(earlier, None, again=True)
    if appointment.status == AppointmentStatus.cancelled:
        raise Conflict(
            "この予約は取り消されています。番号札をお取りください。 "
            "This booking was cancelled; please take a walk-in ticket.",
            code="appointment_cancelled",
        )
    service = catalog.services[appointment.service_id]
    spec = next((item for item in appointments_of(catalog.branch).services if item.service == service.key), None)
    opens_minutes = spec.check_in_opens_minutes if spec else 30
    grace_minutes = spec.grace_minutes if spec else 15
    start = appointment.start_at
    zone = ZoneInfo(catalog.branch.timezone)
    opens = start - timedelta(minutes=opens_minutes)
    if now < opens:
        local = opens.astimezone(zone)
        day = "" if local.date() == now.astimezone(zone).date() else f"{local.month}月{local.day}日"
        raise Conflict(
            f"予約の受付は{day}{local:%H:%M}からです。 Check-in opens at {local:%H:%M}"
            + ("" if not day else f" on {local.date().isoformat()}")
            + ".",
            code="too_early",
            facts={"opens_at": local},
        )
    if now > start + timedelta(minutes=grace_minutes):
        local = start.astimezone(zone)
        raise Conflict(
            f"予約の時刻({local:%H:%M})を{grace_minutes}分以上過ぎています。番号札をお取りください。 "
            f"The booked time ({local:%H:%M}) passed more than {grace_minutes} minutes ago; "
            "please take a walk-in ticket.",
            code="appointment_missed",
            facts={"start": local},
        )
    claimed = session.execute(
        update(Appointment)
        .where(col(Appointment.id) == appointment.id, col(Appointment.status) == AppointmentStatus.booked)
        .values(status=AppointmentStatus.checked_in, checked_in_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # Another kiosk checked it in a moment ago: its ticket.
        session.rollback()
        earlier = _ticket_of(session, appointment)
        if earlier is None:
            raise Conflict(
                "受付の処理中です。もう一度お試しください。 This booking is being checked in; try again.", code="busy"
            )
        return CheckedIn(earlier, None, again=True)
    request = TicketCreate(service=service.key, language=appointment.language)
    issued = _issue(
        session,
        branch_id=branch_id,
        request=request,
        issuer=issuer,
        now=now,
        request_key=check_in_key(appointment),
        appointment_at=start,
        also=lambda ticket: _link_ticket(session, appointment, ticket),
    )
    return CheckedIn(issued.ticket, issued.route, again=False)


def _link_ticket(session: Session, appointment: Appointment, ticket: Ticket) -> None:
    session.execute(update(Appointment).where(col(Appointment.id) == appointment.id).values(ticket_id=ticket.id))


# --- the staff's day view ----------------------------------------------------------------


def effective_status(appointment: Appointment, grace_minutes: int, now: datetime) -> str:
    """booked, checked_in, cancelled, or missed (booked and past the grace time)."""
    if appointment.status == AppointmentStatus.booked and now > appointment.start_at + timedelta(minutes=grace_minutes):
        return "missed"
    return str(appointment.status)


def grace_of(catalog: BranchCatalog, service_id: int) -> int:
    key = catalog.services[service_id].key
    spec = next((item for item in appointments_of(catalog.branch).services if item.service == key), None)
    return spec.grace_minutes if spec else 15


def day_view(
    session: Session, *, branch_id: str, day: date, service: str | None, staff: Staff, now: datetime
) -> list[dict[str, Any]]:
    if staff.branch_id is not None and staff.branch_id != branch_id:
        raise Forbidden(f"Your account belongs to branch {staff.branch_id!r}, not {branch_id!r}.", code="wrong_branch")
    catalog = branch_catalog(session, branch_id)
    if service is not None:
        _bookable(catalog, service)
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return []
    zone = ZoneInfo(catalog.branch.timezone)
    begin = datetime.combine(day, time(0), tzinfo=zone)
    statement = (
        select(Appointment, Ticket)
        .join(Ticket, col(Ticket.id) == Appointment.ticket_id, isouter=True)
        .where(
            Appointment.branch_id == branch_id,
            col(Appointment.start_at) >= begin,
            col(Appointment.start_at) < begin + timedelta(days=1),
        )
        .order_by(col(Appointment.start_at), col(Appointment.id))
    )
    if service is not None:
        statement = statement.where(Appointment.service_id == _bookable(catalog, service).service.id)
    rows = []
    for appointment, ticket in session.exec(statement).all():
        status = effective_status(appointment, grace_of(catalog, appointment.service_id), now)
        late = (
            appointment.checked_in_at > appointment.start_at
            if appointment.checked_in_at is not None
            else status in ("booked", "missed") and now > appointment.start_at
        )
        rows.append(
            {
                "code": appointment.code,
                "service": catalog.services[appointment.service_id].key,
                "start": appointment.start_at.astimezone(zone),
                "end": appointment.end_at.astimezone(zone),
                "status": status,
                "late": late,
                "checked_in_at": appointment.checked_in_at.astimezone(zone) if appointment.checked_in_at else None,
                "ticket": ticket.number if ticket else None,
                "by_staff": appointment.booked_by_staff_id is not None,
                "email": appointment.email is not None,
            }
        )
    return rows


def issuer_is_kiosk(issuer: Issuer) -> bool:
    return isinstance(issuer, Device)


def public_view(session: Session, appointment: Appointment, *, base_url: str, now: datetime) -> dict[str, Any]:
    catalog = branch_catalog(session, appointment.branch_id)
    zone = ZoneInfo(catalog.branch.timezone)
    service = catalog.services[appointment.service_id]
    spec = next((item for item in appointments_of(catalog.branch).services if item.service == service.key), None)
    opens = spec.check_in_opens_minutes if spec else 30
    grace = grace_of(catalog, appointment.service_id)
    return {
        "code": appointment.code,
        "manage_token": appointment.manage_token,
        "branch": appointment.branch_id,
        "service": service.key,
        "start": appointment.start_at.astimezone(zone),
        "end": appointment.end_at.astimezone(zone),
        "status": effective_status(appointment, grace, now),
        "language": appointment.language,
        "email": appointment.email is not None,
        "manage_url": mail.manage_url(base_url, appointment.manage_token),
        "check_in_opens": (appointment.start_at - timedelta(minutes=opens)).astimezone(zone),
        "check_in_until": (appointment.start_at + timedelta(minutes=grace)).astimezone(zone),
    }


def calendar_of_booking(session: Session, *, manage_token: str, base_url: str, now: datetime) -> bytes:
    appointment = by_token(session, manage_token=manage_token)
    catalog = branch_catalog(session, appointment.branch_id)
    return mail.calendar_file(catalog, appointment, base_url=base_url, now=now)
