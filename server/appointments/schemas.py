"""Request and answer shapes of the appointment API (DESIGN.md, "Appointments")."""

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from server.tickets.schemas import Key


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Key
    # As the slots list gives it, with its offset (2026-04-01T09:00:00+09:00).
    start: AwareDatetime
    language: str = Field(default="ja", pattern=r"^[a-z]{2}(_[a-z]+)?$", max_length=10)
    email: str | None = Field(default=None, max_length=254)
    # Staff only (a telephone booking): no confirmation mail even with an address.
    send_mail: bool = True


class AppointmentPublic(BaseModel):
    """A booking as its holder (manage link) and staff see it: no e-mail address, only whether one is kept."""

    code: str
    manage_token: str
    branch: str
    service: str
    start: datetime
    end: datetime
    status: str  # booked, checked_in, cancelled, missed
    language: str
    email: bool
    manage_url: str
    check_in_opens: datetime
    check_in_until: datetime


class BookableService(BaseModel):
    id: str
    name: str
    name_lang: str
    name_ja: str
    slot_minutes: int
    capacity: int
    days_ahead: int
    min_notice_hours: int
    check_in_opens_minutes: int
    grace_minutes: int
    email_retention_days: int


class SlotPublic(BaseModel):
    start: datetime
    end: datetime
    available: int  # free places (0: full, past or too soon)


class DayPublic(BaseModel):
    date: date
    open: bool
    closed: bool  # a closed day of the branch (weekend, holiday, year-end, the admin's)
    reason: str | None  # weekend, national_holiday, year_end, closed_day, out_of_range, no_hours
    slots: int
    free: int


class DayViewItem(BaseModel):
    code: str
    service: str
    start: datetime
    end: datetime
    status: str  # booked, checked_in, cancelled, missed
    late: bool
    checked_in_at: datetime | None
    ticket: str | None  # its number once checked in
    by_staff: bool
    email: bool
