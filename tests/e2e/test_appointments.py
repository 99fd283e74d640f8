"""Appointments in Debian's chromium: the booking and manage pages at phone size, check-in at the
kiosk (a real agent and a simulated printer), the staff console's day view and the admin's closed days.

The server runs on a drill clock set to 09:55 on the next open weekday, so that a 10:00 booking
can be checked in while one on the following day is too early. The pages are also driven through
the public edge, under a city hall's prefix. Screenshots go to tests/output/.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from printer.simulator import PrinterSimulator
from server.catalog.calendar import calendar_of, closed_day
from server.models import Role
from tests.edge.support import EdgeProcess, edge_process
from tests.kiosk.servers import LiveServer, kiosk_agent, live_server, wait_until
from tests.support import BRANCH, PASSWORD, make_staff

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = Path(__file__).resolve().parents[1] / "output"
EDGE_TENANT = "kita"
EDGE_KEY = "kita-city-hall-key-0123456789"
JST = ZoneInfo("Asia/Tokyo")
API = "/api/v1"


def next_open_day(after: date) -> date:
    day = after + timedelta(days=1)
    while closed_day(calendar_of({}), day) is not None:
        day += timedelta(days=1)
    return day


@dataclass
class Hall:
    server: LiveServer
    printer: PrinterSimulator
    kiosk_url: str
    today: date  # the drill clock's day
    tomorrow: date  # the open day after it
    edge: EdgeProcess  # the public edge, serving this city hall under /kita

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.server.url}{API}{path}", timeout=10, **kwargs)

    def book(self, service: str, day: date, clock: str) -> dict[str, Any]:
        """A telephone booking through the API (staff), as a clerk would make it."""
        start = datetime.fromisoformat(f"{day.isoformat()}T{clock}:00+09:00").isoformat()
        response = self.api(
            "POST",
            f"/branches/{BRANCH}/appointments",
            json={"service": service, "start": start, "send_mail": False},
            headers=self.server.staff_headers,
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def slot(self, service: str, start: str) -> dict[str, Any]:
        day = start[:10]
        response = self.api("GET", f"/branches/{BRANCH}/appointments/slots", params={"service": service, "date": day})
        assert response.status_code == 200, response.text
        (found,) = [slot for slot in response.json() if slot["start"] == start]
        return dict(found)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    tmp_dir = tmp_path_factory.mktemp("appointments-e2e")
    today = next_open_day(datetime.now(JST).date())
    start = datetime.combine(today, datetime.min.time(), tzinfo=JST).replace(hour=9, minute=55)
    drill = f"{start.isoformat()},{time.time()!r},1"
    edge_args = ("--public-url", "http://edge.invalid", "--tenant", f"{EDGE_TENANT}:{EDGE_KEY}")
    with edge_process(tmp_dir, *edge_args) as edge:
        environment = {
            "MADOGUCHI_DRILL_CLOCK": drill,
            "MADOGUCHI_EDGE_URL": f"{edge.base_url}/{EDGE_TENANT}",
            "MADOGUCHI_EDGE_KEY": EDGE_KEY,
        }
        with live_server(tmp_dir, now=start, **environment) as server, PrinterSimulator() as printer:
            token, _ = server.new_kiosk()
            with kiosk_agent(server.url, token, printer.url, tmp_dir) as kiosk_url:
                yield Hall(server, printer, kiosk_url, today, next_open_day(today), edge)


def wait_for_qr(page: Page) -> None:
    """The QR image has loaded (read through the DevTools protocol: the page's CSP forbids eval)."""
    wait_until(lambda: page.locator("#qr").evaluate("image => image.complete && image.naturalWidth") > 0)


def screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"appointments-{name}.png"), full_page=True)


