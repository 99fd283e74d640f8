"""Shared by the appointment tests: the demo city hall's bookable services on its fixed clock
(Wednesday 2026-04-01 10:00 JST), a booking helper, and a second branch."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.appointments.throttle import BookingThrottle
from server.catalog.service import apply_config
from server.models import Appointment, AppointmentSlot
from tests.server.api import API
from tests.support import BRANCH, demo_config

BOOK = f"{API}/branches/{BRANCH}/appointments"
# Thursday 2026-04-02: a working day within every service's window; the clock is the day before.
TOMORROW_9 = "2026-04-02T09:00:00+09:00"


@pytest.fixture
def roomy(app: Any) -> None:
    """A throttle that lets a test book as often as it needs from the test client's one address."""
    app.state.booking_throttle = BookingThrottle(limit=10_000, window=timedelta(minutes=10))


def book(client: TestClient, expected: int = 201, headers: dict[str, str] | None = None, **body: Any) -> Any:
    body = {"service": "mynumber_pickup", "start": TOMORROW_9} | body
    response = client.post(BOOK, json=body, headers=headers or {})
    assert response.status_code == expected, response.text
    return response.json()


def written(engine: Engine) -> tuple[int, int]:
    """Bookings and places taken, all told."""
    with Session(engine) as session:
        bookings = session.exec(select(func.count()).select_from(Appointment)).one()
        places = session.exec(select(func.coalesce(func.sum(AppointmentSlot.booked), 0))).one()
    return int(bookings), int(places)


def add_branch(engine: Engine, branch_id: str = "shisho") -> None:
    config = demo_config()
    data = config.model_dump(mode="json")
    data["branch"]["id"] = branch_id
    data["branch"]["name_ja"] = "サンプル市役所 支所"
    data["branch"]["name_en"] = "Sample City Hall (branch office)"
    with Session(engine) as session:
        apply_config(session, type(config).model_validate(data))
        session.commit()
