import datetime as dt
from enum import StrEnum

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
