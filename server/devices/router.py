"""Kiosks report their printer and call for help; staff see every device's health."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from sqlmodel import Session

from server.auth import service as auth_service
from server.deps import ClockDep, CurrentStaff, SessionDep, TokenDep, WriteSessionDep
from server.devices import service
from server.devices.schemas import DevicePublic, HealthReport, HelpAccepted, HelpRequest
from server.errors import Forbidden, Unauthorized
from server.models import Device, DeviceKind

router = APIRouter(tags=["devices"])


def current_device(request: Request, token: TokenDep) -> Device:
    # A short session of its own, as for staff sign-in: a request never holds two connections.
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        device = auth_service.device_for_token(session, token=token)
    if device is None:
        raise Unauthorized(
            "This device token is not valid; register the device with `madoguchi device add`.",
            code="invalid_token",
        )
    return device


def current_kiosk(device: Annotated[Device, Depends(current_device)]) -> Device:
    if device.kind != DeviceKind.kiosk:
        raise Forbidden("Only kiosks send this.", code="wrong_device")
    return device


KioskDep = Annotated[Device, Depends(current_kiosk)]


@router.post("/devices/health")
def report_health(body: HealthReport, device: KioskDep, session: WriteSessionDep, clock: ClockDep) -> DevicePublic:
    """A kiosk reports its printer; a change of state is announced to staff."""
    assert device.id is not None
    updated = service.report_health(session, device_id=device.id, report=body, now=clock())
    return service.device_view(updated)


@router.post("/devices/help", status_code=status.HTTP_202_ACCEPTED)
def request_help(body: HelpRequest, device: KioskDep, session: WriteSessionDep, clock: ClockDep) -> HelpAccepted:
    """Someone at this kiosk asked for help: the floor concierge is alerted live."""
    assert device.id is not None
    now = clock()
    service.request_help(session, device_id=device.id, language=body.language, now=now)
    return HelpAccepted(requested_at=now)


@router.get("/branches/{branch}/devices")
def list_devices(branch: str, session: SessionDep, staff: CurrentStaff) -> list[DevicePublic]:
    """Kiosks and display boards of the branch, with printer health (staff only)."""
    return service.list_devices(session, branch_id=branch, staff=staff)
