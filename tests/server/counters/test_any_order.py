"""Stops of an any-order group: the next one is where the wait is shortest among open counters."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server.api import act, counter_ids, issue

ANSWERS = {"has_children": True, "national_health_insurance": True}  # household_change → nhi_change, child_allowance


def through_the_back_office(client: TestClient, staff: dict[str, str], ids: dict[str, int]) -> dict[str, Any]:
    for code in ("1", "R1", "B1"):
        act(client, staff, ids[code], "open")
        act(client, staff, ids[code], "call-next")
        ticket = act(client, staff, ids[code], "complete")["ticket"]
    return ticket


@pytest.mark.parametrize(("busy", "expected"), [("10", "child_allowance"), ("12", "nhi_change")])
def test_the_ticket_goes_first_where_a_counter_is_free(
    client: TestClient, kiosk: dict[str, str], auth: Any, busy: str, expected: str
) -> None:
    ids = counter_ids(client)
    staff, other = auth["shokuin"], auth["admin"]
    ticket = issue(client, kiosk, life_event="household_change", answers=ANSWERS)
    # Both windows are open; one of them is busy with somebody else's long procedure.
    for code in ("10", "12"):
        act(client, other, ids[code], "open")
    issue(client, kiosk, service="nhi_enroll" if busy == "10" else "child_allowance")
    act(client, other, ids[busy], "call-next")
    ticket = through_the_back_office(client, staff, ids)
    current = ticket["stops"][ticket["current_stop"]]
    assert current["service"] == expected
    assert current["status"] == "waiting"
    # The other procedure of the group follows, and the route still tells one visit per window.
    assert [stop["service"] for stop in ticket["stops"][ticket["current_stop"] + 1 :]] == [
        {"child_allowance": "nhi_change", "nhi_change": "child_allowance"}[expected]
    ]
    assert [visit["status"] for visit in ticket["visits"]] == ["done", "done", "current", "upcoming"]
