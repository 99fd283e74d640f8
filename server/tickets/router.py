import io
from datetime import datetime
from typing import Annotated

import qrcode
from fastapi import APIRouter, Header, Path, Request, Response, status
from qrcode.image.svg import SvgPathImage
from sqlmodel import Session

from server.config import Settings
from server.deps import (
    ClockDep,
    CurrentStaff,
    IssuerDep,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    request_session,
)
from server.models import Ticket
from server.responses import model_response
from server.tickets import service, views, visit
from server.tickets.schemas import RouteChange, TicketCreate, TicketPublic

router = APIRouter(tags=["tickets"])


def base_url(request: Request, settings: Settings) -> str:
    return settings.public_base_url or str(request.base_url)


# A client's name for one issuing request (a UUID, say): sent again after a lost answer, it gets
# the ticket already issued instead of a second one.
RequestKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$"),
]


@router.post("/branches/{branch}/tickets", status_code=status.HTTP_201_CREATED, response_model=TicketPublic)
def issue_ticket(
    branch: str,
    body: TicketCreate,
    request: Request,
    issuer: IssuerDep,
    settings: SettingsDep,
    clock: ClockDep,
    request_key: RequestKey = None,
) -> Response:
    """Issue one numbered ticket for a service or a whole life event (kiosk device or staff).

    With an `Idempotency-Key` header, a repeated request (same issuer, same key) answers with the
    ticket it already issued and `Idempotent-Replayed: true`."""
    now = clock()
    # The session is opened and closed here, in the endpoint's thread, rather than by a
    # dependency: two fewer trips to the thread pool on the busiest write of the day.
    with request_session(request, write=True) as session:
        issued = service.issue_once(
            session,
            branch_id=branch,
            request=body,
            issuer=issuer,
            now=now,
            ignore_hours=settings.ignore_hours,
            request_key=request_key,
            sample=settings.estimate_sample_size,
        )
        view = views.ticket_view(
            session,
            issued.ticket,
            base_url=base_url(request, settings),
            now=now,
            sample=settings.estimate_sample_size,
            stops=issued.route,
            placed=issued.placed,
        )
    replayed = {"Idempotent-Replayed": "true"} if issued.replayed else None
    return model_response(view, status_code=status.HTTP_201_CREATED, headers=replayed)


@router.get("/tickets/{status_token}")
def get_ticket(
    status_token: str, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> TicketPublic:
    """A ticket's live status, by the unguessable token printed as a QR code (no sign-in)."""
    ticket = service.get_ticket_by_token(session, status_token=status_token)
    return views.ticket_view(
        session,
        ticket,
        base_url=base_url(request, settings),
        now=clock(),
        sample=settings.estimate_sample_size,
        for_holder=True,
    )


# A ticket's number within today's business day, as printed on the slip (L001, A012 …).
TicketNumber = Annotated[str, Path(pattern=r"^[A-Z0-9]{1,12}$")]


def _staff_view(session: Session, ticket: Ticket, request: Request, settings: Settings, now: datetime) -> TicketPublic:
    return views.ticket_view(
        session, ticket, base_url=base_url(request, settings), now=now, sample=settings.estimate_sample_size
    )


@router.get("/branches/{branch}/tickets/{number}")
def find_ticket(
    branch: str,
    number: TicketNumber,
    request: Request,
    session: SessionDep,
    staff: CurrentStaff,
    settings: SettingsDep,
    clock: ClockDep,
) -> TicketPublic:
    """Today's ticket with this number (staff): its route, where it stands, what is left."""
    now = clock()
    ticket = visit.find_ticket(session, branch_id=branch, number=number, staff=staff, now=now)
    return _staff_view(session, ticket, request, settings, now)


@router.put("/branches/{branch}/tickets/{number}/route")
def reroute(
    branch: str,
    number: TicketNumber,
    body: RouteChange,
    request: Request,
    session: WriteSessionDep,
    staff: CurrentStaff,
    settings: SettingsDep,
    clock: ClockDep,
) -> TicketPublic:
    """Replace the part of the route not yet begun (add a forgotten procedure, drop one, reorder); audited."""
    now = clock()
    ticket = visit.reroute(
        session,
        branch_id=branch,
        number=number,
        services=[stop.service for stop in body.stops],
        reason=body.reason,
        staff=staff,
        now=now,
    )
    return _staff_view(session, ticket, request, settings, now)


@router.post("/branches/{branch}/tickets/{number}/reinstate")
def reinstate(
    branch: str,
    number: TicketNumber,
    request: Request,
    session: WriteSessionDep,
    staff: CurrentStaff,
    settings: SettingsDep,
    clock: ClockDep,
) -> TicketPublic:
    """Bring back a citizen marked absent: the missed stop waits again with its original arrival time."""
    now = clock()
    ticket = visit.reinstate(session, branch_id=branch, number=number, staff=staff, now=now)
    return _staff_view(session, ticket, request, settings, now)


@router.get("/tickets/{status_token}/qr.svg", responses={200: {"content": {"image/svg+xml": {}}}})
def status_qr(status_token: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The QR code of a ticket's status link, for a tablet to show the citizen (SVG)."""
    ticket = service.get_ticket_by_token(session, status_token=status_token)
    link = views.status_url(base_url(request, settings), ticket.status_token)
    picture = qrcode.make(link, image_factory=SvgPathImage, border=4)
    buffer = io.BytesIO()
    picture.save(buffer)
    # The link is as good as the ticket: keep it out of caches on a shared tablet.
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
