"""Device health reports and help requests from kiosks.

A kiosk reports its printer every half minute and after each print; only a change of state
becomes an event, so the staff console hears about a paper-out once, not every 30 seconds.
"""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from server.devices.printing import MAILBOX_KEY, locked_device
from server.devices.schemas import (
    DeviceHealthPublic,
    DevicePublic,
    HealthLevel,
    HealthReport,
    PrinterHealth,
)
from server.errors import Forbidden, Unauthorized
from server.models import Device, Staff
from server.realtime.events import EventType, record_event
from server.tickets.service import get_branch

_LEVELS = {
    PrinterHealth.ok: HealthLevel.ok,
    PrinterHealth.paper_near_end: HealthLevel.warning,
    PrinterHealth.paper_out: HealthLevel.fault,
    PrinterHealth.cover_open: HealthLevel.fault,
    PrinterHealth.offline: HealthLevel.fault,
    PrinterHealth.unknown: HealthLevel.unknown,
}


def health_level(printer: PrinterHealth | None) -> HealthLevel:
    return HealthLevel.unknown if printer is None else _LEVELS[printer]


def device_ref(device: Device) -> dict[str, Any]:
    """How events name a device: id, name and kind, never its token."""
    return {"id": device.id, "name": device.name, "kind": str(device.kind)}


def _reporting_device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None or device.revoked_at is not None:
        raise Unauthorized("This device token is not valid any more.", code="invalid_token")
    return device


def report_health(session: Session, *, device_id: int, report: HealthReport, now: datetime) -> Device:
    # Locked: the column is shared with the print mailbox, written back whole by both.
    device = locked_device(session, device_id)
    if device is None or device.revoked_at is not None:
        raise Unauthorized("This device token is not valid any more.", code="invalid_token")
    previous = device.health.get("printer")
    # A new dict, not an in-place update: the JSON column only notices reassignment. The print
    # mailbox shares the column (server/devices/printing.py) and is kept as it is.
    device.health = {
        **{key: value for key, value in device.health.items() if key == MAILBOX_KEY},
        "printer": str(report.printer),
        "detail": report.detail,
        "pending_prints": report.pending_prints,
        "reported_at": now.isoformat(),
    }
    device.last_seen_at = now
    session.add(device)
    if previous != report.printer:
        record_event(
            session,
            type=EventType.device_health,
            branch_id=device.branch_id,
            now=now,
            device=device_ref(device),
            printer=str(report.printer),
            previous=previous,
            level=str(health_level(report.printer)),
        )
    session.commit()
    return device


def request_help(session: Session, *, device_id: int, language: str, now: datetime) -> None:
    """Tell the floor concierge that someone at this kiosk needs a hand."""
    device = _reporting_device(session, device_id)
    device.last_seen_at = now
    session.add(device)
    record_event(
        session,
        type=EventType.kiosk_help_requested,
        branch_id=device.branch_id,
        now=now,
        device=device_ref(device),
        language=language,
    )
    session.commit()


def device_view(device: Device) -> DevicePublic:
    assert device.id is not None
    health = None
    printer = None
    if device.health.get("printer"):
        printer = PrinterHealth(device.health["printer"])
        reported_at = device.health.get("reported_at")
        health = DeviceHealthPublic(
            printer=printer,
            detail=device.health.get("detail"),
            pending_prints=int(device.health.get("pending_prints", 0)),
            reported_at=datetime.fromisoformat(reported_at) if reported_at else None,
        )
    return DevicePublic(
        id=device.id,
        name=device.name,
        kind=device.kind,
        last_seen_at=device.last_seen_at,
        level=health_level(printer),
        health=health,
    )


def list_devices(session: Session, *, branch_id: str, staff: Staff) -> list[DevicePublic]:
    branch = get_branch(session, branch_id)
    if staff.branch_id is not None and staff.branch_id != branch.id:
        raise Forbidden(f"Your account belongs to branch {staff.branch_id!r}.", code="wrong_branch")
    devices = session.exec(
        select(Device)
        .where(Device.branch_id == branch.id, col(Device.revoked_at).is_(None))
        .order_by(col(Device.kind), col(Device.name), col(Device.id))
    ).all()
    return [device_view(device) for device in devices]
