"""A short simulated day through real server processes: every invariant holds, and the wait
estimate beats the naive one."""

import pytest

from tests.simulation.conftest import CI_TICKETS, RunDay, assert_holds
from tests.support import PG_URL


@pytest.mark.slow
def test_a_short_day_keeps_every_invariant(simulate: RunDay) -> None:
    result = simulate()
    assert_holds(result)
    kpis = result.kpis
    assert kpis["tickets"] == result.meta["visitors_planned"] >= CI_TICKETS
    assert result.meta["processes"] == (2 if PG_URL else 1)
    assert kpis["calls"] >= kpis["tickets"]  # every ticket was called at least once
    assert kpis["no_shows"] > 0  # the day had absent visitors, recalled and then marked
    assert kpis["recalls"] >= 2 * kpis["no_shows"]
    assert kpis["returns"] + kpis["transfers"] > 0
    assert set(kpis["staff_busy_minutes_by_role"]) == {"contractor", "municipal"}
    estimates = result.estimator["by_estimator"]
    current, naive = estimates["server (current)"], estimates["naive: ahead × configured minutes"]
    assert current["n"] >= CI_TICKETS * 0.9
    assert current["mae"] < naive["mae"]
