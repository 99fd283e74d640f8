"""Monthly and yearly reports: the daily report's figures over a month or a calendar year.

A month and a year are read the way a day is (`service.read_facts` over their business days) and
counted by the same functions (`service.figures`); the chart's rows are those same rows split by
business day or by month. So a month's counts and minutes are the sum of its days', and its
percentiles are those of all its tickets together (never an average of daily percentiles).

Bookings (予約) are counted as the daily report counts them (server/reports/appointments.py),
over the period's days: booked, checked in, missed, cancelled, and the wait from the start time.

A year is the calendar year (1月–12月), as `year=YYYY` says; the city's fiscal year (年度, April to
March) is twelve monthly reports away. A baseline (the same kind of period, typically the year
before the reform) gets the same figures and, for each headline figure, current − baseline.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from server.errors import Unprocessable
from server.models import Branch
from server.reports.appointments import appointment_figures
from server.reports.schemas import Headline, HeadlineDifference, PeriodFigures, PeriodKind, PeriodReport
from server.reports.service import (
    PERCENTILE_METHOD,
    Facts,
    Figures,
    figures,
    names_of,
    read_facts,
    used_names,
    wait_histogram,
)
from server.tickets.numbering import business_day
from server.tickets.service import get_branch

MONTH = re.compile(r"(\d{4})-(\d{2})")
YEAR = re.compile(r"\d{4}")
EARLIEST_YEAR = 1900
NO_FACTS = Facts(tickets=[], stops=[], answers=[])


@dataclass(frozen=True)
class Period:
    """Business days [first_on, end_on), named as the query names them ("2026-04", "2026")."""

    kind: PeriodKind
    label: str
    first_on: date
    end_on: date

    def row_label(self, day: date) -> str:
        """The chart row a business day belongs to: the day itself in a month, its month in a year."""
        return day.isoformat() if self.kind == PeriodKind.monthly else f"{day:%Y-%m}"

    def row_labels(self, last_day: date) -> list[str]:
        """Every row from the first day up to last_day, empty ones included (a chart has no holes)."""
        if self.kind == PeriodKind.monthly:
            return [(self.first_on + timedelta(days=n)).isoformat() for n in range((last_day - self.first_on).days + 1)]
        return [f"{self.first_on.year}-{month:02d}" for month in range(1, last_day.month + 1)]


# --- reading the query --------------------------------------------------------------------------

PARAMETER_NAMES = {"month": ("月", "month"), "year": ("年", "year"), "baseline": ("比較する基準", "baseline")}


def parse_month(text: str, *, parameter: str, today: date) -> Period:
    """ "2026-04" → April 2026; refused, with a message in Japanese and English, if malformed or future."""
    ja, en = PARAMETER_NAMES[parameter]
    match = MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < EARLIEST_YEAR:
        raise Unprocessable(
            f"{ja}の指定「{text[:20]}」は読めません。「2026-04」のように 年-月 で指定してください。"
            f" The {en} must be YYYY-MM, for example 2026-04.",
            code="bad_month",
        )
    first_on = date(int(match[1]), int(match[2]), 1)
    if first_on > today:
        raise Unprocessable(
            f"{first_on:%Y-%m} はまだ来ていない月です。今月({today:%Y-%m})までの月を指定してください。"
            f" {first_on:%Y-%m} is in the future: choose a {en} up to {today:%Y-%m}.",
            code="month_in_future",
        )
    end_on = date(first_on.year + first_on.month // 12, first_on.month % 12 + 1, 1)
    return Period(PeriodKind.monthly, f"{first_on:%Y-%m}", first_on, end_on)


def parse_year(text: str, *, parameter: str, today: date) -> Period:
    """ "2026" → the calendar year 2026; refused like a month."""
    ja, en = PARAMETER_NAMES[parameter]
    if YEAR.fullmatch(text.strip()) is None or int(text) < EARLIEST_YEAR:
        raise Unprocessable(
            f"{ja}の指定「{text[:20]}」は読めません。「2026」のように西暦 4 桁で指定してください。"
            f" The {en} must be a four-digit year, for example 2026.",
            code="bad_year",
        )
    year = int(text.strip())
    if year > today.year:
        raise Unprocessable(
            f"{year} 年はまだ来ていない年です。今年({today.year})までの年を指定してください。"
            f" {year} is in the future: choose a {en} up to {today.year}.",
            code="year_in_future",
        )
    return Period(PeriodKind.yearly, str(year), date(year, 1, 1), date(year + 1, 1, 1))


# --- figures from rows ----------------------------------------------------------------------------


def headline(period: str, figures: Figures) -> Headline:
    """Picks the headline figures out of the full ones: nothing is computed a second time."""
    return Headline(
        period=period,
        issued=figures.totals.issued,
        served=figures.totals.served,
        no_show=figures.totals.no_show,
        wait_mean_minutes=figures.waiting.all.mean_minutes,
        wait_p50_minutes=figures.waiting.all.p50_minutes,
        wait_p90_minutes=figures.waiting.all.p90_minutes,
        stay_mean_minutes=figures.stay.all.mean_minutes,
        stay_p50_minutes=figures.stay.all.p50_minutes,
        stay_p90_minutes=figures.stay.all.p90_minutes,
        city_staff_minutes=figures.staff_minutes.city_staff,
        contractor_minutes=figures.staff_minutes.contractor,
        city_staff_share=figures.staff_minutes.city_staff_share,
        satisfaction_mean=figures.satisfaction.mean,
        satisfaction_count=figures.satisfaction.count,
    )


def difference(current: Headline, baseline: Headline) -> HeadlineDifference:
    """current − baseline, figure by figure, at the precision the figure is given in."""
    values: dict[str, int | float | None] = {}
    for name in HeadlineDifference.model_fields:
        now, before = getattr(current, name), getattr(baseline, name)
        if now is None or before is None:
            values[name] = None
        elif isinstance(now, int) and isinstance(before, int):
            values[name] = now - before
        else:
            values[name] = round(now - before, 4 if name == "city_staff_share" else 2)
    return HeadlineDifference.model_validate(values)


def compute_period_figures(facts: Facts, *, period: Period, zone: ZoneInfo, today: date) -> PeriodFigures:
    """A period's figures and its chart rows, from plain rows (no database)."""
    last_day = min(period.end_on - timedelta(days=1), today)
    shared = figures(facts, zone)
    by_row = facts.split(period.row_label)
    return PeriodFigures(
        period=period.label,
        first_day=period.first_on,
        last_day=last_day,
        complete=last_day == period.end_on - timedelta(days=1) and today > last_day,
        headline=headline(period.label, shared),
        totals=shared.totals,
        waiting=shared.waiting,
        stay=shared.stay,
        wait_histogram=wait_histogram(shared.wait_seconds),
        service_time=shared.service_time,
        staff_minutes=shared.staff_minutes,
        satisfaction=shared.satisfaction,
        rows=[headline(label, figures(by_row.get(label, NO_FACTS), zone)) for label in period.row_labels(last_day)],
    )


