from fastapi import APIRouter, Request, status

from server.config import Settings
from server.deps import ClockDep, IssuerDep, SessionDep, SettingsDep, WriteSessionDep
from server.tickets import service
from server.tickets.schemas import TicketCreate, TicketPublic

router = APIRouter(tags=["tickets"])


def base_url(request: Request, settings: Settings) -> str:
    return settings.public_base_url or str(request.base_url)


@router.post("/branches/{branch}/tickets", status_code=status.HTTP_201_CREATED)
def issue_ticket(
    branch: str,
    body: TicketCreate,
    request: Request,
    session: WriteSessionDep,
    issuer: IssuerDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> TicketPublic:
    """Issue one numbered ticket for a service or a whole life event (kiosk device or staff)."""
    now = clock()
    ticket = service.issue_ticket(
        session, branch_id=branch, request=body, issuer=issuer, now=now, ignore_hours=settings.ignore_hours
    )
    return service.ticket_view(
        session, ticket, base_url=base_url(request, settings), now=now, sample=settings.estimate_sample_size
    )


@router.get("/tickets/{status_token}")
def get_ticket(
    status_token: str, request: Request, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> TicketPublic:
    """A ticket's live status, by the unguessable token printed as a QR code (no sign-in)."""
    ticket = service.get_ticket_by_token(session, status_token=status_token)
    return service.ticket_view(
        session,
        ticket,
        base_url=base_url(request, settings),
        now=clock(),
        sample=settings.estimate_sample_size,
        for_holder=True,
    )
