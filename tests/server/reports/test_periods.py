"""Monthly and yearly reports: a month is the sum of its days, a year the sum of its months, and the
percentiles are those of all the period's tickets together, checked against a direct computation."""

import math
from collections import Counter as Tally
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from server.errors import Unprocessable
from server.models import Event, SatisfactionResponse, Staff, Ticket, TicketStatus
from server.realtime.events import EventType
from server.reports import periods, service
from server.reports.schemas import DailyReport, Headline, PeriodReport
from tests.server.reports.days import NOW, build_days
from tests.support import BRANCH, FixedClock

HEADLINE_FIGURES = [name for name in Headline.model_fields if name != "period"]
COUNTS = ("issued", "served", "no_show", "cancelled", "unfinished", "stops_completed")
STAFF_MINUTES = ("city_staff", "contractor", "city_staff_on_staff_only", "city_staff_on_other", "staff_only_steps")


@pytest.fixture
def built(session: Session, clock: FixedClock, staff_users: dict[str, Staff]) -> dict[date, list[Ticket]]:
    return build_days(session, clock, staff_users)


def monthly(session: Session, month: str, baseline: str | None = None) -> PeriodReport:
    return periods.monthly_report(session, branch_id=BRANCH, month=month, baseline=baseline, now=NOW)


def yearly(session: Session, year: str, baseline: str | None = None) -> PeriodReport:
    return periods.yearly_report(session, branch_id=BRANCH, year=year, baseline=baseline, now=NOW)


def daily(session: Session, day: date) -> DailyReport:
    return service.daily_report(session, branch_id=BRANCH, business_on=day, now=NOW)


def nearest_rank(values: list[float], p: int) -> float:
    """Written out here rather than imported: the report's percentile is what is under test."""
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered) / 100) - 1]


def direct_minutes(session: Session, first: date, end: date) -> dict[str, Any]:
    """Waits and stays of the tickets of business days [first, end), straight from tickets and the log."""
    tickets = session.exec(
        select(Ticket).where(
            Ticket.branch_id == BRANCH, col(Ticket.business_on) >= first, col(Ticket.business_on) < end
        )
    ).all()
    first_calls: dict[int, Any] = {}
    for ticket_id, at in session.exec(
        select(Event.ticket_id, Event.at).where(Event.type == str(EventType.ticket_called)).order_by(col(Event.id))
    ).all():
        if ticket_id is not None:
            first_calls.setdefault(ticket_id, at)
    waits = [
        ((first_calls[t.id] - t.issued_at).total_seconds() / 60, t.life_event_id)
        for t in tickets
        if t.id in first_calls
    ]
    stays = [
        (t.finished_at - t.issued_at).total_seconds() / 60
        for t in tickets
        if t.status == TicketStatus.done and t.finished_at is not None
    ]
    return {"tickets": tickets, "waits": waits, "stays": stays}


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def as_headline(report: DailyReport) -> dict[str, Any]:
    """A day's headline figures, read off the daily report the way the staff page shows them."""
    return {
        "issued": report.totals.issued,
        "served": report.totals.served,
        "no_show": report.totals.no_show,
        "wait_mean_minutes": report.waiting.all.mean_minutes,
        "wait_p50_minutes": report.waiting.all.p50_minutes,
        "wait_p90_minutes": report.waiting.all.p90_minutes,
        "stay_mean_minutes": report.stay.all.mean_minutes,
        "stay_p50_minutes": report.stay.all.p50_minutes,
        "stay_p90_minutes": report.stay.all.p90_minutes,
        "city_staff_minutes": report.staff_minutes.city_staff,
        "contractor_minutes": report.staff_minutes.contractor,
        "city_staff_share": report.staff_minutes.city_staff_share,
        "satisfaction_mean": report.satisfaction.mean,
        "satisfaction_count": report.satisfaction.count,
    }


