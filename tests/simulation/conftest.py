"""A simulated day per test, on a new database: SQLite, or PostgreSQL with two server processes
when MADOGUCHI_TEST_DATABASE_URL is set."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.simulation.checks import DayResult
from bench.simulation.day import Fault, Options, run_day
from tests.support import PG_URL, create_database, drop_database

# CI-sized: the moving-season peak (1 April: its hourly shape, life-event mix and staffing) with
# fewer visitors, fast enough to finish in two minutes or so, slow enough that HTTP latency stays
# small next to a service time (at 300x a real second is five simulated minutes, a call's round
# trip a few simulated seconds). Two server processes on PostgreSQL and the simulator share two
# cores: they get more real time per simulated minute. The full day is in bench/ (simulate.py).
CI_TICKETS = 200
CI_SPEED = 300.0 if PG_URL else 400.0
# Announcement audio is synthesised ahead for every call by default (worker processes); nothing
# here plays it, and on two cores it would only take CPU from the servers under test.
SERVER_ENV = {"MADOGUCHI_ANNOUNCEMENT_PREFETCH": "false"}

RunDay = Callable[..., DayResult]


@pytest.fixture
def simulate(tmp_path: Path) -> Iterator[RunDay]:
    urls: list[str] = []

    def run(*, tickets: int = CI_TICKETS, faults: list[Fault] | None = None, **overrides: object) -> DayResult:
        url = create_database(str(tmp_path))
        urls.append(url)
        options = Options(
            day="peak",
            tickets=tickets,
            speed=CI_SPEED,
            seed=7,
            database_url=url,
            use_database_as_is=True,
            processes=2 if PG_URL else 1,
            workdir=tmp_path / f"day-{len(urls)}",
            real_time_limit=600,
            server_env=dict(SERVER_ENV),
        )
        for key, value in overrides.items():
            setattr(options, key, value)
        return run_day(options, faults)

    yield run
    for url in urls:
        drop_database(url)


def assert_holds(result: DayResult) -> None:
    failures = "\n".join(f"{check.name}: {check.detail}" for check in result.failures())
    assert result.ok, f"invariants failed:\n{failures}\nnotes: {result.notes}"
