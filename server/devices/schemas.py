"""Device health and help requests: what kiosks report and what staff see."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from server.models import DeviceKind
from server.tickets.schemas import Language


class PrinterHealth(StrEnum):
    """The kiosk printer's state, as the kiosk agent reads it over ESC/POS."""

    ok = "ok"
    paper_near_end = "paper_near_end"
    paper_out = "paper_out"
    cover_open = "cover_open"
    offline = "offline"
    unknown = "unknown"


class HealthLevel(StrEnum):
    """How urgently staff must act: a warning can wait for a quiet moment, a fault cannot."""

    ok = "ok"
    warning = "warning"
    fault = "fault"
    unknown = "unknown"


class HealthReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    printer: PrinterHealth
    detail: str | None = Field(default=None, max_length=300)
    # Slips the kiosk could not print and keeps for staff to reprint or discard.
    pending_prints: int = Field(default=0, ge=0, le=100_000)


class HelpRequest(BaseModel):
    """A citizen pressed "Need help?"; only the screen language travels, nothing personal."""

    model_config = ConfigDict(extra="forbid")

    language: Language = "ja"


class HelpAccepted(BaseModel):
    requested_at: datetime


class DeviceHealthPublic(BaseModel):
    printer: PrinterHealth | None
    detail: str | None
    pending_prints: int
    reported_at: datetime | None


class DevicePublic(BaseModel):
    id: int
    name: str
    kind: DeviceKind
    last_seen_at: datetime | None
    level: HealthLevel
    health: DeviceHealthPublic | None


class PrintRequestCreate(BaseModel):
    """Print this ticket's slip at the kiosk: only the status token travels, nothing personal."""

    model_config = ConfigDict(extra="forbid")

    status_token: str = Field(min_length=8, max_length=100)


class PrintRequestState(StrEnum):
    pending = "pending"  # waiting for the kiosk to collect it
    sent = "sent"  # the kiosk has it and is printing
    printed = "printed"
    failed = "failed"  # the kiosk keeps the slip in its spool for staff to reprint
    expired = "expired"  # no kiosk collected it in time; nothing will print


class PrintRequestPublic(BaseModel):
    id: str
    device_id: int
    device_name: str
    number: str
    requested_at: datetime
    state: PrintRequestState
    error: str | None


class PrintJob(BaseModel):
    """What the kiosk receives: it fetches the holder's view of the ticket and prints it."""

    id: str
    status_token: str
    requested_at: datetime


class PrintResultReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: bool
    error: str | None = Field(default=None, max_length=100)