def test_a_month_is_the_sum_of_its_days(session: Session, built: dict[date, list[Ticket]]) -> None:
    april = monthly(session, "2026-04")
    days = [daily(session, day) for day in days_between(date(2026, 4, 1), date(2026, 4, 30))]

    assert (april.first_day, april.last_day, april.complete) == (date(2026, 4, 1), date(2026, 4, 30), True)
    # Only April's tickets: not 31 March's, not 1 May's.
    assert april.totals.issued == sum(len(built[day]) for day in built if (day.year, day.month) == (2026, 4)) > 0
    for name in COUNTS:
        assert getattr(april.totals, name) == sum(getattr(d.totals, name) for d in days), name
    for name in STAFF_MINUTES:
        expected = sum(getattr(d.staff_minutes, name) for d in days)
        assert getattr(april.staff_minutes, name) == pytest.approx(expected, abs=0.001), name
    for role, minutes in april.staff_minutes.by_role.items():
        assert minutes == pytest.approx(sum(d.staff_minutes.by_role.get(role, 0) for d in days), abs=0.001), role
    assert april.staff_minutes.city_staff > 0
    assert april.staff_minutes.contractor > 0
    share = april.staff_minutes.city_staff / (april.staff_minutes.city_staff + april.staff_minutes.contractor)
    assert april.staff_minutes.city_staff_share == round(share, 4)
    for part in ("waiting", "stay"):
        assert getattr(april, part).all.count == sum(getattr(d, part).all.count for d in days)
        by_life_event = Tally[str]()
        for d in days:
            by_life_event.update({k: v.count for k, v in getattr(d, part).by_life_event.items()})
        assert {k: v.count for k, v in getattr(april, part).by_life_event.items()} == dict(by_life_event)
    assert april.service_time.all.count == sum(d.service_time.all.count for d in days)
    assert sum(b.count for b in april.wait_histogram) == april.waiting.all.count
    # Satisfaction: counts add up; the mean is that of every answer of the month.
    assert april.satisfaction.count == sum(d.satisfaction.count for d in days) > 0
    for score in "12345":
        assert april.satisfaction.distribution[score] == sum(d.satisfaction.distribution[score] for d in days)
    for reason in april.satisfaction.reasons:
        assert april.satisfaction.reasons[reason] == sum(d.satisfaction.reasons[reason] for d in days)
    scores = session.exec(
        select(SatisfactionResponse.score).where(
            col(SatisfactionResponse.business_on) >= date(2026, 4, 1),
            col(SatisfactionResponse.business_on) < date(2026, 5, 1),
        )
    ).all()
    assert april.satisfaction.mean == round(sum(scores) / len(scores), 2)

    # One chart row per day of the month, each exactly that day's report.
    assert [row.period for row in april.rows] == [d.date.isoformat() for d in days]
    for row, day in zip(april.rows, days, strict=True):
        assert row.model_dump(exclude={"period"}) == as_headline(day), row.period
    assert april.headline.model_dump(exclude={"period"}) == {
        name: getattr(april.headline, name) for name in HEADLINE_FIGURES
    }
    assert april.headline.period == "2026-04"


def test_a_months_percentiles_are_over_all_its_tickets(session: Session, built: dict[date, list[Ticket]]) -> None:
    april = monthly(session, "2026-04")
    direct = direct_minutes(session, date(2026, 4, 1), date(2026, 5, 1))
    waits = [minutes for minutes, _ in direct["waits"]]
    assert april.waiting.all.count == len(waits)
    assert april.waiting.all.p50_minutes == nearest_rank(waits, 50)
    assert april.waiting.all.p90_minutes == nearest_rank(waits, 90)
    assert april.waiting.all.mean_minutes == round(sum(waits) / len(waits), 2)
    assert april.stay.all.p50_minutes == nearest_rank(direct["stays"], 50)
    assert april.stay.all.p90_minutes == nearest_rank(direct["stays"], 90)
    assert april.stay.all.mean_minutes == round(sum(direct["stays"]) / len(direct["stays"]), 2)
    life_event_waits = [minutes for minutes, life_event in direct["waits"] if life_event is not None]
    household = april.waiting.by_life_event["household_change"]
    assert household.count == len(life_event_waits) > 0
    assert (household.p50_minutes, household.p90_minutes) == (
        nearest_rank(life_event_waits, 50),
        nearest_rank(life_event_waits, 90),
    )


def test_a_year_is_the_sum_of_its_months(session: Session, built: dict[date, list[Ticket]]) -> None:
    year = yearly(session, "2026")
    months = [monthly(session, f"2026-{m:02d}") for m in range(1, 6)]

    assert (year.first_day, year.last_day, year.complete) == (date(2026, 1, 1), date(2026, 5, 1), False)
    assert year.row_unit == "month"
    assert [row.period for row in year.rows] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    for row, month in zip(year.rows, months, strict=True):
        assert row == month.headline
    assert year.totals.issued == sum(len(tickets) for day, tickets in built.items() if day.year == 2026)
    for name in COUNTS:
        assert getattr(year.totals, name) == sum(getattr(m.totals, name) for m in months), name
    for name in STAFF_MINUTES:
        expected = sum(getattr(m.staff_minutes, name) for m in months)
        assert getattr(year.staff_minutes, name) == pytest.approx(expected, abs=0.001), name
    assert year.satisfaction.count == sum(m.satisfaction.count for m in months)
    direct = direct_minutes(session, date(2026, 1, 1), date(2027, 1, 1))
    waits = [minutes for minutes, _ in direct["waits"]]
    assert (year.waiting.all.p50_minutes, year.waiting.all.p90_minutes) == (
        nearest_rank(waits, 50),
        nearest_rank(waits, 90),
    )
    assert (year.stay.all.p50_minutes, year.stay.all.p90_minutes) == (
        nearest_rank(direct["stays"], 50),
        nearest_rank(direct["stays"], 90),
    )
    # The month still running: up to today, and not complete.
    may = months[-1]
    assert (may.last_day, may.complete, len(may.rows)) == (date(2026, 5, 1), False, 1)
    assert may.totals.unfinished == 1  # the ticket still waiting at the end of the last day


