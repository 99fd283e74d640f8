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


def test_procedures_at_the_same_window_stay_one_visit_whichever_goes_first(
    client: TestClient, kiosk: dict[str, str], auth: Any
) -> None:
    """Only window 10 is open: health insurance goes first, and the elderly medical care that the
    same windows take comes right after it, not after the My Number Card's window 9."""
    ids = counter_ids(client)
    staff = auth["shokuin"]
    answers = {"has_mynumber_card": True, "national_health_insurance": True, "over_65": True, "over_75": True}
    ticket = issue(client, kiosk, life_event="move_within", answers=answers)
    act(client, auth["admin"], ids["10"], "open")
    ticket = through_the_back_office(client, staff, ids)
    pending = [stop["service"] for stop in ticket["stops"][ticket["current_stop"] :]]
    assert pending == ["nhi_change", "late_elderly", "mynumber_update", "ltc_insurance"]
    assert [(visit["counters"], visit["status"]) for visit in ticket["visits"][-3:]] == [
        ("10・11", "current"),
        ("9", "upcoming"),
        ("13・14", "upcoming"),
    ]
    # Window 10 goes on with the second procedure without a call: still the same visit.
    act(client, auth["admin"], ids["10"], "call-next")
    ticket = act(client, auth["admin"], ids["10"], "complete")["ticket"]
    current = ticket["stops"][ticket["current_stop"]]
    assert (current["service"], current["status"]) == ("late_elderly", "serving")
    assert [(visit["counters"], visit["status"]) for visit in ticket["visits"][-3:]] == [
        ("10", "current"),
        ("9", "upcoming"),
        ("13・14", "upcoming"),
    ]
