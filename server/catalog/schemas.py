"""The configuration file's shape: one branch, its queues, services, counters and life events."""

import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from server.models import Stage

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# I and O read like 1 and 0 on a ticket.
Prefix = Annotated[str, StringConstraints(pattern=r"^[A-HJ-NP-Z]$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BranchSpec(Strict):
    id: Slug
    name_ja: Text
    name_en: Text
    timezone: str = "Asia/Tokyo"

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Tokyo)") from None
        return value


class HoursSpec(Strict):
    open: ClockTime = "08:30"
    close: ClockTime = "17:15"
    last_ticket: ClockTime = "17:00"


class FairnessSpec(Strict):
    min_normal_between: int = Field(default=2, ge=0, le=20)


class NamedSpec(Strict):
    id: Slug
    name_ja: Text
    name_en: Text


class PriorityCategorySpec(NamedSpec):
    rank: int = Field(default=1, ge=1, le=9)


class QueueSpec(Strict):
    prefix: Prefix
    name_ja: Text
    name_en: Text
    label_ja: Text
    label_en: Text
    kiosk: bool = True


class ServiceSpec(Strict):
    id: Slug
    queue: Prefix
    name_ja: Text
    name_en: Text
    stage: Stage = Stage.front
    staff_only: bool = False
    citizen_present: bool = True
    minutes: float = Field(default=5, gt=0, le=480)
    kiosk: bool = True
    sensitive: bool = False
    fair_by_arrival: bool = True
    issue_cutoff: ClockTime | None = None
    # お渡し: documents prepared by the back office are handed over here; its call says they are ready.
    hands_over: bool = False


class CounterSpec(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,20}$")]
    name_ja: Text
    name_en: Text
    area: str = ""
    public: bool = True
    staffed_by: str = Field(default="staff", pattern=r"^(staff|contractor|mixed)$")
    services: list[Slug] = Field(min_length=1)


class QuestionSpec(Strict):
    id: Slug
    text_ja: Text
    text_en: Text
    # Asked only when each of these, where the life event asks it first, was answered yes
    # (「75歳以上の方」 only after 「65歳以上の方: はい」). Unasked counts as no.
    show_when: list[Slug] = Field(default_factory=list)


class StopSpec(Strict):
    service: Slug
    # Every one of these answered yes (and, with when_any, at least one of those; with unless,
    # none of those).
    when: list[Slug] = Field(default_factory=list)
    when_any: list[Slug] = Field(default_factory=list)
    unless: list[Slug] = Field(default_factory=list)
    # Consecutive stops with the same group may be taken in any order: the shortest wait first.
    group: Slug | None = None


class LifeEventSpec(Strict):
    id: Slug
    name_ja: Text
    name_en: Text
    icon: str = ""
    sensitive: bool = False
    note_ja: str = ""
    note_en: str = ""
    questions: list[Slug] = Field(default_factory=list)
    stops: list[StopSpec] = Field(min_length=1)


class SensitiveLabelSpec(Strict):
    """What displays and tickets say instead of a sensitive procedure (death, divorce, welfare …)."""

    ja: Text = "届出"
    en: Text = "Notifications"


# Citizen-facing languages besides the Japanese and English written into each item above: the
# kiosk's, the slip's and the status page's. ja_easy is やさしい日本語 with ruby markup
# {漢字|かんじ} on every kanji; zh is Simplified Chinese, zh_hant Traditional.
TRANSLATED_LANGUAGES = ("ja_easy", "zh", "zh_hant", "ko", "vi", "pt", "tl", "id", "ne")
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(_[a-z]+)?$", max_length=10)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=600)]


class QueueText(Strict):
    name: Text | None = None
    label: Text | None = None


class LifeEventText(Strict):
    name: Text | None = None
    note: LongText | None = None


class TranslationSpec(Strict):
    """One language's words for what citizens read, by id (config/<name>.i18n/<lang>.yaml)."""

    branch: Text | None = None
    sensitive_label: Text | None = None
    queues: dict[str, QueueText] = Field(default_factory=dict)
    services: dict[str, Text] = Field(default_factory=dict)
    questions: dict[str, LongText] = Field(default_factory=dict)
    life_events: dict[str, LifeEventText] = Field(default_factory=dict)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ClockRange = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]


class CalendarSpec(Strict):
    """Days the branch is closed: no tickets and no bookings (server/catalog/calendar.py)."""

    weekends: bool = True  # 土日
    national_holidays: bool = True  # 国民の祝日・振替休日 (the `holidays` package)
    year_end: bool = True  # 年末年始 12/29〜1/3
    closed_days: list[date] = Field(default_factory=list, max_length=1000)  # extra days the admin adds


class BookableSpec(Strict):
    """A service citizens can book (予約), and how its slots are laid out."""

    service: Slug
    slot_minutes: int = Field(default=30, ge=5, le=480)
    capacity: int = Field(default=1, ge=1, le=50)  # bookings per slot (counters that take them)
    # Weekly hours when slots are offered: a slot starts every slot_minutes and ends within a range.
    hours: dict[Weekday, list[ClockRange]] = Field(min_length=1)
    days_ahead: int = Field(default=30, ge=1, le=366)  # how far ahead a slot can be booked
    min_notice_hours: int = Field(default=0, ge=0, le=24 * 14)  # no booking closer to the start
    grace_minutes: int = Field(default=15, ge=0, le=240)  # check-in still accepted after the start
    check_in_opens_minutes: int = Field(default=30, ge=0, le=240)  # how early before the start
    # Share of the counter's calls kept for walk-ins while checked-in appointments are due
    # (0: appointments always first; 1: no precedence, they wait in arrival order by start time).
    walk_in_share: float = Field(default=0.5, ge=0, le=1)


class AppointmentsSpec(Strict):
    services: list[BookableSpec] = Field(default_factory=list)
    # The citizen's e-mail address is erased this many days after the appointment.
    email_retention_days: int = Field(default=7, ge=0, le=365)
    # The reminder goes out the day before, at this local time.
    reminder_at: ClockTime = "17:00"


class CityHallConfig(Strict):
    branch: BranchSpec
    hours: HoursSpec = HoursSpec()
    fairness: FairnessSpec = FairnessSpec()
    priority_categories: list[PriorityCategorySpec] = Field(default_factory=list)
    reason_codes: list[NamedSpec] = Field(default_factory=list)
    queues: list[QueueSpec] = Field(min_length=1)
    # Prefix of life-event tickets (one number for the whole visit); default: the first stop's queue.
    life_event_queue: Prefix | None = None
    services: list[ServiceSpec] = Field(min_length=1)
    counters: list[CounterSpec] = Field(min_length=1)
    questions: list[QuestionSpec] = Field(default_factory=list)
    life_events: list[LifeEventSpec] = Field(default_factory=list)
    sensitive_label: SensitiveLabelSpec = SensitiveLabelSpec()
    announcements: dict[str, Any] = Field(default_factory=dict)
    ticket_notice: dict[str, str] = Field(default_factory=dict)
    translations: dict[LanguageCode, TranslationSpec] = Field(default_factory=dict)
    calendar: CalendarSpec = CalendarSpec()
    appointments: AppointmentsSpec = AppointmentsSpec()


def minutes_of_day(clock: str) -> int:
    hours, minutes = re.split(":", clock)
    return int(hours) * 60 + int(minutes)