def test_a_baseline_month_gives_the_differences(session: Session, built: dict[date, list[Ticket]]) -> None:
    report = monthly(session, "2026-04", baseline="2025-04")
    alone = monthly(session, "2025-04")
    assert report.baseline is not None
    assert report.difference is not None
    assert report.baseline.model_dump() == alone.model_dump(include=set(type(report.baseline).model_fields))
    assert report.baseline.totals.issued == sum(
        len(tickets) for day, tickets in built.items() if (day.year, day.month) == (2025, 4)
    )
    current, before = report.headline, report.baseline.headline
    for name in HEADLINE_FIGURES:
        now, then = getattr(current, name), getattr(before, name)
        expected = None if now is None or then is None else now - then
        assert getattr(report.difference, name) == pytest.approx(expected, abs=0.00011), name
    assert report.difference.issued == current.issued - before.issued
    # Names cover both periods; no difference without a baseline.
    assert "household_change" in report.names.life_events
    plain = monthly(session, "2026-04")
    assert (plain.baseline, plain.difference) == (None, None)
    assert plain.model_dump(exclude={"baseline", "difference", "names"}) == report.model_dump(
        exclude={"baseline", "difference", "names"}
    )


def test_a_baseline_year_gives_the_differences(session: Session, built: dict[date, list[Ticket]]) -> None:
    report = yearly(session, "2026", baseline="2025")
    assert report.baseline is not None
    assert report.difference is not None
    assert report.baseline.complete is True
    assert len(report.baseline.rows) == 12
    assert report.baseline.totals.issued == sum(len(t) for day, t in built.items() if day.year == 2025)
    assert report.difference.served == report.totals.served - report.baseline.totals.served
    assert report.difference.city_staff_minutes == round(
        report.staff_minutes.city_staff - report.baseline.staff_minutes.city_staff, 2
    )


def test_a_month_without_tickets_has_empty_figures(session: Session, built: dict[date, list[Ticket]]) -> None:
    report = monthly(session, "2026-02", baseline="2026-04")
    assert report.totals.issued == 0
    assert len(report.rows) == 28
    assert report.headline.wait_p90_minutes is None
    assert report.difference is not None
    assert report.difference.wait_p90_minutes is None  # nothing to compare with
    assert report.baseline is not None
    assert report.difference.issued == -report.baseline.totals.issued


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-13", "bad_month"),
        ("2026-4", "bad_month"),
        ("2026/04", "bad_month"),
        ("April", "bad_month"),
        ("", "bad_month"),
        ("2026-06", "month_in_future"),
        ("2027-01", "month_in_future"),
    ],
)
def test_a_bad_or_future_month_is_refused_in_japanese_first(text: str, code: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        periods.parse_month(text, parameter="month", today=date(2026, 5, 1))
    assert refused.value.code == code
    assert refused.value.message.startswith(("月", "2026", "2027"))
    assert "YYYY-MM" in refused.value.message or "future" in refused.value.message


def test_the_current_month_and_year_are_allowed(session: Session) -> None:
    assert periods.parse_month("2026-05", parameter="month", today=date(2026, 5, 1)).end_on == date(2026, 6, 1)
    assert periods.parse_month("2025-12", parameter="month", today=date(2026, 5, 1)).end_on == date(2026, 1, 1)
    assert periods.parse_year("2026", parameter="year", today=date(2026, 5, 1)).end_on == date(2027, 1, 1)
    with pytest.raises(Unprocessable, match="まだ来ていない年"):
        periods.parse_year("2027", parameter="year", today=date(2026, 5, 1))
    with pytest.raises(Unprocessable, match="西暦 4 桁"):
        periods.parse_year("26", parameter="baseline", today=date(2026, 5, 1))
    # Defaults: this month and this year in the branch's time zone.
    assert periods.monthly_report(session, branch_id=BRANCH, month=None, baseline=None, now=NOW).period == "2026-05"
    assert periods.yearly_report(session, branch_id=BRANCH, year=None, baseline=None, now=NOW).period == "2026"
