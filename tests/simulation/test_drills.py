"""A fault drill in the suite: the server is SIGKILLed mid-day and restarted; the day still holds."""

import pytest

from bench.drills import sigkill_fault
from tests.simulation.conftest import RunDay, assert_holds


@pytest.mark.slow
def test_sigkill_mid_day_loses_nothing_and_the_day_carries_on(simulate: RunDay) -> None:
    result = simulate(tickets=150, faults=[sigkill_fault("peak", hour=11)])
    assert_holds(result)
    outcome = result.faults["sigkill"]
    assert outcome["starts"] == 2, outcome  # it really died and came back
    displays = [check for check in result.checks if check.name.startswith("display-")]
    assert displays
    assert all("0 missing" in check.detail for check in displays)
