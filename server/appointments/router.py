"""Appointment routes (DESIGN.md, "Appointments"): thin, the rules live in service.py."""

import hmac
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from server.appointments import service
from server.appointments.schemas import (
    AppointmentCreate,
    AppointmentPublic,
    BookableService,
    DayPublic,
    DayViewItem,
    SlotPublic,
)
from server.appointments.throttle import BookingThrottle
from server.config import Settings
from server.deps import (
    ClockDep,
    CurrentStaff,
    IssuerDep,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    bearer_token,
    current_staff,
)
from server.edge.protocol import EDGE_CLIENT_HEADER, EDGE_KEY_HEADER
from server.models import Staff
from server.tickets import service as tickets
from server.tickets.router import base_url
from server.tickets.schemas import TicketPublic
from server.tickets.views import ticket_view

router = APIRouter(tags=["appointments"])

ServiceKey = Annotated[str, Query(min_length=1, max_length=60, description="A bookable service's id")]
Language = Annotated[str, Query(pattern=r"^[a-z]{2}(_[a-z]+)?$", max_length=10)]


def _throttle(request: Request) -> BookingThrottle:
    throttle: BookingThrottle | None = getattr(request.app.state, "booking_throttle", None)
    if throttle is None:
        settings = request.app.state.settings
        throttle = request.app.state.booking_throttle = BookingThrottle(
            limit=settings.booking_limit, window=timedelta(seconds=settings.booking_window_seconds)
        )
    return throttle


@router.get("/branches/{branch}/appointments/services")
def bookable_services(branch: str, session: SessionDep, lang: Language = "ja") -> list[BookableService]:
    """The services citizens can book, named in `lang` (no sign-in)."""
    tickets.get_branch(session, branch)
    return [BookableService(**item) for item in service.bookable_services(session, branch_id=branch, language=lang)]


@router.get("/branches/{branch}/appointments/days")
def open_days(
    branch: str,
    session: SessionDep,
    clock: ClockDep,
    service_id: Annotated[str, Query(alias="service", min_length=1, max_length=60)],
    first: Annotated[date, Query(alias="from")],
    last: Annotated[date, Query(alias="to")],
) -> list[DayPublic]:
    """Each date from `from` to `to` (at most 93 days): open or not, and how many places are free."""
    tickets.get_branch(session, branch)
    days = service.open_days(session, branch_id=branch, service=service_id, first=first, last=last, now=clock())
    return [DayPublic.model_validate(day) for day in days]


@router.get("/branches/{branch}/appointments/slots")
def slots(
    branch: str,
    session: SessionDep,
    clock: ClockDep,
    service_id: Annotated[str, Query(alias="service", min_length=1, max_length=60)],
    day: Annotated[date, Query(alias="date")],
) -> list[SlotPublic]:
    """The day's slots with their free places; none on a closed day or outside the booking window."""
    tickets.get_branch(session, branch)
    found = service.day_slots(session, branch_id=branch, service=service_id, day=day, now=clock())
    return [SlotPublic(start=slot.start, end=slot.end, available=slot.available) for slot in found]


def client_address(request: Request, settings: Settings) -> str:
    """Whom to count a public booking against: the phone's address when the request came over
    this city hall's own edge link (which names it), else the connecting client's."""
    edge_key = request.headers.get(EDGE_KEY_HEADER)
    forwarded_for = request.headers.get(EDGE_CLIENT_HEADER)
    if edge_key and forwarded_for and settings.edge_key and hmac.compare_digest(edge_key, settings.edge_key):
        return f"edge:{forwarded_for}"
    return request.client.host if request.client else "unknown"


async def _optional_staff(request: Request) -> Staff | None:
    """Staff when the request is signed in (a telephone booking), else None (a citizen)."""
    if not request.headers.get("authorization"):
        return None
    token = await bearer_token(request)
    return await current_staff(request, token, request.app.state.clock)