def test_a_citizen_books_on_a_phone_and_cancels_and_the_slot_is_free_again(browser: Browser, hall: Hall) -> None:
    phone = {"width": 390, "height": 844}
    context = browser.new_context(viewport=phone, locale="ja-JP", is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{hall.server.url}/book/{BRANCH}")
        page.locator("[data-service=okuyami_session]").click()
        # Closed days are shown, as closed; the day itself is too soon for おくやみ (a day's notice).
        expect(page.locator("#days button.closed").first).to_contain_text("休み")
        expect(page.locator("#days button.closed").first).to_be_disabled()
        expect(page.locator(f"#days [data-date='{hall.today.isoformat()}']")).to_be_disabled()
        page.locator(f"#days [data-date='{hall.tomorrow.isoformat()}']").click()
        page.locator("#slots button:not([disabled])").first.click()
        expect(page.locator("#email-note")).to_contain_text("削除")
        page.locator("#book").click()

        code = page.locator("#code")
        expect(code).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{6}$"))
        wait_for_qr(page)
        expect(page.locator("#booked-service")).to_contain_text("おくやみ")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, "nothing wider than the phone"
        screenshot(page, "book-ja")
        link = page.locator("#manage-link").get_attribute("href")
        assert link is not None
        assert "/a/" in link
        booking = hall.api("GET", f"/appointments/{link.rsplit('/', 1)[1]}").json()
        assert booking["code"] == code.inner_text()
        start = booking["start"]
        assert hall.slot("okuyami_session", start)["available"] == 0

        page.goto(link)
        expect(page.locator("#status")).to_have_text("予約済み")
        expect(page.locator("#code")).to_have_text(booking["code"])
        page.locator("#cancel").click()
        expect(page.locator("#cancel-question")).to_be_visible()
        page.locator("#cancel-yes").click()
        expect(page.locator("#cancelled")).to_be_visible()
        expect(page.locator("#status")).to_have_text("取り消し済み")
        assert hall.slot("okuyami_session", start)["available"] == 1, "cancelling frees the place"

        page.goto(f"{hall.server.url}/a/no-such-booking-token")
        expect(page.locator("#missing")).to_contain_text("見つかりません")
    finally:
        context.close()


def test_a_booking_is_checked_in_at_the_kiosk_and_shown_in_the_staff_day_view(browser: Browser, hall: Hall) -> None:
    hall.printer.set_state("ok")
    hall.printer.clear()
    booking = hall.book("mynumber_pickup", hall.today, "10:00")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(hall.kiosk_url)
        page.locator("#appointment-button").click()
        expect(page.locator("#checkin-heading")).to_be_focused()
        # The keypad has the letters and digits codes are made of, and no 0, 1, I or O.
        expect(page.locator("#keypad [data-key]")).to_have_count(32)
        for character in booking["code"]:
            page.locator(f"#keypad [data-key='{character}']").click()
        expect(page.locator("#checkin-code")).to_have_text(booking["code"])
        screenshot(page, "kiosk-keypad")
        assert page.evaluate("document.scrollingElement.scrollHeight") <= 800
        page.locator("#checkin-submit").click()

        expect(page.locator("#result-number")).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
        expect(page.locator("#result-appointment")).to_be_visible()
        number = page.locator("#result-number").inner_text()
        (job,) = hall.printer.wait_for_jobs(1, timeout_seconds=5)
        assert job.printed
        assert job.cut
        screenshot(page, "kiosk-checked-in")
        page.locator("#next-person").click()

        # Tomorrow's booking, shown to the scanner on the first screen: too early, with the time.
        later = hall.book("mynumber_pickup", hall.tomorrow, "10:00")
        expect(page.locator("#start-heading")).to_be_visible()
        page.keyboard.type(later["manage_url"] + "\n")
        expect(page.locator("#refused-heading")).to_have_text("予約の受付はまだ始まっていません")
        expect(page.locator("#refused-text")).to_contain_text("9:40")
        expect(page.locator("#walk-in-button")).to_be_visible()
        screenshot(page, "kiosk-too-early")
        page.locator("#walk-in-button").click()
        expect(page.locator("#start-heading")).to_be_visible()
        assert len(hall.printer.jobs) == 1, "nothing printed for a refused check-in"
    finally:
        context.close()

    staff = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = staff.new_page()
    try:
        page.goto(f"{hall.server.url}/staff")
        page.get_by_label("ユーザー名").fill("kiosk-test-staff")
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="サインイン").click()
        page.locator("#open-appointments").click()
        # The console opens on the browser's today; the server's is the drill clock's.
        page.locator("#appointments-date").fill(hall.today.isoformat())
        row = page.locator(f"#appointments-body tr[data-code='{booking['code']}']")
        expect(row).to_have_attribute("data-status", "checked_in")
        expect(row.locator("td.ticket")).to_have_text(number)
        expect(row).to_contain_text("10:00")
        screenshot(page, "staff-day-view")
    finally:
        staff.close()