# --- the reports ----------------------------------------------------------------------------------


def monthly_report(
    session: Session, *, branch_id: str, month: str | None, baseline: str | None, now: datetime
) -> PeriodReport:
    """One month (default: this one), by day; with a baseline month, its figures and the differences."""
    branch = get_branch(session, branch_id)
    today = business_day(branch, now)
    return _period_report(
        session,
        branch=branch,
        period=parse_month(month if month is not None else f"{today:%Y-%m}", parameter="month", today=today),
        baseline=parse_month(baseline, parameter="baseline", today=today) if baseline is not None else None,
        now=now,
    )


def yearly_report(
    session: Session, *, branch_id: str, year: str | None, baseline: str | None, now: datetime
) -> PeriodReport:
    """One calendar year (default: this one), by month; with a baseline year, its figures and the differences."""
    branch = get_branch(session, branch_id)
    today = business_day(branch, now)
    return _period_report(
        session,
        branch=branch,
        period=parse_year(year if year is not None else str(today.year), parameter="year", today=today),
        baseline=parse_year(baseline, parameter="baseline", today=today) if baseline is not None else None,
        now=now,
    )


def _period_report(
    session: Session, *, branch: Branch, period: Period, baseline: Period | None, now: datetime
) -> PeriodReport:
    zone = ZoneInfo(branch.timezone)
    today = business_day(branch, now)

    def counted(of: Period) -> tuple[Facts, PeriodFigures]:
        end_on = min(of.end_on, today + timedelta(days=1))
        facts = read_facts(session, branch_id=branch.id, first_on=of.first_on, end_on=end_on)
        figures = compute_period_figures(facts, period=of, zone=zone, today=today)
        figures.appointments = appointment_figures(
            session, branch=branch, first_on=of.first_on, end_on=end_on, tickets=list(facts.tickets), now=now
        )
        return facts, figures

    facts, current = counted(period)
    before, base_figures = counted(baseline) if baseline is not None else (None, None)
    return PeriodReport(
        **dict(current),
        branch=branch.id,
        kind=period.kind,
        row_unit="day" if period.kind == PeriodKind.monthly else "month",
        timezone=zone.key,
        percentile_method=PERCENTILE_METHOD,
        baseline=base_figures,
        difference=difference(current.headline, base_figures.headline) if base_figures is not None else None,
        names=used_names(names_of(session, branch.id), [facts] if before is None else [facts, before]),
    )