OptionalStaff = Annotated[Staff | None, Depends(_optional_staff)]


@router.post("/branches/{branch}/appointments", status_code=status.HTTP_201_CREATED)
def book(
    branch: str,
    body: AppointmentCreate,
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    staff: OptionalStaff,
) -> AppointmentPublic:
    """Book a slot: no sign-in (throttled per client address), or staff for a telephone booking.

    A full slot → 409 `slot_full`; a past, closed or unknown slot → 409 `slot_unavailable`."""
    now = clock()
    if staff is None:
        _throttle(request).attempt(address=client_address(request, settings), now=now)
    tickets.get_branch(session, branch)
    link_base = base_url(request, settings)
    appointment = service.book(
        session,
        branch_id=branch,
        service=body.service,
        start=body.start,
        language=body.language,
        email=body.email,
        now=now,
        base_url=link_base,
        staff=staff,
        send_mail=body.send_mail or staff is None,
    )
    return AppointmentPublic(**service.public_view(session, appointment, base_url=link_base, now=now))


@router.get("/branches/{branch}/appointments")
def day_view(
    branch: str,
    session: SessionDep,
    staff: CurrentStaff,
    clock: ClockDep,
    day: Annotated[date, Query(alias="date")],
    service_id: Annotated[str | None, Query(alias="service", min_length=1, max_length=60)] = None,
) -> list[DayViewItem]:
    """The staff's day view: each booking by code and time, its status, late or not, its ticket."""
    tickets.get_branch(session, branch)
    rows = service.day_view(session, branch_id=branch, day=day, service=service_id, staff=staff, now=clock())
    return [DayViewItem.model_validate(row) for row in rows]


@router.get("/appointments/{manage_token}")
def get_appointment(
    manage_token: str, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> AppointmentPublic:
    """A booking by its manage link (no sign-in)."""
    appointment = service.by_token(session, manage_token=manage_token)
    view = service.public_view(session, appointment, base_url=base_url(request, settings), now=clock())
    return AppointmentPublic(**view)


@router.delete("/appointments/{manage_token}")
def cancel_appointment(
    manage_token: str, request: Request, session: WriteSessionDep, settings: SettingsDep, clock: ClockDep
) -> AppointmentPublic:
    """Cancel: the slot's place is free again, the reminder is not sent. Cancelling twice is harmless."""
    now = clock()
    link_base = base_url(request, settings)
    appointment = service.cancel(session, manage_token=manage_token, now=now, base_url=link_base)
    return AppointmentPublic(**service.public_view(session, appointment, base_url=link_base, now=now))


@router.get(
    "/appointments/{manage_token}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def calendar_file(
    manage_token: str, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> Response:
    """The booking as an iCalendar file (RFC 5545, one VEVENT)."""
    data = service.calendar_of_booking(
        session, manage_token=manage_token, base_url=base_url(request, settings), now=clock()
    )
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="appointment.ics"', "Cache-Control": "no-store"},
    )


@router.post("/branches/{branch}/appointments/{code}/check-in", status_code=status.HTTP_201_CREATED)
def check_in(
    branch: str,
    code: Annotated[str, Path(min_length=1, max_length=100)],
    request: Request,
    response: Response,
    session: WriteSessionDep,
    issuer: IssuerDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> TicketPublic:
    """Check a booking in (kiosk or staff) by its code or its manage token (the e-mail's QR code):
    201 and a ticket marked `appointment: true`; checked in before → 200 and the same ticket.
    Too early → 409 `too_early`; past the grace time → 409 `appointment_missed`."""
    now = clock()
    tickets.get_branch(session, branch)
    done = service.check_in(session, branch_id=branch, code=code, issuer=issuer, now=now)
    if done.again:
        response.status_code = status.HTTP_200_OK
    return ticket_view(
        session,
        done.ticket,
        base_url=base_url(request, settings),
        now=now,
        sample=settings.estimate_sample_size,
        stops=done.route,
    )
