"""The route as the citizen lives it, in Debian's chromium against a real server, a real
`madoguchi kiosk` and a simulated printer: kiosk result (1080×1920), status page on a phone
(390×844), concierge tablet; Japanese and English. Screenshots go to tests/output/.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from printer.render import route_lines
from printer.simulator import PrinterSimulator
from server.models import Role
from tests.e2e.support import choose_kiosk_language
from tests.kiosk.servers import API, LiveServer, kiosk_agent, live_server, wait_until
from tests.support import BRANCH, PASSWORD, demo_config, make_staff

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = Path(__file__).resolve().parents[1] / "output"
PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1080, "height": 1920}


def all_yes(life_event: str) -> dict[str, Any]:
    (event,) = [item for item in demo_config().life_events if item.id == life_event]
    return {"life_event": life_event, "answers": dict.fromkeys(event.questions, True)}


@dataclass
class Hall:
    server: LiveServer
    printer: PrinterSimulator
    kiosk_url: str
    kiosk_id: int

    def api(self, method: str, path: str, **body: Any) -> Any:
        response = httpx.request(
            method, f"{self.server.url}{API}{path}", json=body or None, headers=self.server.staff_headers, timeout=10
        )
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def ticket(self, number: str) -> dict[str, Any]:
        ticket: dict[str, Any] = self.api("GET", f"/branches/{BRANCH}/tickets/{number}")
        return ticket

    def counter(self, code: str) -> int:
        return next(row["id"] for row in self.api("GET", f"/branches/{BRANCH}/counters") if row["name"] == code)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    tmp_dir = tmp_path_factory.mktemp("citizen-route")
    with live_server(tmp_dir) as server, PrinterSimulator() as printer:
        token, device_id = server.new_kiosk()
        with kiosk_agent(server.url, token, printer.url, tmp_dir, "--result-seconds", "6") as url:
            yield Hall(server=server, printer=printer, kiosk_url=url, kiosk_id=device_id)


def _page(browser: Browser, viewport: dict[str, int], **options: Any) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=viewport, locale="ja-JP", **options)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    return page, problems


def _screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def _status_lines(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("#stops li .line").all_inner_texts()]


def _slip_lines(ticket: dict[str, Any]) -> list[str]:
    return [line.place + (f": {line.what}" if not line.back_office else "") for line in route_lines(ticket)]


def test_kiosk_result_shows_the_visits_and_clears_itself(hall: Hall, browser: Browser) -> None:
    page, problems = _page(browser, KIOSK)
    page.goto(hall.kiosk_url)
    page.locator('[data-life-event="household_change"]').click()
    while page.locator("#screen-question").is_visible():
        page.locator("#answer-yes").click()
        page.wait_for_timeout(350)  # the double-tap guard
    page.locator("#issue-button").click()
    expect(page.locator("#result-number")).to_have_text(re.compile(r"^L\d{3}$"))
    number = page.locator("#result-number").inner_text()
    ticket = hall.ticket(number)
    kiosk_lines = [
        " ".join(part.strip() for part in item.split("\n") if part.strip())
        for item in page.locator("#result-stops li").all_inner_texts()
    ]
    assert len(kiosk_lines) == len(ticket["visits"])
    assert kiosk_lines[0].startswith("1〜5番窓口")
    assert any(line.startswith("書類の準備") for line in kiosk_lines)
    expect(page.locator("#result-countdown")).to_contain_text("秒後に最初の画面に戻ります")
    _screenshot(page, "kiosk-result-visits-ja")
    # Nobody touches the screen: the number and the QR go by themselves.
    expect(page.locator("#screen-start")).to_be_visible(timeout=12_000)
    assert page.locator("#result-qr").get_attribute("src") is None
    assert page.locator("#result-number").inner_text() == ""

    choose_kiosk_language(page, "en")
    page.locator('[data-service="certificate"]').click()
    page.locator("#issue-button").click()
    expect(page.locator("#result-number")).to_have_text(re.compile(r"^C\d{3}$"))
    expect(page.locator("#result-stops li")).to_have_count(1)
    expect(page.locator("#next-person")).to_have_text("Next person")
    _screenshot(page, "kiosk-result-visits-en")
    page.locator("#next-person").click()
    expect(page.locator("#screen-start")).to_be_visible()
    assert page.locator("#result-qr").get_attribute("src") is None
    assert problems == []


def _call_until(hall: Hall, counter: int, number: str) -> dict[str, Any]:
    """Call at this window until `number` comes; earlier tickets (other tests') are set aside."""
    while True:
        view: dict[str, Any] = hall.api("POST", f"/counters/{counter}/call-next")["ticket"]
        if view["number"] == number:
            return view
        hall.api("POST", f"/counters/{counter}/no-show")


def _walk_to_back_office(hall: Hall, ticket: dict[str, Any]) -> dict[str, Any]:
    counter = hall.counter("1")
    hall.api("POST", f"/counters/{counter}/open")
    view = _call_until(hall, counter, ticket["number"])
    hall.api("POST", f"/counters/{counter}/start")
    while view["status"] not in {"processing"}:
        view = hall.api("POST", f"/counters/{counter}/complete")["ticket"]
    hall.api("POST", f"/counters/{counter}/close")
    return view


def test_status_page_tells_the_route_and_back_office_progress(hall: Hall, browser: Browser) -> None:
    ticket = hall.api("POST", f"/branches/{BRANCH}/tickets", **all_yes("household_change"))
    page, problems = _page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(f"{hall.server.url}/t/{ticket['status_token']}")
    expect(page.locator("#number")).to_have_text(ticket["number"])
    expect(page.locator("#stops li")).to_have_count(len(ticket["visits"]))
    # The same lines as the slip.
    assert _status_lines(page) == _slip_lines(ticket)
    expect(page.locator("#stops li.current .line")).to_have_text(re.compile(r"^1〜5番窓口: "))
    _screenshot(page, "status-route-waiting-ja")

    _walk_to_back_office(hall, ticket)
    expect(page.locator("#status")).to_have_text("書類を準備しています")
    expect(page.locator("#where")).to_contain_text("お呼びするまで")
    expect(page.locator("#banner")).to_be_hidden()
    expect(page.locator("#facts")).to_be_hidden()
    assert "番窓口へ" not in page.locator("main").inner_text()
    expect(page.locator("#stops li.back-office")).to_have_attribute("data-status", "current")
    expect(page.locator("#stops li").first).to_have_attribute("data-status", "done")
    _screenshot(page, "status-processing-ja")
    page.locator("#language").click()
    expect(page.locator("#status")).to_have_text("We are preparing your documents")
    expect(page.locator("#stops li .line").first).to_contain_text("Counter 1: ")
    _screenshot(page, "status-processing-en")
    assert problems == []


def test_status_page_called_done_and_parked(hall: Hall, browser: Browser) -> None:
    page, problems = _page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    ticket = hall.api("POST", f"/branches/{BRANCH}/tickets", service="certificate")
    page.goto(f"{hall.server.url}/t/{ticket['status_token']}")
    expect(page.locator("#number")).to_have_text(ticket["number"])
    counter = hall.counter("7")
    hall.api("POST", f"/counters/{counter}/open")
    _call_until(hall, counter, ticket["number"])
    expect(page.locator("#banner .banner-window")).to_have_text("7番窓口")
    expect(page.locator("#banner")).to_have_text("7番窓口へお越しください")
    _screenshot(page, "status-called-ja")
    page.locator("#language").click()
    expect(page.locator("#banner")).to_have_text("Please go to counter 7")
    _screenshot(page, "status-called-en")
    page.locator("#language").click()
    hall.api("POST", f"/counters/{counter}/start")
    hall.api("POST", f"/counters/{counter}/complete")
    expect(page.locator("#status")).to_have_text("すべての手続きが終わりました")
    expect(page.locator("#banner")).to_be_hidden()
    expect(page.locator("#facts")).to_be_hidden()
    expect(page.locator("#notify")).to_be_hidden()
    assert page.locator("main").inner_text().count("すべての手続きが終わりました") == 1
    _screenshot(page, "status-done-ja")

    parked = hall.api("POST", f"/branches/{BRANCH}/tickets", **all_yes("birth"))
    page.goto(f"{hall.server.url}/t/{parked['status_token']}")
    window = hall.counter("1")
    hall.api("POST", f"/counters/{window}/open")
    _call_until(hall, window, parked["number"])
    hall.api("POST", f"/counters/{window}/no-show")
    hall.api("POST", f"/counters/{window}/close")
    hall.api("POST", f"/counters/{counter}/close")
    expect(page.locator("#status")).to_contain_text("お越しを確認できませんでした")
    expect(page.locator("#where")).to_contain_text("職員")
    expect(page.locator("#facts")).to_be_hidden()
    _screenshot(page, "status-parked-ja")
    page.locator("#language").click()
    expect(page.locator("#where")).to_contain_text("member of staff")
    _screenshot(page, "status-parked-en")
    assert problems == []


def test_concierge_asks_the_questions_shows_the_qr_and_prints_at_a_kiosk(hall: Hall, browser: Browser) -> None:
    make_staff(hall.server.engine, "concierge-1", Role.municipal, datetime.now(UTC))
    page, problems = _page(browser, {"width": 1280, "height": 800})
    page.goto(f"{hall.server.url}/concierge")
    page.get_by_label("ユーザー名").fill("concierge-1")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.locator("#kind-life-event").check()
    page.locator("#issue-life-event").select_option("death")
    questions = page.locator(".questions .question")
    count = questions.count()
    assert count == len(all_yes("death")["answers"])
    # As at the kiosk: 「75歳以上」 is asked only after 「65歳以上: はい」.
    over_75 = page.locator('.question:has(input[data-question="over_75"])')
    page.locator('input[data-question="over_65"][value="no"]').check()
    expect(over_75).to_be_hidden()
    for index in range(count):
        questions.nth(index).locator('input[value="yes"]').check()
    _screenshot(page, "concierge-questions")
    page.locator("#issue-submit").click()
    expect(page.locator("#issued-number")).to_have_text(re.compile(r"^L\d{3}$"))
    number = page.locator("#issued-number").inner_text()
    ticket = hall.ticket(number)
    # Every visit of an all-yes death: the window work first, never a bare desk route.
    expect(page.locator("#issued-visits li")).to_have_count(len(ticket["visits"]))
    expect(page.locator("#issued-visits li").first).to_contain_text("1〜5番窓口")

    hall.printer.clear()
    page.locator("#print-kiosk").select_option(str(hall.kiosk_id))
    page.locator("#print-at-kiosk").click()
    expect(page.locator("#print-status")).to_have_attribute("data-state", "printed", timeout=30_000)
    (job,) = hall.printer.wait_for_jobs(1, timeout_seconds=5)
    assert job.image is not None
    _screenshot(page, "concierge-printed")

    page.locator("#show-qr").click()
    expect(page.locator("#qr-number")).to_have_text(number)
    wait_until(lambda: page.locator("#qr-code").evaluate("image => image.naturalWidth") > 0)
    _screenshot(page, "concierge-qr-large")
    page.locator("#close-qr").click()
    expect(page.locator("#qr-overlay")).to_have_count(0)
    assert problems == []


def test_the_concierge_finds_a_number_and_brings_back_a_citizen_marked_absent(hall: Hall, browser: Browser) -> None:
    """The visit at the counter on the floor tablet too: the citizen who stepped out is reinstated."""
    make_staff(hall.server.engine, "concierge-2", Role.municipal, datetime.now(UTC))
    missed = hall.api("POST", f"/branches/{BRANCH}/tickets", service="seal_registration")
    window = hall.counter("2")
    hall.api("POST", f"/counters/{window}/open")
    _call_until(hall, window, missed["number"])
    hall.api("POST", f"/counters/{window}/no-show")
    hall.api("POST", f"/counters/{window}/close")

    page, problems = _page(browser, {"width": 1280, "height": 800})
    page.goto(f"{hall.server.url}/concierge")
    page.get_by_label("ユーザー名").fill("concierge-2")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.locator("#lookup-number").fill(missed["number"])
    page.locator("#lookup-submit").click()
    dialog = page.locator("#ticket-dialog")
    expect(dialog.locator("#found-number")).to_have_text(missed["number"])
    expect(dialog.locator("#found-status")).to_contain_text("不在")
    _screenshot(page, "concierge-lookup-absent")
    dialog.locator("#reinstate").click()
    expect(dialog.locator("#found-status")).to_contain_text("お待ち")
    assert hall.ticket(missed["number"])["status"] == "waiting"
    assert problems == []
