"""The lobby board and a ticket's status page in Debian's chromium, against a real server process."""

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from server.config import PROJECT_ROOT
from tests.e2e.support import BRANCH, hall_with_board
from tests.realtime.live_server import LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]

OUTPUT = PROJECT_ROOT / "tests" / "output"
# Stand-ins for the phone's buzzer and notifications, so the test can see them being used.
PHONE_STUBS = """
window.vibrations = [];
navigator.vibrate = (pattern) => { window.vibrations.push(pattern); return true; };
"""


@dataclass
class CityHall:
    server: LiveServer
    display_token: str
    kiosk_token: str
    staff_token: str

    def api(self, method: str, path: str, *, kiosk: bool = False, **body: Any) -> Any:
        token = self.kiosk_token if kiosk else self.staff_token
        response = httpx.request(
            method,
            f"{self.server.base_url}/api/v1{path}",
            json=body or None,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def issue(self, **body: Any) -> dict[str, Any]:
        ticket: dict[str, Any] = self.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, **body)
        return ticket

    def act(self, counter: str, action: str) -> Any:
        counters = {c["name"]: c["id"] for c in self.api("GET", f"/branches/{BRANCH}/counters")}
        return self.api("POST", f"/counters/{counters[counter]}/{action}")

    def serve_next(self, counter: str) -> dict[str, Any]:
        """Open a counter (if needed), call the next ticket and complete it."""
        self.act(counter, "open")
        ticket: dict[str, Any] = self.act(counter, "call-next")["ticket"]
        self.act(counter, "complete")
        return ticket

    def board_url(self, query: str = "") -> str:
        return f"{self.server.base_url}/display/{BRANCH}?token={self.display_token}{query}"


@pytest.fixture(scope="module")
def city_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityHall]:
    with hall_with_board(tmp_path_factory.mktemp("e2e-board"), "e2e") as hall:
        yield CityHall(hall.server, hall.display_token, hall.kiosk_token, hall.staff_token)


