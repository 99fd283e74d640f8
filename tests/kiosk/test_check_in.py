"""The kiosk agent's check-in (POST /kiosk/check-in) against a real server: a code or a manage
link, refusals worded in the screen language, and nothing printed when there is no ticket."""

from datetime import UTC, datetime, timedelta

import httpx

from kiosk.app import appointment_reference
from printer.simulator import PrinterSimulator
from tests.kiosk.conftest import MakeAgent
from tests.kiosk.servers import API, LiveServer
from tests.support import BRANCH


def test_a_code_is_read_from_what_was_typed_or_scanned() -> None:
    assert appointment_reference(" k7q3-x9 ") == ("K7Q3X9", None)
    assert appointment_reference("https://edge.example.jp/kita/a/AbC_123-xyz?x=1") == (None, "AbC_123-xyz")
    assert appointment_reference("hello!") == (None, None)


def test_refusals_are_worded_for_the_screen_and_print_nothing(
    make_agent: MakeAgent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    # A short long-poll for staff print requests, so that the agent stops at once afterwards.
    agent = make_agent(print_poll_seconds=0.5)
    assert agent.client.get("/kiosk/config").json()["appointments"] is True, "the demo books おくやみ"

    answer = agent.client.post("/kiosk/check-in", json={"code": "??", "language": "en"})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_code"
    assert answer.json()["message"].startswith("This booking code was not found")

    answer = agent.client.post("/kiosk/check-in", json={"code": "ZZZZZZ", "language": "ja"})
    assert answer.status_code == 404
    assert answer.json()["code"] == "appointment_not_found"
    assert "見つかりません" in answer.json()["message"]

    answer = agent.client.post("/kiosk/check-in", json={"code": "http://x/a/unknown-token-123", "language": "ja"})
    assert answer.status_code == 404
    assert answer.json()["code"] == "appointment_not_found"

    # A booking for a later day, shown by its manage link (the QR code): too early.
    day = datetime.now(UTC).date() + timedelta(days=10)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    slots = httpx.get(
        f"{server.url}{API}/branches/{BRANCH}/appointments/slots",
        params={"service": "mynumber_pickup", "date": day.isoformat()},
        timeout=10,
    ).json()
    free = next(slot for slot in slots if slot["available"] > 0)
    booking = httpx.post(
        f"{server.url}{API}/branches/{BRANCH}/appointments",
        json={"service": "mynumber_pickup", "start": free["start"], "send_mail": False},
        headers=server.staff_headers,
        timeout=10,
    ).json()
    answer = agent.client.post("/kiosk/check-in", json={"code": booking["manage_url"], "language": "en"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "too_early"
    assert "Check-in opens at" in answer.json()["detail"]
    assert answer.json()["opens_at"].endswith("+09:00")  # the time for the kiosk's own words
    assert answer.json()["message"].startswith("Check-in for this booking has not opened yet")
    assert simulator.jobs == []
    assert agent.spooled_numbers() == []
