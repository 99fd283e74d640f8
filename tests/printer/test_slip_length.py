"""Every demo life event's "all yes" slip fits in about 15 cm of 80 mm paper.

The tickets come from the server's own API (the demo city hall, issued as a kiosk issues them),
so a longer route or a longer procedure name in the configuration shows up here.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from printer.render import render_ticket, route_lines, slip_length_mm
from tests.support import BRANCH, demo_config

MAX_SLIP_MM = 150.0
LIFE_EVENTS = [event.id for event in demo_config().life_events]


@pytest.mark.parametrize("life_event", LIFE_EVENTS)
def test_all_yes_life_event_slip_fits_in_15_cm(client: TestClient, kiosk: dict[str, str], life_event: str) -> None:
    (event,) = [item for item in demo_config().life_events if item.id == life_event]
    body = {"life_event": life_event, "answers": dict.fromkeys(event.questions, True)}
    response = client.post(f"/api/v1/branches/{BRANCH}/tickets", json=body, headers=kiosk)
    assert response.status_code == 201, response.text
    ticket = response.json()

    slip = render_ticket(ticket, branch_name="鳥取市役所 本庁舎", profile="80")

    assert slip_length_mm(slip, "80") <= MAX_SLIP_MM
    # One line per visit, none of them a bare neutral label repeated.
    lines = route_lines(ticket)
    assert len(lines) == len(ticket["visits"])
    assert all(line.what for line in lines)
    windows = [line.what for line in lines if not line.back_office]
    assert len(set(windows)) == len(windows)
