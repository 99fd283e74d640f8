"""The drill clock: fast-forward time for simulations, refused when it looks left over."""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from server.config import Settings
from server.drill_clock import DrillClock, drill_clock_or, parse_drill_clock
from server.main import create_app, utc_now


def test_simulated_time_runs_speed_times_faster_from_its_start() -> None:
    start = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
    clock = parse_drill_clock(f"{start.isoformat()},{time.time() - 10},60")
    assert timedelta(minutes=9, seconds=50) < clock() - start < timedelta(minutes=10, seconds=30)
    assert parse_drill_clock(clock.encode()) == clock  # what the simulator hands to each process


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-04-01T08:30:00+09:00,{old},60", "stale"),
        ("2026-04-01T08:30:00,{now},60", "time zone"),
        ("2026-04-01T08:30:00+09:00,{now},5000", "speed"),
        ("2026-04-01T08:30:00+09:00", "must be"),
    ],
)
def test_a_doubtful_drill_clock_is_refused(value: str, words: str) -> None:
    filled = value.format(old=time.time() - 2 * 24 * 3600, now=time.time())
    with pytest.raises(ValueError, match=words):
        parse_drill_clock(filled)


def test_without_the_setting_the_real_clock_stays() -> None:
    assert drill_clock_or(utc_now, None) is utc_now
    assert isinstance(drill_clock_or(utc_now, f"2026-04-01T08:30:00+09:00,{time.time()},10"), DrillClock)


def test_the_app_runs_on_the_drill_clock_only_when_set(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/clock.db"
    value = f"2026-04-01T08:30:00+09:00,{time.time()},1"
    drilled = create_app(Settings(database_url=database_url, drill_clock=value))
    assert isinstance(drilled.state.clock, DrillClock)
    assert drilled.state.clock().date() == datetime(2026, 3, 31, tzinfo=UTC).date()  # 08:30 JST is 23:30 UTC
    assert create_app(Settings(database_url=database_url)).state.clock is utc_now
