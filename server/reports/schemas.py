import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel


class DurationStats(BaseModel):
    """Minutes; percentiles by the nearest-rank method (see reports.service.percentile)."""

    count: int
    mean_minutes: float | None
    p50_minutes: float | None
    p90_minutes: float | None


class DurationBreakdown(BaseModel):
    all: DurationStats
    # Single-service tickets by their service; life-event tickets by their life event.
    by_service: dict[str, DurationStats]
    by_life_event: dict[str, DurationStats]
    # Local hour of issue, "08" … "17".
    by_hour: dict[str, DurationStats]


class ServiceTimes(BaseModel):
    all: DurationStats
    by_service: dict[str, DurationStats]
    by_role: dict[str, DurationStats]


class StaffMinutes(BaseModel):
    """Counter minutes by who did the work: the reform's headline figure (正規職員の窓口業務従事時間)."""

    by_role: dict[str, float]
    city_staff: float
    contractor: float
    city_staff_on_staff_only: float
    city_staff_on_other: float
    staff_only_steps: float
    city_staff_share: float | None


class Totals(BaseModel):
    issued: int
    served: int
    no_show: int
    cancelled: int
    unfinished: int
    stops_completed: int


class HourFigures(BaseModel):
    hour: int
    arrivals: int
    # Mean number open over the hour (open minutes ÷ 60), from counter.opened / counter.closed events.
    counters_open: float
    desks_open: float


class HistogramBin(BaseModel):
    bin: str
    from_minutes: int
    to_minutes: int | None
    count: int


class SatisfactionSummary(BaseModel):
    count: int
    mean: float | None
    distribution: dict[str, int]
    reasons: dict[str, int]


class Name(BaseModel):
    name: str
    name_en: str


class Names(BaseModel):
    services: dict[str, Name]
    life_events: dict[str, Name]


class AppointmentCounts(BaseModel):
    booked: int  # bookings for the day that were not cancelled
    checked_in: int
    missed: int  # never checked in, past the grace time (no-shows)
    cancelled: int


class AppointmentFigures(BaseModel):
    """Booked visits next to walk-ins: the wait of an appointment counts from its start time (or
    from its check-in when later), a walk-in's from its ticket."""

    counts: AppointmentCounts
    by_service: dict[str, AppointmentCounts]
    wait_from_start: DurationStats
    walk_in_wait: DurationStats


class DailyReport(BaseModel):
    branch: str
    date: dt.date
    timezone: str
    percentile_method: str
    totals: Totals
    waiting: DurationBreakdown
    stay: DurationBreakdown
    wait_histogram: list[HistogramBin]
    service_time: ServiceTimes
    staff_minutes: StaffMinutes
    hourly: list[HourFigures]
    satisfaction: SatisfactionSummary
    names: Names
    appointments: AppointmentFigures | None = None
    # Today's report only: tickets still waiting for their first call, by the time waited so far.
    # The waiting figure counts only tickets called, so early in a busy day it reads short.
    not_yet_called: DurationStats | None = None


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"


class DayType(StrEnum):
    normal = "normal"
    monday = "monday"
    peak = "peak"


class DemandSource(StrEnum):
    recorded = "recorded"
    estimate = "estimate"


class StaffingHour(BaseModel):
    hour: int
    arrivals: float
    needed: int
    # Expected mean wait with `needed` counters (Erlang C), minutes.
    expected_wait_minutes: float | None
    # Mean number of this group's counters open over the hour on the chosen date.
    actually_open: float


class StaffingGroup(BaseModel):
    key: str
    name: str
    name_en: str
    counters: str
    services: list[str]
    service_minutes: float
    service_minutes_source: DemandSource
    hours: list[StaffingHour]


class StaffingPlan(BaseModel):
    branch: str
    date: dt.date
    day_type: DayType
    target_wait_minutes: float
    source: DemandSource
    recorded_days: list[dt.date]
    groups: list[StaffingGroup]
    method: str


# --- months and years -------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    monthly = "monthly"
    yearly = "yearly"


class Headline(BaseModel):
    """The figures compared period against period, read off the full figures beside them.

    `period` names what they are of: "2026-04" (a month), "2026" (a year), "2026-04-01" (a day of a
    month's chart) or "2026-04" (a month of a year's chart). Minutes as in DurationStats.
    """

    period: str
    issued: int
    served: int
    no_show: int
    wait_mean_minutes: float | None
    wait_p50_minutes: float | None
    wait_p90_minutes: float | None
    stay_mean_minutes: float | None
    stay_p50_minutes: float | None
    stay_p90_minutes: float | None
    city_staff_minutes: float
    contractor_minutes: float
    city_staff_share: float | None
    satisfaction_mean: float | None
    satisfaction_count: int


class HeadlineDifference(BaseModel):
    """Current − baseline for each headline figure; null when either side has none (no ticket waited)."""

    issued: int
    served: int
    no_show: int
    wait_mean_minutes: float | None
    wait_p50_minutes: float | None
    wait_p90_minutes: float | None
    stay_mean_minutes: float | None
    stay_p50_minutes: float | None
    stay_p90_minutes: float | None
    city_staff_minutes: float
    contractor_minutes: float
    # In share points: 0.05 = five percentage points more of the counter time done by city staff.
    city_staff_share: float | None
    satisfaction_mean: float | None
    satisfaction_count: int


class PeriodFigures(BaseModel):
    """A month's or a year's figures, defined as the daily report's (same names, same computation)."""

    period: str
    first_day: dt.date
    # The last business day counted: the period's last day, or today while it is still running.
    last_day: dt.date
    complete: bool
    headline: Headline
    totals: Totals
    waiting: DurationBreakdown
    stay: DurationBreakdown
    wait_histogram: list[HistogramBin]
    service_time: ServiceTimes
    staff_minutes: StaffMinutes
    satisfaction: SatisfactionSummary
    # One per day of a month, or per month of a year, up to last_day: the chart's points.
    rows: list[Headline]
    # Bookings whose start falls in the period (booked, checked in, missed, cancelled).
    appointments: AppointmentFigures | None = None


class PeriodReport(PeriodFigures):
    branch: str
    kind: PeriodKind
    row_unit: Literal["day", "month"]
    timezone: str
    percentile_method: str
    baseline: PeriodFigures | None
    difference: HeadlineDifference | None
    names: Names