def test_the_booking_pages_work_under_a_city_halls_prefix_on_the_public_edge(browser: Browser, hall: Hall) -> None:
    deadline = time.monotonic() + 20
    while not hall.edge.linked(EDGE_TENANT):
        assert time.monotonic() < deadline, "the server never linked to the edge"
        time.sleep(0.1)
    edge = f"{hall.edge.base_url}/{EDGE_TENANT}"
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)  # every request crosses the edge's link: slower on a loaded machine
    try:
        page.goto(f"{edge}/book/{BRANCH}")
        expect(page.locator("#title")).to_have_text("Book a visit", timeout=15000)
        page.locator("[data-service=mynumber_pickup]").click()
        page.locator(f"#days [data-date='{hall.tomorrow.isoformat()}']").click()
        page.locator("#slots button:not([disabled])").first.click()
        page.locator("#book").click()
        expect(page.locator("#code")).to_have_text(re.compile(r"^[2-9A-HJ-NP-Z]{6}$"), timeout=15000)
        wait_for_qr(page)
        screenshot(page, "book-en-edge")
        link = page.locator("#manage-link").get_attribute("href")
        assert link is not None
        assert link.startswith(f"{edge}/a/")
        page.goto(link)
        expect(page.locator("#status")).to_have_text("Booked", timeout=15000)
        calendar = page.locator("#calendar").get_attribute("href")
        assert calendar is not None
        assert calendar.startswith(f"/{EDGE_TENANT}/api/v1/appointments/")
        answer = httpx.get(hall.edge.base_url + calendar, timeout=10)
        assert answer.status_code == 200
        assert "BEGIN:VEVENT" in answer.text
    finally:
        context.close()


def test_an_admin_closes_a_day_and_bookings_see_it_closed(browser: Browser, hall: Hall) -> None:
    make_staff(hall.server.engine, "kanri", Role.admin, datetime.now(UTC))
    day = next_open_day(hall.today + timedelta(days=14))

    def listed() -> dict[str, Any]:
        params = {"service": "mynumber_pickup", "from": day.isoformat(), "to": day.isoformat()}
        (found,) = hall.api("GET", f"/branches/{BRANCH}/appointments/days", params=params).json()
        return dict(found)

    assert listed()["open"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    try:
        page.goto(f"{hall.server.url}/admin")
        page.get_by_label("ユーザー名").fill("kanri")
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="サインイン").click()
        page.locator("#tab-appointments").click()
        expect(page.locator("[data-service=mynumber_pickup] #booking-1-capacity")).to_have_value("2")
        page.locator("#closed-day-date").fill(day.isoformat())
        page.locator("#add-closed-day").click()
        expect(page.locator(f"#closed-days li[data-date='{day.isoformat()}']")).to_be_visible()
        assert listed()["reason"] == "closed_day"
        screenshot(page, "admin-closed-day")
        page.locator(f"#closed-days li[data-date='{day.isoformat()}'] button").click()
        expect(page.locator(f"#closed-days li[data-date='{day.isoformat()}']")).to_have_count(0)
        assert listed()["open"]
    finally:
        context.close()
