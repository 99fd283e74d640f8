"""A month's bookings are the sum of its days' (the daily report counts them the same way)."""

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine

from server.models import Staff
from tests.server.api import API
from tests.server.appointments.conftest import book
from tests.support import BRANCH, FixedClock, staff_token

REPORTS = f"{API}/branches/{BRANCH}/reports"


def test_a_months_bookings_are_the_sum_of_its_days(
    client: TestClient, engine: Engine, staff_users: dict[str, Staff], clock: FixedClock, roomy: None
) -> None:
    book(client, start="2026-04-02T09:00:00+09:00")
    book(client, start="2026-04-02T09:15:00+09:00")
    cancelled = book(client, start="2026-04-03T09:00:00+09:00")
    book(client, start="2026-04-03T09:15:00+09:00")
    assert client.delete(f"{API}/appointments/{cancelled['manage_token']}").status_code == 200
    clock.set(datetime(2026, 4, 6, 3, 0, tzinfo=UTC))  # the Monday after: both days are past
    staff = {"Authorization": f"Bearer {staff_token(engine, staff_users['shokuin'], clock())}"}

    days = [
        _json(client.get(f"{REPORTS}/daily", params={"date": day}, headers=staff))["appointments"]
        for day in ("2026-04-02", "2026-04-03")
    ]
    month = client.get(f"{REPORTS}/monthly", params={"month": "2026-04"}, headers=staff)
    assert month.status_code == 200, month.text
    figures = month.json()["appointments"]

    assert figures["counts"] == {"booked": 3, "checked_in": 0, "missed": 3, "cancelled": 1}
    assert figures["counts"] == {key: sum(day["counts"][key] for day in days) for key in figures["counts"]}
    assert figures["by_service"] == {"mynumber_pickup": figures["counts"]}
    csv = client.get(f"{REPORTS}/monthly", params={"month": "2026-04", "format": "csv"}, headers=staff)
    assert "appointments,counts,missed,3" in csv.text.splitlines()
    year = client.get(f"{REPORTS}/yearly", params={"year": "2026"}, headers=staff).json()["appointments"]
    assert year["counts"] == figures["counts"]


def _json(response: Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()