def _watched(page: Page) -> list[str]:
    """Collects script errors and failed requests: a page must run clean (CSP included)."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    return problems


@pytest.fixture
def board_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP")
    page = context.new_page()
    problems = _watched(page)
    yield page, problems
    context.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    context.add_init_script(PHONE_STUBS)
    page = context.new_page()
    problems = _watched(page)
    yield page, problems
    context.close()


def _screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"))


def test_the_board_shows_a_call_with_its_counter_and_plays_its_announcement(
    city_hall: CityHall, board_page: tuple[Page, list[str]]
) -> None:
    page, problems = board_page
    page.goto(city_hall.board_url("&lang=ja,en"))  # English under the Japanese, not rotating
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#branch-ja")).to_have_text("サンプル市役所 本庁舎")

    ticket = city_hall.issue(service="certificate")
    expect(page.locator('#waiting li[data-label="証明書"] .count')).to_contain_text("1人")
    city_hall.act("7", "open")
    called = city_hall.act("7", "call-next")["ticket"]
    assert called["number"] == ticket["number"]

    card = page.locator('#now-calling .card[data-counter="7"]')
    expect(card.locator(".number")).to_have_text(ticket["number"])
    expect(card.locator(".counter")).to_contain_text("7番窓口")
    expect(card.locator(".counter")).to_contain_text("Counter 7")
    expect(card).to_have_class(re.compile(r"\bcalled\b"))
    expect(page.locator("#edge-flash")).to_have_js_property("hidden", False)  # the call flash
    expect(page.locator('#waiting li[data-label="証明書"] .count')).to_contain_text("0人")
    # The announcement was fetched and played (chromium runs without a gesture requirement here).
    expect(page.locator("body")).to_have_attribute("data-announcements-played", "1", timeout=30_000)
    played = page.evaluate("window.madoguchiBoard.audio.played[0]")
    assert re.fullmatch(r"/api/v1/announcements/\d+\.wav", played)
    assert httpx.get(city_hall.server.base_url + played, timeout=30).content[:4] == b"RIFF"
    _screenshot(page, "board-called")

    city_hall.act("7", "start")
    expect(card).to_have_class("card serving")
    city_hall.act("7", "complete")
    expect(card).to_have_count(0)
    expect(page.locator("#recent li .number").first).to_have_text(ticket["number"])
    city_hall.act("7", "close")
    assert problems == []


def test_the_board_guides_a_routed_ticket_to_its_next_counter(
    city_hall: CityHall, board_page: tuple[Page, list[str]]
) -> None:
    page, problems = board_page
    page.goto(city_hall.board_url("&lang=ja,en"))
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")

    # A move-in with a My Number Card: intake, review, data entry (back office), then counter 9.
    ticket = city_hall.issue(life_event="move_in", answers={"has_mynumber_card": True})
    for counter in ("1", "R1", "B1"):
        assert city_hall.serve_next(counter)["number"] == ticket["number"]
    for counter in ("1", "R1", "B1"):
        city_hall.act(counter, "close")

    row = page.locator(f'#guidance li[data-number="{ticket["number"]}"]')
    expect(row).to_contain_text(f"{ticket['number']} → 9番窓口付近でお待ちください")
    expect(row).to_contain_text("please wait near counter 9")
    # Not also in the "called" list, which would send the citizen back to window 1.
    expect(page.locator("#recent li .number").filter(has_text=ticket["number"])).to_have_count(0)
    _screenshot(page, "board-guidance")
    assert problems == []


def test_a_board_limited_to_some_counters_ignores_the_others(
    city_hall: CityHall, board_page: tuple[Page, list[str]]
) -> None:
    page, problems = board_page
    page.goto(city_hall.board_url("&counters=10,11&lang=en"))
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    city_hall.issue(service="certificate")
    city_hall.act("8", "open")
    city_hall.act("8", "call-next")
    city_hall.issue(service="nhi_enroll")
    city_hall.act("10", "open")
    called = city_hall.act("10", "call-next")["ticket"]
    expect(page.locator('#now-calling .card[data-counter="10"] .number')).to_have_text(called["number"])
    expect(page.locator('#now-calling .card[data-counter="8"]')).to_have_count(0)
    expect(page.locator('#now-calling .card[data-counter="10"] .counter')).to_have_text("Counter 10")
    for counter in ("8", "10"):
        city_hall.act(counter, "complete")
        city_hall.act(counter, "close")
    assert problems == []


def test_the_status_page_follows_the_ticket_and_alerts_when_called(
    city_hall: CityHall, phone_page: tuple[Page, list[str]]
) -> None:
    page, problems = phone_page
    first = city_hall.issue(service="child_medical")
    second = city_hall.issue(service="child_medical")
    page.goto(f"{city_hall.server.base_url}/t/{second['status_token']}")
    expect(page.locator("#number")).to_have_text(second["number"])
    expect(page.locator("#status")).to_have_text("お待ちください")
    expect(page.locator("#ahead")).to_have_text("1人")
    expect(page.locator("#where")).to_have_text("12・14番窓口付近でお待ちください")
    # One person ahead is within "soon": the banner shows and the phone buzzes once.
    expect(page.locator("#banner")).to_contain_text("まもなくお呼びします")
    _screenshot(page, "status-waiting")

    city_hall.act("12", "open")
    assert city_hall.act("12", "call-next")["ticket"]["number"] == first["number"]
    expect(page.locator("#ahead")).to_have_text("0人", timeout=10_000)
    city_hall.act("12", "complete")
    assert city_hall.act("12", "call-next")["ticket"]["number"] == second["number"]

    expect(page.locator("#status")).to_have_text("お呼びしています")
    expect(page.locator("#banner")).to_have_text("12番窓口へお越しください")
    expect(page.locator("#stops li.current")).to_contain_text("12番")
    vibrations = page.evaluate("window.vibrations")
    assert len(vibrations) >= 2
    assert len(vibrations[-1]) > 1
    _screenshot(page, "status-called")

    page.locator("#language").click()
    expect(page.locator("#banner")).to_have_text("Please go to counter 12")
    expect(page.locator("#status")).to_have_text("You are being called")
    city_hall.act("12", "complete")
    expect(page.locator("#status")).to_have_text("All procedures are finished")
    city_hall.act("12", "close")
    assert problems == []


def test_the_status_page_of_an_unknown_ticket_says_so(city_hall: CityHall, phone_page: tuple[Page, list[str]]) -> None:
    page, _ = phone_page
    page.goto(f"{city_hall.server.base_url}/t/not-a-real-token")
    expect(page.locator("#gone")).to_contain_text("この番号札は見つかりません")


def test_the_status_page_takes_an_address_for_the_email_notice(
    city_hall: CityHall, phone_page: tuple[Page, list[str]]
) -> None:
    page, problems = phone_page
    ticket = city_hall.issue(service="certificate", language="vi")
    page.goto(f"{city_hall.server.base_url}/t/{ticket['status_token']}")
    notice = page.locator("#email-notice")
    expect(notice.locator("h2")).to_have_text("Thông báo qua e-mail")  # the ticket's language
    expect(notice.locator("#email-notice-text")).to_contain_text("còn 3 người phía trước")

    page.fill("#email-notice-address", "hanako")
    page.click("#email-notice-submit")
    expect(notice.locator("#email-notice-result")).to_have_text(
        "Vui lòng kiểm tra địa chỉ e-mail (ví dụ: name@example.jp)."
    )
    page.fill("#email-notice-address", "hanako@example.jp")
    page.click("#email-notice-submit")
    expect(notice.locator("#email-notice-result")).to_have_text("Chúng tôi sẽ gửi thông báo tới h***@example.jp.")
    notice.scroll_into_view_if_needed()
    _screenshot(page, "status-email-notice-vi")

    page.select_option("#language-choice", "ja")
    expect(notice.locator("h2")).to_have_text("メールでお知らせ")
    expect(notice.locator("#email-notice-result")).to_have_text("h***@example.jp にお知らせします。")
    page.click("#email-notice-stop")
    expect(notice.locator("#email-notice-result")).to_have_text(
        "お知らせを取り消しました。メールアドレスは削除しました。"
    )
    assert problems == []
