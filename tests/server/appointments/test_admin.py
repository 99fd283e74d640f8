"""The admin API for bookable services and closed days: checked like the configuration file,
audited, and the closed days apply to ticket issuing and bookings alike."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.catalog.calendar import closed_day
from server.catalog.schemas import CalendarSpec
from server.models import AuditEntry
from tests.server.api import API
from tests.server.appointments.conftest import BOOK, book
from tests.support import BRANCH

ADMIN = f"{API}/admin/branches/{BRANCH}"
TICKETS = f"{API}/branches/{BRANCH}/tickets"


def actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))).all())


def test_the_admin_changes_a_bookable_service_and_bad_settings_change_nothing(
    client: TestClient, engine: Engine, auth: dict[str, dict[str, str]]
) -> None:
    assert client.get(f"{ADMIN}/appointments", headers=auth["shokuin"]).status_code == 403
    settings = client.get(f"{ADMIN}/appointments", headers=auth["admin"]).json()
    assert [item["service"] for item in settings["services"]] == [
        "okuyami_session",
        "mynumber_pickup",
        "welfare_consult",
    ]
    settings["services"][1]["capacity"] = 3
    saved = client.put(f"{ADMIN}/appointments", json=settings, headers=auth["admin"])
    assert saved.status_code == 200, saved.text
    assert (
        client.get(f"{BOOK}/slots", params={"service": "mynumber_pickup", "date": "2026-04-02"}).json()[0]["available"]
        == 3
    )
    assert actions(engine) == ["appointments.update"]

    for bad, words in [
        ({"service": "no_such_service", "hours": {"mon": ["09:00-12:00"]}}, "unknown service"),
        ({"service": "certificate", "hours": {"mon": ["07:00-09:00"]}}, "outside the opening hours"),
        ({"service": "certificate", "hours": {"mon": ["10:00-09:00"]}}, "not after the start"),
        ({"service": "certificate", "slot_minutes": 90, "hours": {"mon": ["09:00-10:00"]}}, "no slot of 90 minutes"),
    ]:
        refused = client.put(f"{ADMIN}/appointments", json={"services": [bad]}, headers=auth["admin"])
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "invalid_configuration"
        assert words in refused.json()["detail"]
    invalid = client.put(
        f"{ADMIN}/appointments",
        json={"services": [{"service": "certificate", "hours": {"someday": ["09:00-10:00"]}}]},
        headers=auth["admin"],
    )
    assert invalid.status_code == 422
    assert actions(engine) == ["appointments.update"]
    assert len(client.get(f"{BOOK}/services").json()) == 3


@pytest.mark.usefixtures("roomy")
def test_an_extra_closed_day_stops_issuing_and_booking_and_can_be_taken_back(
    client: TestClient, engine: Engine, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    booked = book(client, start="2026-04-01T11:00:00+09:00")  # today, before it is closed
    added = client.post(f"{ADMIN}/closed-days", json={"date": "2026-04-01"}, headers=auth["admin"])
    assert added.status_code == 201, added.text
    assert added.json()["bookings"] == 1  # the staff call that family
    assert added.json()["calendar"]["closed_days"] == ["2026-04-01"]

    refused = client.post(TICKETS, json={"service": "certificate"}, headers=kiosk)
    assert (refused.status_code, refused.json()["code"]) == (409, "branch_closed_today")
    assert refused.json()["detail"].startswith("4月1日は臨時の閉庁日のため閉庁日です。")
    assert book(client, expected=409, start="2026-04-01T11:15:00+09:00")["code"] == "slot_unavailable"
    days = client.get(f"{BOOK}/days", params={"service": "mynumber_pickup", "from": "2026-04-01", "to": "2026-04-01"})
    assert days.json()[0] | {"free": 0} == {
        "date": "2026-04-01",
        "open": False,
        "closed": True,
        "reason": "closed_day",
        "slots": 0,
        "free": 0,
    }
    again = client.post(f"{ADMIN}/closed-days", json={"date": "2026-04-01"}, headers=auth["admin"])
    assert (again.status_code, again.json()["code"]) == (409, "closed_day_exists")
    assert client.get(f"{API}/appointments/{booked['manage_token']}").json()["status"] == "booked"

    assert client.delete(f"{ADMIN}/closed-days/2026-04-01", headers=auth["admin"]).status_code == 204
    assert client.post(TICKETS, json={"service": "certificate"}, headers=kiosk).status_code == 201
    missing = client.delete(f"{ADMIN}/closed-days/2026-04-01", headers=auth["admin"])
    assert (missing.status_code, missing.json()["code"]) == (404, "closed_day_not_found")
    assert client.delete(f"{ADMIN}/closed-days/not-a-date", headers=auth["admin"]).status_code == 422
    assert actions(engine) == ["calendar.closed_day_add", "calendar.closed_day_remove"]

    calendar = client.get(f"{ADMIN}/calendar", headers=auth["admin"]).json()
    calendar["weekends"] = False  # a branch open on Saturdays
    assert client.put(f"{ADMIN}/calendar", json=calendar, headers=auth["admin"]).status_code == 200
    saturday = client.get(
        f"{BOOK}/days", params={"service": "mynumber_pickup", "from": "2026-04-04", "to": "2026-04-04"}
    )
    assert saturday.json()[0]["closed"] is False


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 4, 4), "weekend"),
        (date(2026, 4, 29), "national_holiday"),  # 昭和の日
        (date(2026, 5, 6), "national_holiday"),  # 振替休日
        (date(2026, 9, 22), "national_holiday"),  # 国民の休日 (between two holidays)
        (date(2026, 12, 29), "year_end"),
        (date(2027, 1, 3), "year_end"),
        (date(2027, 1, 11), "national_holiday"),  # 成人の日
        (date(2026, 4, 1), None),
        (date(2026, 12, 28), None),
        (date(2027, 1, 4), None),
    ],
)
def test_the_closed_day_rule(day: date, reason: str | None) -> None:
    found = closed_day(CalendarSpec(), day)
    assert (found.reason if found else None) == reason
    assert closed_day(CalendarSpec(weekends=False, national_holidays=False, year_end=False), day) is None
