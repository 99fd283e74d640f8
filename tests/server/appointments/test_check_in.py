"""Check-in windows on the fixed clock, and the calling rule: a booking whose time has come is
called before walk-ins who came earlier, while walk-ins still get their share of the calls."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.counters.service import appointments_in_a_row
from tests.server.api import API, act, counter_ids, issue
from tests.server.appointments.conftest import BOOK, book
from tests.support import BRANCH, JST, FixedClock

pytestmark = pytest.mark.usefixtures("roomy")


def at(clock: FixedClock, hour: int, minute: int) -> None:
    clock.set(datetime(2026, 4, 1, hour, minute, tzinfo=JST))


def check_in(client: TestClient, headers: dict[str, str], code: str, expected: int = 201) -> Any:
    response = client.post(f"{BOOK}/{code}/check-in", headers=headers)
    assert response.status_code == expected, response.text
    return response.json()


def test_check_in_opens_early_accepts_the_grace_time_and_then_is_missed(
    client: TestClient, clock: FixedClock, kiosk: dict[str, str], auth: dict[str, dict[str, str]]
) -> None:
    first = book(client, start="2026-04-01T11:00:00+09:00", language="en")
    late = book(client, start="2026-04-01T11:15:00+09:00")
    missed = book(client, start="2026-04-01T11:30:00+09:00")
    cancelled = book(client, start="2026-04-01T11:45:00+09:00")
    assert client.delete(f"{API}/appointments/{cancelled['manage_token']}").status_code == 200

    at(clock, 10, 39)  # mynumber_pickup: check-in opens 20 minutes before, grace 10 minutes
    early = check_in(client, kiosk, first["code"], expected=409)
    assert early["code"] == "too_early"
    assert "10:40" in early["detail"]
    assert early["detail"].startswith("予約の受付は")
    assert early["opens_at"] == "2026-04-01T10:40:00+09:00"  # for the kiosk's own words

    at(clock, 10, 40)
    ticket = check_in(client, kiosk, first["code"].lower())  # typed in lower case: fine
    assert ticket["appointment"] is True
    assert ticket["status"] == "waiting"
    assert ticket["language"] == "en"
    assert ticket["number"].startswith("D")
    again = check_in(client, kiosk, first["code"], expected=200)
    assert again["number"] == ticket["number"]
    walk_in = issue(client, kiosk, service="mynumber_pickup")
    assert walk_in["appointment"] is False

    at(clock, 11, 25)  # 11:15 + 10 minutes of grace: still in time, by the e-mail's QR code
    by_qr = check_in(client, auth["shokuin"], late["manage_token"])
    assert by_qr["appointment"] is True

    at(clock, 11, 41)
    gone = check_in(client, kiosk, missed["code"], expected=409)
    assert gone["code"] == "appointment_missed"
    assert "11:30" in gone["detail"]
    assert "番号札" in gone["detail"]
    assert gone["start"] == "2026-04-01T11:30:00+09:00"
    assert check_in(client, kiosk, cancelled["code"], expected=409)["code"] == "appointment_cancelled"

    day = client.get(BOOK, params={"date": "2026-04-01"}, headers=auth["shokuin"]).json()
    by_code = {row["code"]: row for row in day}
    assert (by_code[first["code"]]["status"], by_code[first["code"]]["late"]) == ("checked_in", False)
    assert by_code[first["code"]]["ticket"] == ticket["number"]
    assert (by_code[late["code"]]["status"], by_code[late["code"]]["late"]) == ("checked_in", True)
    assert (by_code[missed["code"]]["status"], by_code[missed["code"]]["late"]) == ("missed", True)
    assert by_code[cancelled["code"]]["status"] == "cancelled"
    manage = client.get(f"{API}/appointments/{missed['manage_token']}").json()
    assert manage["status"] == "missed"
    refused = client.delete(f"{API}/appointments/{first['manage_token']}")
    assert (refused.status_code, refused.json()["code"]) == (409, "already_checked_in")


def test_the_walk_in_share_sets_how_many_appointments_go_in_a_row() -> None:
    assert appointments_in_a_row(0.5) == 1
    assert appointments_in_a_row(0.25) == 3
    assert appointments_in_a_row(0.3) == 2  # 1 walk-in in 3 calls: at least 30 %
    assert appointments_in_a_row(1.0) == 0
    assert appointments_in_a_row(0.0) == float("inf")


def test_a_due_appointment_is_called_before_earlier_walk_ins_and_walk_ins_keep_their_share(
    client: TestClient, clock: FixedClock, kiosk: dict[str, str], auth: dict[str, dict[str, str]]
) -> None:
    codes = [book(client, start=start)["code"] for start in ("2026-04-01T11:00:00+09:00",) * 2]
    codes += [book(client, start="2026-04-01T11:15:00+09:00")["code"]]
    at(clock, 10, 45)
    walk_ins = [issue(client, kiosk, service="mynumber_pickup")["number"] for _ in range(4)]
    at(clock, 10, 50)
    booked = [check_in(client, kiosk, code)["number"] for code in codes[:2]]

    staff = auth["shokuin"]
    window = counter_ids(client)["9"]  # マイナンバーカード
    act(client, staff, window, "open")
    called = []

    def call() -> str:
        ticket = act(client, staff, window, "call-next")
        act(client, staff, window, "complete")
        return str(ticket["ticket"]["number"])

    called.append(call())  # 10:50: no booking is due yet, the first walk-in
    assert called == [walk_ins[0]]
    at(clock, 11, 0)
    booked.append(check_in(client, kiosk, codes[2])["number"])  # due at 11:15: waits its time
    # Two bookings due at 11:00, walk-ins waiting since 10:45, a share of 0.5: they alternate.
    board = client.get(f"{API}/counters/{window}/waiting", headers=staff)
    assert board.status_code == 200, board.text
    expected = [booked[0], walk_ins[1], booked[1], walk_ins[2]]
    assert [item["number"] for item in board.json()][:4] == expected
    assert [bool(item["appointment_at"]) for item in board.json()][:4] == [True, False, True, False]
    called += [call() for _ in range(4)]
    assert called[1:] == expected
    at(clock, 11, 15)
    called += [call() for _ in range(2)]
    assert called[5:] == [booked[2], walk_ins[3]]


def test_the_daily_report_counts_bookings_and_their_wait_from_the_start_next_to_walk_ins(
    client: TestClient, clock: FixedClock, kiosk: dict[str, str], auth: dict[str, dict[str, str]]
) -> None:
    first, second = (book(client, start="2026-04-01T11:00:00+09:00")["code"] for _ in range(2))
    book(client, start="2026-04-01T11:15:00+09:00")  # never comes
    dropped = book(client, start="2026-04-01T11:30:00+09:00")
    client.delete(f"{API}/appointments/{dropped['manage_token']}")
    at(clock, 10, 45)
    walk_in = issue(client, kiosk, service="mynumber_pickup")
    at(clock, 10, 50)
    check_in(client, kiosk, first)
    at(clock, 11, 5)
    check_in(client, kiosk, second)  # late: its wait counts from its check-in
    staff, window = auth["shokuin"], counter_ids(client)["9"]
    act(client, staff, window, "open")
    at(clock, 11, 10)
    order = []
    for minute in (10, 10, 12):
        at(clock, 11, minute)
        order.append(act(client, staff, window, "call-next")["ticket"]["number"])
        act(client, staff, window, "complete")
    assert order[1] == walk_in["number"]
    at(clock, 11, 40)
    report = client.get(f"{API}/branches/{BRANCH}/reports/daily", params={"date": "2026-04-01"}, headers=staff)
    assert report.status_code == 200, report.text
    figures = report.json()["appointments"]
    assert figures["counts"] == {"booked": 3, "checked_in": 2, "missed": 1, "cancelled": 1}
    assert figures["by_service"] == {"mynumber_pickup": figures["counts"]}
    assert figures["wait_from_start"] | {"p50_minutes": 0, "p90_minutes": 0} == {
        "count": 2,
        "mean_minutes": 8.5,  # 11:00 → 11:10 and 11:05 → 11:12
        "p50_minutes": 0,
        "p90_minutes": 0,
    }
    assert (figures["walk_in_wait"]["count"], figures["walk_in_wait"]["mean_minutes"]) == (1, 25.0)
    csv = client.get(
        f"{API}/branches/{BRANCH}/reports/daily", params={"date": "2026-04-01", "format": "csv"}, headers=staff
    )
    assert "appointments,counts,missed,1" in csv.text.splitlines()


def test_walk_in_estimates_count_the_bookings_due_before_their_turn(
    client: TestClient, kiosk: dict[str, str], auth: dict[str, dict[str, str]]
) -> None:
    act(client, auth["shokuin"], counter_ids(client)["9"], "open")  # one window for My Number Cards
    tickets = [issue(client, kiosk, service="mynumber_pickup") for _ in range(4)]
    last = tickets[-1]
    before = client.get(f"{API}/tickets/{last['status_token']}").json()["estimated_wait_minutes"]
    assert before > 30
    for start in ("2026-04-01T10:15:00+09:00", "2026-04-01T10:15:00+09:00", "2026-04-01T10:30:00+09:00"):
        book(client, start=start)
    book(client, start="2026-04-01T16:00:00+09:00")  # long after this walk-in's turn: no effect
    after = client.get(f"{API}/tickets/{last['status_token']}").json()["estimated_wait_minutes"]
    assert after >= before + 3 * 15 - 1  # three bookings of about 15 minutes each come first
    assert after < before + 4 * 15
