"""Staffing planner: Erlang C against hand-computed values, and the plan from a recorded or estimated day."""

import math
from datetime import date

import pytest
from sqlmodel import Session

from server.models import Staff
from server.reports import planner
from server.reports.planner import counters_needed, day_type_of, erlang_c, mean_wait_hours
from server.reports.schemas import DayType, DemandSource
from tests.server.reports.day import build_day
from tests.support import BRANCH, FixedClock


def test_erlang_c_three_counters_by_hand() -> None:
    # λ = 10/h, μ = 4/h (15 min), c = 3: a = 2.5.
    # Σ_{k<3} a^k/k! = 1 + 2.5 + 3.125 = 6.625; a^3/3! · c/(c−a) = 2.6041667 · 6 = 15.625
    # C = 15.625 / (6.625 + 15.625) = 0.7022472; Wq = C / (cμ − λ) = 0.7022472 / 2 h = 21.07 min.
    assert erlang_c(3, 2.5) == pytest.approx(15.625 / 22.25)
    assert mean_wait_hours(3, 10, 4) == pytest.approx(15.625 / 22.25 / 2)
    assert mean_wait_hours(3, 10, 4) * 60 == pytest.approx(21.0674, abs=1e-4)


def test_erlang_c_four_counters_by_hand() -> None:
    # c = 4: Σ_{k<4} = 6.625 + 2.6041667 = 9.2291667; a^4/4! · 4/1.5 = 1.6276042 · 2.6666667 = 4.3402778
    # C = 4.3402778 / 13.5694444 = 0.3198567; Wq = C / (16 − 10) h = 3.20 min.
    assert erlang_c(4, 2.5) == pytest.approx(4.3402778 / 13.5694444, rel=1e-6)
    assert mean_wait_hours(4, 10, 4) * 60 == pytest.approx(3.1986, abs=1e-4)


def test_one_counter_is_m_m_1() -> None:
    # M/M/1: P(wait) = ρ and Wq = ρ / (μ − λ). λ = 3/h, μ = 4/h: ρ = 0.75, Wq = 0.75 h.
    assert erlang_c(1, 0.75) == pytest.approx(0.75)
    assert mean_wait_hours(1, 3, 4) == pytest.approx(0.75)


def test_an_overloaded_group_never_settles() -> None:
    assert erlang_c(2, 2.5) == 1.0
    assert math.isinf(mean_wait_hours(2, 10, 4))


def test_counters_needed_is_the_smallest_that_meets_the_target() -> None:
    # λ 10/h, 15 minutes each: three counters wait 21.07 min, four 3.20 min.
    assert counters_needed(10, 15, target_wait_minutes=15) == 4
    assert counters_needed(10, 15, target_wait_minutes=22) == 3
    assert counters_needed(0, 15, target_wait_minutes=15) == 0
    # Stability alone needs c > a: 40/h at 15 min is 10 Erlangs, so at least 11 counters.
    assert counters_needed(40, 15, target_wait_minutes=60) >= 11


def test_erlang_c_stays_finite_for_many_counters() -> None:
    # a^c / c! overflows a float long before c = 400; the Erlang B recursion does not.
    assert 0 < erlang_c(400, 380) < 1


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 4, 1), DayType.peak),
        (date(2026, 3, 15), DayType.peak),
        (date(2026, 4, 10), DayType.peak),
        (date(2026, 4, 13), DayType.monday),
        (date(2026, 4, 14), DayType.normal),
        (date(2026, 3, 14), DayType.normal),
    ],
)
def test_day_types(day: date, kind: DayType) -> None:
    assert day_type_of(day) == kind


def test_plan_from_the_recorded_day(session: Session, clock: FixedClock, staff_users: dict[str, Staff]) -> None:
    build_day(session, clock, staff_users)
    plan = planner.staffing_plan(
        session, branch_id=BRANCH, day=date(2026, 4, 1), day_type=None, target_wait_minutes=15, now=clock()
    )
    assert plan.source == DemandSource.recorded
    assert plan.recorded_days == [date(2026, 4, 1)]
    groups = {group.key: group for group in plan.groups}
    # Certificates are served by 7, 8 and 22 alone: one group.
    certificates = groups["7+8+22"]
    assert certificates.services == ["certificate"]
    assert certificates.counters == "7・8・22"
    assert certificates.service_minutes == 4  # completed stops 6, 4, 2
    assert certificates.service_minutes_source == DemandSource.recorded
    rows = {row.hour: row for row in certificates.hours}
    assert {h: r.arrivals for h, r in rows.items() if r.arrivals} == {9: 2, 10: 1, 11: 2}
    assert {h: r.needed for h, r in rows.items() if r.needed} == {9: 1, 10: 1, 11: 1}
    # M/M/1 at λ 2/h, μ 15/h: Wq = (2/15) / 13 h = 0.615 min.
    assert rows[9].expected_wait_minutes == pytest.approx(60 * (2 / 15) / 13, abs=0.01)
    assert {h: r.actually_open for h, r in rows.items() if r.actually_open} == {9: 0.5, 10: 0.5, 11: 0.25}
    # The notifications windows 1–5 took one ticket (T5's first stop, 10:50) and were open 10:45–11:15.
    windows = {row.hour: row for row in groups["1+2+3+4+5"].hours}
    assert groups["1+2+3+4+5"].counters == "1–5"
    assert (windows[10].arrivals, windows[10].needed, windows[10].actually_open) == (1, 1, 0.25)
    # Back office: the data-entry desks, with no window open and no arrival except 11:13.
    desks = {row.hour: row for row in groups["B1+B2"].hours}
    assert (desks[11].arrivals, desks[11].actually_open) == (1, 0.25)
    assert desks[10].needed == 0
    assert desks[10].expected_wait_minutes is None


def test_plan_falls_back_to_the_reference_estimate(session: Session, clock: FixedClock) -> None:
    plan = planner.staffing_plan(
        session, branch_id=BRANCH, day=date(2026, 4, 1), day_type=DayType.monday, target_wait_minutes=15, now=clock()
    )
    assert plan.source == DemandSource.estimate
    assert plan.recorded_days == []
    certificates = {group.key: group for group in plan.groups}["7+8+22"]
    # 1100 visitors × 0.37 × 1.3 (Monday) × 0.32 (queue C, certificate its only kiosk service) × 0.165 (10 h)
    per_hour = 1100 * 0.37 * 1.3 * 0.32 * 0.165
    ten = next(row for row in certificates.hours if row.hour == 10)
    assert ten.arrivals == pytest.approx(per_hour, abs=0.01)
    assert certificates.service_minutes == 3  # the catalog's typical minutes
    # a = 27.94 × 3 / 60 = 1.397 Erlangs; two counters: C = 0.5745, Wq = 0.5745 / (40 − 27.94) h ≈ 2.9 min.
    assert ten.needed == 2
    assert ten.expected_wait_minutes == pytest.approx(2.86, abs=0.02)
    # Back-office desks get no estimate of their own: only the kiosk queues have shares.
    desks = {group.key: group for group in plan.groups}["B1+B2"]
    assert all(row.arrivals == 0 and row.needed == 0 for row in desks.hours)


def test_a_zero_service_time_is_refused_rather_than_dividing_by_it() -> None:
    with pytest.raises(ValueError, match="positive"):
        counters_needed(5, 0, target_wait_minutes=15)
