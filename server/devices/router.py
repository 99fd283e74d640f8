"""Kiosks report their printer and call for help; staff see every device's health and can have
a kiosk print a slip (the kiosk collects the request: the server never connects to it)."""

import asyncio
import contextlib
import time
from typing import Annotated

import anyio.from_thread
from fastapi import APIRouter, Depends, FastAPI, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlmodel import Session

from server.auth import service as auth_service
from server.db import read_session, write_session
from server.deps import Clock, ClockDep, CurrentStaff, RowId, SessionDep, TokenDep, WriteSessionDep
from server.devices import printing, service
from server.devices.schemas import (
    DevicePublic,
    HealthReport,
    HelpAccepted,
    HelpRequest,
    PrintJob,
    PrintRequestCreate,
    PrintRequestPublic,
    PrintResultReport,
)
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


# -- slips printed at a kiosk ----------------------------------------------------------------

# A kiosk's long poll checks the database this often, so a request made through another server
# process reaches it within a second; one made through this process wakes it at once.
PRINT_POLL_SECONDS = 1.0
MAX_PRINT_WAIT_SECONDS = 30.0


def _print_wakers(app: FastAPI) -> dict[int, asyncio.Event]:
    wakers: dict[int, asyncio.Event] | None = getattr(app.state, "print_wakers", None)
    if wakers is None:
        wakers = app.state.print_wakers = {}
    return wakers


@router.post("/devices/{device_id}/print", status_code=status.HTTP_202_ACCEPTED)
def request_print(
    device_id: RowId,
    body: PrintRequestCreate,
    request: Request,
    staff: CurrentStaff,
    session: WriteSessionDep,
    clock: ClockDep,
) -> PrintRequestPublic:
    """Have a kiosk of your branch print a ticket's slip (its agent collects the request)."""
    created = printing.request_print(
        session, device_id=device_id, status_token=body.status_token, staff=staff, now=clock()
    )
    waker = _print_wakers(request.app).get(device_id)
    if waker is not None:
        anyio.from_thread.run_sync(waker.set)
    return created


@router.get("/devices/{device_id}/print/{request_id}")
def print_request(
    device_id: RowId, request_id: str, staff: CurrentStaff, session: SessionDep, clock: ClockDep
) -> PrintRequestPublic:
    """How a print request stands: pending, sent, printed, failed or expired (staff)."""
    return printing.print_request(session, device_id=device_id, request_id=request_id, staff=staff, now=clock())


def _collect(engine: Engine, device_id: int, clock: Clock) -> list[PrintJob]:
    now = clock()
    # Most polls find nothing: look first without taking the write lock.
    with read_session(engine) as session:
        if not printing.has_pending(session, device_id=device_id, now=now):
            return []
    with write_session(engine) as session:
        return [PrintJob.model_validate(job) for job in printing.collect_prints(session, device_id=device_id, now=now)]


@router.get("/devices/print-requests")
async def collect_print_requests(
    request: Request,
    device: KioskDep,
    clock: ClockDep,
    wait_seconds: Annotated[float, Query(ge=0, le=MAX_PRINT_WAIT_SECONDS)] = 0,
) -> list[PrintJob]:
    """The kiosk's long poll: print requests for it, each handed out once (kiosk token)."""
    assert device.id is not None
    engine: Engine = request.app.state.engine
    waker = _print_wakers(request.app).setdefault(device.id, asyncio.Event())
    deadline = time.monotonic() + wait_seconds
    while True:
        waker.clear()
        if await request.is_disconnected():
            return []
        jobs = await run_in_threadpool(_collect, engine, device.id, clock)
        left = deadline - time.monotonic()
        if jobs or left <= 0:
            return jobs
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waker.wait(), timeout=min(PRINT_POLL_SECONDS, left))


@router.post("/devices/print-requests/{request_id}/result")
def report_print_result(
    request_id: str, body: PrintResultReport, device: KioskDep, session: WriteSessionDep, clock: ClockDep
) -> PrintRequestPublic:
    """The kiosk says whether the slip printed (a failed slip stays in its spool)."""
    assert device.id is not None
    return printing.report_result(session, device_id=device.id, request_id=request_id, report=body, now=clock())
