"""Booking through the public API: services, days, slots, book, manage, cancel, throttle, and bad
input answered with a clear 4xx that writes nothing (DESIGN.md, "Appointments")."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from server.appointments.service import CODE_ALPHABET
from server.appointments.throttle import BookingThrottle
from tests.server.api import API
from tests.server.appointments.conftest import BOOK, TOMORROW_9, add_branch, book, written

pytestmark = pytest.mark.usefixtures("roomy")


def slots_of(client: TestClient, day: str = "2026-04-02", service: str = "mynumber_pickup") -> list[dict[str, Any]]:
    response = client.get(f"{BOOK}/slots", params={"service": service, "date": day})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_the_bookable_services_are_named_in_the_language_asked(client: TestClient) -> None:
    services = client.get(f"{BOOK}/services", params={"lang": "ko"}).json()
    assert [service["id"] for service in services] == ["okuyami_session", "mynumber_pickup", "welfare_consult"]
    pickup = services[1]
    assert (pickup["name"], pickup["name_lang"], pickup["slot_minutes"], pickup["days_ahead"]) == (
        "마이넘버 카드 수령",
        "ko",
        15,
        60,
    )
    # The booking page says when the address is erased (config/demo_city_hall.yaml).
    assert {service["email_retention_days"] for service in services} == {7}


def test_days_say_which_are_closed_and_how_many_places_are_free(client: TestClient) -> None:
    days = client.get(f"{BOOK}/days", params={"service": "mynumber_pickup", "from": "2026-04-02", "to": "2026-04-30"})
    assert days.status_code == 200, days.text
    by_date = {day["date"]: day for day in days.json()}
    assert by_date["2026-04-02"]["open"]
    assert by_date["2026-04-02"]["free"] == 26 * 2
    assert by_date["2026-04-04"] | {"free": 0} == by_date["2026-04-04"]
    assert (by_date["2026-04-04"]["open"], by_date["2026-04-04"]["reason"]) == (False, "weekend")
    assert (by_date["2026-04-29"]["open"], by_date["2026-04-29"]["reason"]) == (False, "national_holiday")  # 昭和の日
    assert slots_of(client, "2026-04-29") == []
    consult = client.get(
        f"{BOOK}/days", params={"service": "welfare_consult", "from": "2026-04-02", "to": "2026-05-31"}
    )
    by_date = {day["date"]: day for day in consult.json()}
    assert (by_date["2026-04-02"]["open"], by_date["2026-04-02"]["reason"]) == (False, "no_hours")  # Thursday
    assert (by_date["2026-05-08"]["open"], by_date["2026-05-08"]["reason"]) == (False, "out_of_range")  # > 30 days
    assert by_date["2026-04-03"]["open"]  # Friday


def test_a_booking_takes_a_place_and_cancelling_frees_it(client: TestClient, engine: Engine) -> None:
    assert slots_of(client)[0] == {
        "start": TOMORROW_9,
        "end": "2026-04-02T09:15:00+09:00",
        "available": 2,
    }
    booking = book(client, language="en")
    assert booking["status"] == "booked"
    assert (booking["service"], booking["start"], booking["end"]) == (
        "mynumber_pickup",
        TOMORROW_9,
        "2026-04-02T09:15:00+09:00",
    )
    assert len(booking["code"]) == 6
    assert set(booking["code"]) <= set(CODE_ALPHABET)
    assert not set("0O1I") & set(CODE_ALPHABET)
    assert len(booking["manage_token"]) >= 32
    assert booking["manage_url"].endswith(f"/a/{booking['manage_token']}")
    assert slots_of(client)[0]["available"] == 1

    seen = client.get(f"{API}/appointments/{booking['manage_token']}")
    assert seen.status_code == 200
    assert seen.json()["code"] == booking["code"]
    cancelled = client.delete(f"{API}/appointments/{booking['manage_token']}")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert slots_of(client)[0]["available"] == 2
    again = client.delete(f"{API}/appointments/{booking['manage_token']}")
    assert again.status_code == 200
    assert again.json()["status"] == "cancelled"
    assert written(engine) == (1, 0)  # the booking stays on record; its place is free


def test_a_full_slot_answers_slot_full(client: TestClient) -> None:
    book(client)
    book(client)
    full = book(client, expected=409)
    assert full["code"] == "slot_full"
    assert "満員" in full["detail"]
    assert slots_of(client)[0]["available"] == 0


def test_fifty_bookings_at_once_for_two_places_book_exactly_two(client: TestClient, engine: Engine) -> None:
    def attempt(_: int) -> tuple[int, str | None]:
        response = client.post(BOOK, json={"service": "mynumber_pickup", "start": TOMORROW_9})
        return response.status_code, response.json().get("code") if response.status_code != 201 else None

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert sorted(outcomes, key=str).count((201, None)) == 2, outcomes
    assert outcomes.count((409, "slot_full")) == 48, outcomes
    assert written(engine) == (2, 2)


WEEKEND = "2026-04-04T09:00:00+09:00"


BAD_BOOKINGS: list[tuple[dict[str, Any], int, str, str | None]] = [
    ({"service": "certificate"}, 404, "service_not_bookable", "cannot be booked"),
    ({"service": "no_such_thing"}, 404, "service_not_bookable", "cannot be booked"),
    ({"start": "2026-04-02T09:05:00+09:00"}, 409, "slot_unavailable", "not one of the day's slots"),
    ({"start": "2026-04-02T08:00:00+09:00"}, 409, "slot_unavailable", "not one of the day's slots"),
    ({"start": "2026-04-01T09:00:00+09:00"}, 409, "slot_unavailable", "has passed"),
    ({"start": "2026-03-31T09:00:00+09:00"}, 409, "slot_unavailable", "in the past"),
    ({"start": WEEKEND}, 409, "slot_unavailable", "土曜日"),
    ({"start": "2026-04-29T09:00:00+09:00"}, 409, "slot_unavailable", "祝日"),
    ({"start": "2026-07-01T09:00:00+09:00"}, 409, "slot_unavailable", "60 days ahead"),
    ({"service": "okuyami_session", "start": "2026-04-01T13:30:00+09:00"}, 409, "slot_unavailable", "24 hours"),
    ({"start": "2026-04-02T09:00:00"}, 422, "validation_error", None),
    ({"start": "tomorrow morning"}, 422, "validation_error", None),
    ({"start": "2026-04-31T09:00:00+09:00"}, 422, "validation_error", None),
    ({"email": "not-an-address"}, 422, "invalid_email", "e-mail"),
    ({"language": "日本語"}, 422, "validation_error", None),
    ({"colour": "red"}, 422, "validation_error", None),
]


def test_bad_bookings_are_refused_clearly_and_write_nothing(client: TestClient, engine: Engine) -> None:
    for body, status, code, words in BAD_BOOKINGS:
        refused = book(client, expected=status, **body)
        assert refused["code"] == code, (body, refused)
        if words:
            assert words in refused["detail"], (body, refused)
            assert not refused["detail"].lstrip("0123456789")[0].isascii(), "Japanese first, then English"
        assert written(engine) == (0, 0), body
    for params, status in [
        ({"service": "mynumber_pickup", "date": "2026-02-30"}, 422),
        ({"service": "mynumber_pickup", "date": "next week"}, 422),
        ({"service": "mynumber_pickup"}, 422),
        ({"service": "certificate", "date": "2026-04-02"}, 404),
    ]:
        response = client.get(f"{BOOK}/slots", params=params)
        assert response.status_code == status, params
        assert response.json()["code"] in {"validation_error", "service_not_bookable"}


def test_too_long_a_range_of_days_is_refused(client: TestClient) -> None:
    response = client.get(
        f"{BOOK}/days", params={"service": "mynumber_pickup", "from": "2026-04-01", "to": "2027-04-01"}
    )
    assert (response.status_code, response.json()["code"]) == (422, "range_too_long")


def test_an_unknown_manage_token_or_code_is_404(client: TestClient, kiosk: dict[str, str]) -> None:
    for method in ("GET", "DELETE"):
        response = client.request(method, f"{API}/appointments/no-such-token-at-all")
        assert (response.status_code, response.json()["code"]) == (404, "appointment_not_found")
    ics = client.get(f"{API}/appointments/no-such-token-at-all/calendar.ics")
    assert ics.status_code == 404
    check_in = client.post(f"{BOOK}/ZZZZZZ/check-in", headers=kiosk)
    assert (check_in.status_code, check_in.json()["code"]) == (404, "appointment_not_found")
    assert "予約番号" in check_in.json()["detail"]


def test_a_manage_token_of_another_branch_is_not_checked_in_here(
    client: TestClient, engine: Engine, kiosk: dict[str, str]
) -> None:
    add_branch(engine)
    other = client.post(
        f"{API}/branches/shisho/appointments", json={"service": "mynumber_pickup", "start": TOMORROW_9}
    ).json()
    for code in (other["manage_token"], other["code"]):
        response = client.post(f"{BOOK}/{code}/check-in", headers=kiosk)
        assert response.status_code == 404, response.text
    assert client.post(f"{BOOK}/{other['manage_token']}/check-in", headers=kiosk).json()["code"] == (
        "appointment_other_branch"
    )


def test_staff_book_by_telephone_without_the_throttle_and_see_the_day(
    client: TestClient, app: Any, auth: dict[str, dict[str, str]]
) -> None:
    app.state.booking_throttle = BookingThrottle(limit=1, window=timedelta(minutes=10))
    for start in ("2026-04-02T09:00:00+09:00", "2026-04-02T09:15:00+09:00", "2026-04-02T09:30:00+09:00"):
        book(client, headers=auth["shokuin"], start=start, email="family@example.jp", send_mail=False)
    day = client.get(BOOK, params={"date": "2026-04-02"}, headers=auth["shokuin"])
    assert day.status_code == 200, day.text
    rows = day.json()
    assert [row["start"] for row in rows][:1] == [TOMORROW_9]
    assert len(rows) == 3
    assert rows[0] | {"code": "x"} == {
        "code": "x",
        "service": "mynumber_pickup",
        "start": TOMORROW_9,
        "end": "2026-04-02T09:15:00+09:00",
        "status": "booked",
        "late": False,
        "checked_in_at": None,
        "ticket": None,
        "by_staff": True,
        "email": True,
    }
    assert "family@" not in day.text
    assert client.get(BOOK, params={"date": "2026-04-02"}).status_code == 401
    assert (
        client.get(BOOK, params={"date": "2026-04-02", "service": "certificate"}, headers=auth["shokuin"]).status_code
        == 404
    )


def test_public_bookings_are_throttled_per_address_with_retry_after(client: TestClient, app: Any) -> None:
    app.state.booking_throttle = BookingThrottle(limit=3, window=timedelta(minutes=10))
    for _ in range(3):
        book(client, expected=201 if _ < 2 else 409)
    refused = client.post(BOOK, json={"service": "mynumber_pickup", "start": TOMORROW_9})
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 600


def test_the_throttle_forgets_the_oldest_addresses_first() -> None:
    throttle = BookingThrottle(limit=2, window=timedelta(minutes=10), max_keys=100)
    from datetime import UTC, datetime

    now = datetime(2026, 4, 1, tzinfo=UTC)
    for number in range(1000):
        throttle.attempt(address=f"10.0.{number // 256}.{number % 256}", now=now + timedelta(seconds=number))
    assert len(throttle) == 100


def test_bookings_over_the_edge_link_are_counted_per_phone(client: TestClient, app: Any) -> None:
    from server.edge.protocol import EDGE_CLIENT_HEADER, EDGE_KEY_HEADER

    app.state.settings.edge_key = "the-edge-key"
    app.state.booking_throttle = BookingThrottle(limit=1, window=timedelta(minutes=10))

    def over_the_edge(phone: str, key: str = "the-edge-key") -> int:
        headers = {EDGE_KEY_HEADER: key, EDGE_CLIENT_HEADER: phone}
        return client.post(BOOK, json={"service": "mynumber_pickup", "start": TOMORROW_9}, headers=headers).status_code

    assert over_the_edge("203.0.113.5") == 201
    assert over_the_edge("203.0.113.5") == 429
    assert over_the_edge("198.51.100.7") == 201  # another phone behind the same edge
    assert over_the_edge("192.0.2.9", key="forged") == 409  # the slot is full: counted as this client, once
    assert over_the_edge("192.0.2.10", key="forged") == 429  # a forged key names no phone
