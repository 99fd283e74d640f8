"""Slips printed at a kiosk on staff's request (the concierge hands a citizen their slip).

The server never connects to a kiosk: the kiosk agent asks for work with its device token
(a long poll) and prints through its own print path. A request carries only the ticket's status
token, which the kiosk turns into the holder's view of the ticket (numbers, counters and
neutral labels: nothing personal). Requests live in the kiosk's own device row as a small
mailbox (a few short-lived entries, so no table of their own), which every server process reads:
a request made through one process reaches a kiosk polling another. A request that no kiosk
took within PRINT_REQUEST_TTL is dropped: a slip printed minutes later at an empty kiosk would
be picked up by a stranger.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlmodel import Session, select

from server.devices.schemas import PrintRequestPublic, PrintRequestState, PrintResultReport
from server.errors import Conflict, Forbidden, NotFound
from server.models import AuditEntry, Device, DeviceKind, Staff, Ticket

MAILBOX_KEY = "print_requests"
PRINT_REQUEST_TTL = timedelta(minutes=2)
# Finished requests are kept a while so the tablet that asked can read how it went.
KEEP_FINISHED = timedelta(minutes=10)
MAX_PENDING = 5


def locked_device(session: Session, device_id: int) -> Device | None:
    # The mailbox is read, changed and written back: one writer at a time (PostgreSQL row lock;
    # SQLite write sessions hold the database lock from their first statement).
    statement = select(Device).where(Device.id == device_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return session.exec(statement).first()


def mailbox(device: Device) -> list[dict[str, Any]]:
    return [dict(entry) for entry in (device.health or {}).get(MAILBOX_KEY, [])]


def _store(device: Device, entries: list[dict[str, Any]]) -> None:
    # A new dict, not an in-place update: the JSON column only notices reassignment.
    device.health = {**(device.health or {}), MAILBOX_KEY: entries}


def _state(entry: dict[str, Any], now: datetime) -> PrintRequestState:
    if entry.get("result") is not None:
        return PrintRequestState.printed if entry["result"]["ok"] else PrintRequestState.failed
    if entry.get("delivered_at"):
        return PrintRequestState.sent
    if now - datetime.fromisoformat(entry["requested_at"]) > PRINT_REQUEST_TTL:
        return PrintRequestState.expired
    return PrintRequestState.pending


def _prune(entries: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    return [entry for entry in entries if now - datetime.fromisoformat(entry["requested_at"]) <= KEEP_FINISHED]


def public(device: Device, entry: dict[str, Any], now: datetime) -> PrintRequestPublic:
    assert device.id is not None
    result = entry.get("result") or {}
    return PrintRequestPublic(
        id=entry["id"],
        device_id=device.id,
        device_name=device.name,
        number=entry["number"],
        requested_at=datetime.fromisoformat(entry["requested_at"]),
        state=_state(entry, now),
        error=result.get("error"),
    )


def request_print(
    session: Session, *, device_id: int, status_token: str, staff: Staff, now: datetime
) -> PrintRequestPublic:
    """Ask a kiosk of the staff member's branch to print a ticket's slip."""
    device = locked_device(session, device_id)
    if device is None or device.revoked_at is not None or device.kind != DeviceKind.kiosk:
        raise NotFound(f"No kiosk {device_id}.", code="device_not_found")
    if staff.branch_id is not None and staff.branch_id != device.branch_id:
        raise Forbidden(f"Your account belongs to branch {staff.branch_id!r}.", code="wrong_branch")
    ticket = session.exec(
        select(Ticket).where(Ticket.status_token == status_token, Ticket.branch_id == device.branch_id)
    ).first()
    if ticket is None:
        raise NotFound("No ticket of this branch has that status token.", code="ticket_not_found")
    entries = _prune(mailbox(device), now)
    waiting = [entry for entry in entries if _state(entry, now) is PrintRequestState.pending]
    if len(waiting) >= MAX_PENDING:
        raise Conflict(
            "This kiosk has not collected its last print requests: is its agent running?", code="kiosk_not_collecting"
        )
    entry = {
        "id": uuid4().hex,
        "status_token": status_token,
        "number": ticket.number,
        "requested_at": now.isoformat(),
        "delivered_at": None,
        "result": None,
    }
    _store(device, [*entries, entry])
    session.add(device)
    session.add(
        AuditEntry(
            branch_id=device.branch_id,
            at=now,
            staff_id=staff.id,
            username=staff.username,
            action="device.print_requested",
            target=f"ticket:{ticket.business_on.isoformat()}:{ticket.number}",
            before=None,
            after={"device": device.name, "device_id": device.id},
        )
    )
    session.commit()
    return public(device, entry, now)


def collect_prints(session: Session, *, device_id: int, now: datetime) -> list[dict[str, Any]]:
    """Hand the kiosk its waiting requests, each once: printing twice is worse than asking again."""
    device = locked_device(session, device_id)
    if device is None:
        return []
    entries = _prune(mailbox(device), now)
    handed = []
    for entry in entries:
        if _state(entry, now) is PrintRequestState.pending:
            entry["delivered_at"] = now.isoformat()
            handed.append(
                {"id": entry["id"], "status_token": entry["status_token"], "requested_at": entry["requested_at"]}
            )
    if handed or len(entries) != len(mailbox(device)):
        _store(device, entries)
        session.add(device)
        session.commit()
    else:
        session.rollback()
    return handed


def has_pending(session: Session, *, device_id: int, now: datetime) -> bool:
    device = session.get(Device, device_id)
    return device is not None and any(_state(entry, now) is PrintRequestState.pending for entry in mailbox(device))


def report_result(
    session: Session, *, device_id: int, request_id: str, report: PrintResultReport, now: datetime
) -> PrintRequestPublic:
    device = locked_device(session, device_id)
    assert device is not None
    entries = mailbox(device)
    for entry in entries:
        if entry["id"] == request_id:
            entry["result"] = {"ok": report.ok, "error": report.error, "at": now.isoformat()}
            _store(device, entries)
            session.add(device)
            session.commit()
            return public(device, entry, now)
    raise NotFound(f"No print request {request_id!r} for this kiosk.", code="print_request_not_found")


def print_request(
    session: Session, *, device_id: int, request_id: str, staff: Staff, now: datetime
) -> PrintRequestPublic:
    device = session.get(Device, device_id)
    if device is None or (staff.branch_id is not None and staff.branch_id != device.branch_id):
        raise NotFound(f"No kiosk {device_id}.", code="device_not_found")
    for entry in mailbox(device):
        if entry["id"] == request_id:
            return public(device, entry, now)
    raise NotFound(f"No print request {request_id!r} for this kiosk.", code="print_request_not_found")
