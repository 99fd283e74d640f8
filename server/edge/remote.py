"""Remote queueing: a number taken from the phone on the edge's congestion page.

Off unless MADOGUCHI_REMOTE_QUEUEING names a service ("honcho:juminhyo=30,…": branch, service key,
tickets a business day), so that walk-ins are not crowded out. The request reaches the server only
over the edge link (which sets the edge key header); a remote ticket is an ordinary ticket issued
by the branch's remote issuer (a kiosk-kind device that never signs in), so it is called, shown and
marked absent like any other, and the quota counts that issuer's tickets of the day.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

from fastapi import APIRouter, Depends, Header, Request, status
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, func, select

from server.catalog.snapshot import branch_catalog
from server.deps import ClockDep, SettingsDep, WriteSessionDep
from server.edge.protocol import EDGE_KEY_HEADER
from server.errors import Conflict, Forbidden, NotFound, Unauthorized
from server.models import Device, DeviceKind, Ticket
from server.tickets.numbering import business_day
from server.tickets.schemas import Key, Language, TicketCreate, TicketPublic
from server.tickets.service import issue_ticket
from server.tickets.views import ticket_view

REMOTE_ISSUER_NAME = "remote-queueing (public edge)"

RemoteServices = dict[tuple[str, str], int]


def remote_services(setting: str) -> RemoteServices:
    """Parse "honcho:juminhyo=30,honcho:inkan=10" into {("honcho", "juminhyo"): 30, …}; refuses a bad entry."""
    services: RemoteServices = {}
    for entry in (part.strip() for part in setting.split(",")):
        if not entry:
            continue
        target, _, quota = entry.partition("=")
        branch_id, _, service_key = target.partition(":")
        if not (branch_id and service_key and quota.isdigit() and int(quota) > 0):
            raise ValueError(
                f"MADOGUCHI_REMOTE_QUEUEING: {entry!r} is not 'branch:service=daily quota' (e.g. honcho:juminhyo=30)"
            )
        services[(branch_id, service_key)] = int(quota)
    return services


def remote_issuer(session: Session, *, branch_id: str, now: datetime) -> Device:
    """The branch's remote issuer, created on first use; locked, so that remote issues of a branch
    count their quota one at a time (SQLite: the write transaction already is)."""
    statement = select(Device).where(Device.branch_id == branch_id, Device.name == REMOTE_ISSUER_NAME)
    device = session.exec(statement.order_by(col(Device.id)).with_for_update()).first()
    if device is None:
        # Nobody holds its token: it issues only through this function.
        token_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        device = Device(
            branch_id=branch_id, name=REMOTE_ISSUER_NAME, kind=DeviceKind.kiosk, token_hash=token_hash, created_at=now
        )
        session.add(device)
        session.flush()
    return device


def issue_remote_ticket(
    session: Session,
    *,
    branch_id: str,
    service_key: str,
    language: str,
    quotas: RemoteServices,
    now: datetime,
    ignore_hours: bool = False,
) -> Ticket:
    quota = quotas.get((branch_id, service_key))
    if quota is None:
        raise Forbidden(
            "この手続きはスマートフォンからの受付をしていません。庁舎の発券機で番号札をお取りください。 "
            "This procedure does not take numbers from the phone; please take one at the kiosk in the city hall.",
            code="remote_queueing_off",
        )
    catalog = branch_catalog(session, branch_id)
    service = catalog.active_services.get(service_key)
    if service is None or service.sensitive:
        raise NotFound(f"Unknown service {service_key!r}.", code="service_not_found")
    issuer = remote_issuer(session, branch_id=branch_id, now=now)
    taken = session.exec(
        select(func.count())
        .select_from(Ticket)
        .join(Device, col(Device.id) == Ticket.issued_by_device_id)
        .where(
            Ticket.branch_id == branch_id,
            Ticket.business_on == business_day(catalog.branch, now),
            Ticket.service_id == service.id,
            Device.name == REMOTE_ISSUER_NAME,
        )
    ).one()
    if taken >= quota:
        session.rollback()
        raise Conflict(
            f"本日のスマートフォンからの受付は終了しました(この手続きは1日{quota}件まで)。"
            "庁舎の発券機で番号札をお取りください。 "
            f"Today's numbers from the phone for this procedure are all taken ({quota} a day); "
            "please take a number at the kiosk in the city hall.",
            code="remote_quota_reached",
        )
    request = TicketCreate(service=service_key, language=language)
    return issue_ticket(
        session, branch_id=branch_id, request=request, issuer=issuer, now=now, ignore_hours=ignore_hours
    )


class RemoteTicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Key
    language: Language = "ja"


router = APIRouter(tags=["edge"])


def edge_link(
    settings: SettingsDep,
    edge_key: str | None = Header(default=None, alias=EDGE_KEY_HEADER, include_in_schema=False),
) -> None:
    """The guard of what only this city hall's own edge link may ask: its key, nothing else."""
    if not edge_key:
        raise Unauthorized("Only the city hall's public edge may ask this.", code="missing_token")
    if not (settings.edge_key and hmac.compare_digest(edge_key, settings.edge_key)):
        raise Unauthorized("The edge key is not this city hall's.", code="invalid_token")


@router.post(
    "/branches/{branch}/remote-tickets", status_code=status.HTTP_201_CREATED, dependencies=[Depends(edge_link)]
)
def take_remote_ticket(
    branch: str,
    body: RemoteTicketCreate,
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> TicketPublic:
    """A number taken from the phone through the public edge (only over the edge link)."""
    now = clock()
    ticket = issue_remote_ticket(
        session,
        branch_id=branch,
        service_key=body.service,
        language=body.language,
        quotas=remote_services(settings.remote_queueing),
        now=now,
        ignore_hours=settings.ignore_hours,
    )
    base_url = settings.public_base_url or str(request.base_url)
    return ticket_view(
        session, ticket, base_url=base_url, now=now, sample=settings.estimate_sample_size, for_holder=True
    )
