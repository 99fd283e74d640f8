"""The daily report's figures, checked against a day whose every timestamp is known."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from server.models import Role, Staff
from server.reports import service
from server.reports.service import CounterEvent, OpenInterval, StopFacts, open_hours, open_intervals, percentile
from tests.server.reports.day import at, build_day
from tests.support import BRANCH, JST, FixedClock


def stats(count: int, mean: float, p50: float, p90: float) -> dict[str, Any]:
    return {"count": count, "mean_minutes": mean, "p50_minutes": p50, "p90_minutes": p90}


@pytest.fixture
def report(session: Session, clock: FixedClock, staff_users: dict[str, Staff]) -> dict[str, Any]:
    build_day(session, clock, staff_users)
    result = service.daily_report(session, branch_id=BRANCH, business_on=date(2026, 4, 1), now=clock())
    return result.model_dump(mode="json")


def test_totals(report: dict[str, Any]) -> None:
    assert report["totals"] == {
        "issued": 7,
        "served": 5,
        "no_show": 1,
        "cancelled": 0,
        "unfinished": 1,
        "stops_completed": 7,
    }


def test_waiting_time_is_issue_to_first_call(report: dict[str, Any]) -> None:
    # Waits 10, 20, 2, 10, 10, 11 (T7 never called): sorted 2 10 10 10 11 20.
    waiting = report["waiting"]
    assert waiting["all"] == stats(6, 10.5, 10, 20)
    # certificate: 10 20 2 11 → mean 10.75, rank ⌈0.5·4⌉ = 2 → 10, rank ⌈0.9·4⌉ = 4 → 20.
    assert waiting["by_service"] == {
        "certificate": stats(4, 10.75, 10, 20),
        "staff_explanation": stats(1, 10, 10, 10),
    }
    assert waiting["by_life_event"] == {"household_change": stats(1, 10, 10, 10)}
    assert waiting["by_hour"] == {
        "09": stats(2, 15, 10, 20),
        "10": stats(3, 7.33, 10, 10),
        "11": stats(1, 11, 11, 11),
    }


def test_stay_time_is_issue_to_last_completion_of_finished_visits(report: dict[str, Any]) -> None:
    # Done: T1 16, T2 24, T4 25, T5 30 (three stops), T6 13; the no-show and the waiting ticket are out.
    stay = report["stay"]
    assert stay["all"] == stats(5, 21.6, 24, 30)
    assert stay["by_service"] == {"certificate": stats(3, 17.67, 16, 24), "staff_explanation": stats(1, 25, 25, 25)}
    assert stay["by_life_event"] == {"household_change": stats(1, 30, 30, 30)}
    assert stay["by_hour"] == {"09": stats(2, 20, 16, 24), "10": stats(2, 27.5, 25, 30), "11": stats(1, 13, 13, 13)}


def test_service_time_by_service_and_role(report: dict[str, Any]) -> None:
    # Completed stops: 6 4 15 8 3 5 2 (the no-show is not service).
    times = report["service_time"]
    assert times["all"] == stats(7, 6.14, 5, 15)
    assert times["by_role"] == {"contractor": stats(4, 5.75, 5, 8), "municipal": stats(3, 6.67, 3, 15)}
    assert times["by_service"] == {
        "certificate": stats(3, 4, 4, 6),
        "civil_entry": stats(1, 5, 5, 5),
        "civil_review": stats(1, 3, 3, 3),
        "household_change": stats(1, 8, 8, 8),
        "staff_explanation": stats(1, 15, 15, 15),
    }


def test_staff_minutes_municipal_against_contractor(report: dict[str, Any]) -> None:
    assert report["staff_minutes"] == {
        "by_role": {"municipal": 20, "contractor": 23, "admin": 0},
        "city_staff": 20,
        "contractor": 23,
        "city_staff_on_staff_only": 18,  # explanation 15 + review 3
        "city_staff_on_other": 2,  # shokuin2 handing out a certificate
        "staff_only_steps": 18,
        "city_staff_share": 0.4651,  # 20 / 43
    }


def test_arrivals_and_counters_open_per_hour(report: dict[str, Any]) -> None:
    hourly = {row["hour"]: row for row in report["hourly"]}
    assert sorted(hourly) == list(range(8, 18))  # 08:30–17:15, even the empty hours
    assert {h: row["arrivals"] for h, row in hourly.items() if row["arrivals"]} == {9: 2, 10: 3, 11: 2}
    # Window 7 09:30–10:30, 6 10:00–now (12:30), 1 10:45–11:15, 8 11:35–11:50.
    assert {h: row["counters_open"] for h, row in hourly.items() if row["counters_open"]} == {
        9: 0.5,
        10: 1.75,
        11: 1.5,
        12: 0.5,
    }
    # Desk B1 11:15–11:30.
    assert {h: row["desks_open"] for h, row in hourly.items() if row["desks_open"]} == {11: 0.25}


def test_wait_histogram(report: dict[str, Any]) -> None:
    counts = {row["bin"]: row["count"] for row in report["wait_histogram"]}
    assert {label: n for label, n in counts.items() if n} == {"0-5": 1, "10-15": 4, "20-25": 1}
    assert list(counts)[-1] == "60+"
    assert sum(counts.values()) == report["waiting"]["all"]["count"]


def test_report_names_only_what_it_mentions(report: dict[str, Any]) -> None:
    assert set(report["names"]["services"]) == {
        "certificate",
        "staff_explanation",
        "household_change",
        "civil_review",
        "civil_entry",
    }
    assert report["names"]["life_events"]["household_change"]["name_en"]


def test_a_later_day_has_none_of_it(session: Session, clock: FixedClock, staff_users: dict[str, Staff]) -> None:
    build_day(session, clock, staff_users)
    later = service.daily_report(
        session, branch_id=BRANCH, business_on=date(2026, 4, 2), now=at(12, 30) + timedelta(days=1)
    )
    assert later.totals.issued == 0
    assert later.waiting.all.count == 0
    assert later.waiting.all.mean_minutes is None
    # Window 6 was never closed: it is still open the next day, from midnight until "now".
    assert {row.hour: row.counters_open for row in later.hourly if row.counters_open} == {
        **dict.fromkeys(range(12), 1.0),
        12: 0.5,
    }


# --- the pure pieces ---------------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2
    assert percentile([4, 1, 3, 2], 90) == 4
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile(list(range(1, 11)), 50) == 5
    assert percentile(list(range(1, 21)), 90) == 18
    assert percentile([7], 90) == 7
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def utc(hour: int, minute: int) -> datetime:
    return at(hour, minute).astimezone(UTC)


def test_open_intervals_clip_to_the_window_and_carry_state_in() -> None:
    start, end = utc(0, 0), utc(12, 0)
    events = [
        CounterEvent(2, True, utc(9, 0)),
        CounterEvent(2, True, utc(9, 30)),  # repeated open: the first one counts
        CounterEvent(2, False, utc(10, 0)),
        CounterEvent(1, False, utc(8, 45)),
        CounterEvent(3, True, utc(11, 30)),
    ]
    intervals = open_intervals(events, open_at_start={1}, start=start, end=end)
    assert intervals == [
        OpenInterval(1, start, utc(8, 45)),
        OpenInterval(2, utc(9, 0), utc(10, 0)),
        OpenInterval(3, utc(11, 30), end),
    ]


def test_open_hours_splits_an_interval_over_local_hours() -> None:
    hours = open_hours([OpenInterval(5, utc(8, 45), utc(10, 15))], day=date(2026, 4, 1), zone=ZoneInfo("Asia/Tokyo"))
    assert hours == {5: {8: 0.25, 9: 1.0, 10: 0.25}}


def test_hours_are_the_branch_local_hours() -> None:
    # 00:30 UTC is 09:30 in Tokyo: it belongs to the 09 hour of the Tokyo day.
    moment = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    assert service.local_hour(moment, JST) == 9


def test_admins_count_as_city_staff_and_unrecorded_roles_stay_apart() -> None:
    def stop(role: Role | None, minutes: int, *, staff_only: bool = False) -> StopFacts:
        return StopFacts(date(2026, 4, 1), "certificate", staff_only, role, utc(10, 0), utc(10, minutes))

    figures = service.staff_minutes([stop(Role.admin, 5), stop(Role.contractor, 7), stop(None, 2, staff_only=True)])
    assert figures.by_role == {"municipal": 0, "contractor": 7, "admin": 5, "unknown": 2}
    assert (figures.city_staff, figures.contractor, figures.city_staff_on_other) == (5, 7, 5)
    assert figures.staff_only_steps == 2  # counted as staff-only work, but not credited to anyone
    assert figures.city_staff_share == round(5 / 12, 4)
