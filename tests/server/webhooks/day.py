"""A simulated day through the real API: tickets issued, called, completed, a few absent."""

from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.support import BRANCH

API = "/api/v1"
Client = TestClient | httpx.Client


def issue_day(client: Client, kiosk: dict[str, str], count: int) -> list[dict[str, Any]]:
    """Single-service tickets and life-event visits of several stops, alternately."""
    tickets = []
    for index in range(count):
        body: dict[str, Any] = (
            {"life_event": "move_in", "answers": {}} if index % 3 == 0 else {"service": "certificate"}
        )
        response = client.post(f"{API}/branches/{BRANCH}/tickets", json=body, headers=kiosk)
        assert response.status_code == 201, response.text
        tickets.append(response.json())
    return tickets


def work_the_day(client: Client, admin: dict[str, str], *, absent_every: int = 7) -> int:
    """One administrator opens every counter and works until nothing waits; returns the calls made.
    Every `absent_every`-th call is marked absent instead of completed."""
    counters = client.get(f"{API}/branches/{BRANCH}/counters", headers=admin).json()
    ids = [counter["id"] for counter in counters]
    for counter_id in ids:
        response = client.post(f"{API}/counters/{counter_id}/open", headers=admin)
        assert response.status_code == 200, response.text
    calls = 0
    while True:
        progressed = False
        for counter_id in ids:
            response = client.post(f"{API}/counters/{counter_id}/call-next", headers=admin)
            if response.status_code == 204:
                continue
            progressed = True
            if response.status_code == 409:
                # The counter went on with the same citizen's next procedure (one visit per window).
                action = "complete"
            else:
                assert response.status_code == 200, response.text
                calls += 1
                called = response.json()["ticket"]["status"] == "called"  # an internal desk's work is not a call
                action = "no-show" if called and calls % absent_every == 0 else "complete"
            done = client.post(f"{API}/counters/{counter_id}/{action}", headers=admin)
            assert done.status_code == 200, done.text
        if not progressed:
            return calls
