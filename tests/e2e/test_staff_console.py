"""The staff console, the back-office desk and the concierge tablet in a real browser, against a
real server process (the Playwright sync API cannot run inside the server's event loop)."""

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.config import PROJECT_ROOT
from tests.e2e.support import run_cli, wrapped_texts
from tests.realtime.live_server import live_server as run_live_server
from tests.realtime.live_server import server_environment

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

OUTPUT = PROJECT_ROOT / "tests" / "output"
BRANCH = "honcho"
PASSWORD = "correct-horse-42"
SOCKET_LIFETIME_SECONDS = 4

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]


@dataclass
class CityHall:
    url: str
    kiosk_token: str
    tokens: dict[str, str]  # username → bearer token

    def api(self, method: str, path: str, *, who: str | None = None, kiosk: bool = False, **body: Any) -> Any:
        token = self.kiosk_token if kiosk else self.tokens[who or "shokuin"]
        response = httpx.request(
            method,
            f"{self.url}/api/v1{path}",
            json=body or None,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def counters(self) -> dict[str, int]:
        return {c["name"]: c["id"] for c in self.api("GET", f"/branches/{BRANCH}/counters")}

    def act(self, counter: str, action: str, *, who: str, **body: Any) -> Any:
        return self.api("POST", f"/counters/{self.counters()[counter]}/{action}", who=who, **body)


@contextmanager
def staffed_city_hall(directory: Path, name: str, **settings: str) -> Iterator[CityHall]:
    """A real server with the demo city hall, a municipal and a contractor account, and a kiosk."""
    environment = server_environment(
        f"sqlite:///{directory / 'madoguchi.db'}", audio_cache_dir=str(directory / "audio"), **settings
    )
    run_cli(environment, "init")
    for username, role in (("shokuin", "municipal"), ("itaku", "contractor")):
        run_cli(environment, "staff", "add", username, "--role", role, "--password", PASSWORD, "--branch", BRANCH)
    kiosk_token = run_cli(environment, "device", "add", "kiosk-1F-entrance", "--kind", "kiosk")
    with run_live_server(environment, directory, name=name) as server:
        tokens = {
            username: httpx.post(
                f"{server.base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
            ).json()["access_token"]
            for username in ("shokuin", "itaku")
        }
        yield CityHall(url=server.base_url, kiosk_token=kiosk_token, tokens=tokens)


@pytest.fixture(scope="module")
def city_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityHall]:
    # Every console socket is recycled this often, so the tests also cover resuming with ?after=.
    settings = {"websocket_max_lifetime_seconds": str(SOCKET_LIFETIME_SECONDS)}
    with staffed_city_hall(tmp_path_factory.mktemp("staff-console"), "staff-console", **settings) as hall:
        yield hall


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 500 or response.status == 404
            else None
        ),
    )
    yield page
    context.close()
    # CSP violations and script errors show up here: a console must run clean.
    assert problems == []


def _screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def test_a_wrong_password_is_told_in_japanese_first_and_the_header_names_the_branch(
    city_hall: CityHall, browser: Browser
) -> None:
    # Its own page: the refused sign-in is a 401 that the browser logs, on purpose here.
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{city_hall.url}/staff")
    page.get_by_label("ユーザー名").fill("shokuin")
    page.get_by_label("パスワード").fill("not-the-password")
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_text("ユーザー名またはパスワードが違います。")).to_be_visible()
    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    expect(page.locator("#who")).to_contain_text("本庁舎")  # the branch's name, not its code
    expect(page.locator("#who")).not_to_contain_text("honcho")
    context.close()


def choose_counter(page: Page, code: str) -> None:
    page.locator(f'.counter-card[data-counter="{code}"]').click()
    page.locator('[data-action="open"]').click()
    expect(page.locator('[data-action="close"]')).to_be_visible()


def test_staff_calls_completes_and_sees_the_ticket_move_on(city_hall: CityHall, page: Page) -> None:
    # A death-registration visit (issued via the API) that has been through intake, review and data
    # entry: its pick-up stop now waits at counters 7–8, and a certificate stop follows it.
    ticket = city_hall.api(
        "POST",
        f"/branches/{BRANCH}/tickets",
        kiosk=True,
        life_event="death",
        answers={"files_death_registration": True, "needs_certificates": True},
    )
    for counter, who in (("1", "itaku"), ("R1", "shokuin"), ("B1", "itaku")):
        city_hall.act(counter, "open", who=who)
        assert city_hall.act(counter, "call-next", who=who)["ticket"]["number"] == ticket["number"]
        city_hall.act(counter, "complete", who=who)

    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    choose_counter(page, "7")
    waiting = page.locator("#waiting-table tbody tr")
    expect(waiting.first).to_have_attribute("data-number", ticket["number"])

    page.locator("body").press("n")  # keyboard: N calls the next ticket
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    # The route as the citizen lives it: counter 1, the back office, then counters 7・8 for both
    # the pick-up and the certificate.
    visits = page.locator("#hand-route > li")
    expect(visits).to_have_count(3)
    expect(visits.nth(2)).to_have_attribute("data-status", "current")
    expect(visits.nth(2)).to_contain_text("呼出中")
    expect(page.locator(".absent-box")).to_be_visible()
    page.locator('[data-action="start"]').click()
    expect(visits.nth(2)).to_contain_text("対応中")
    # Seated: nobody left to call again or miss, and the route moves up in their place.
    expect(page.locator(".absent-box")).to_be_hidden()

    # Live, without a reload: a ticket issued elsewhere appears in the waiting list.
    other = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, service="certificate")
    row = page.locator(f'#waiting-table tr[data-number="{other["number"]}"]')
    expect(row).to_be_visible()
    # The procedure itself, not only the lobby's label (証明書): staff get its forms ready.
    expect(row).to_contain_text("証明書(住民票・戸籍・印鑑・税)")
    _screenshot(page, "staff-console-serving")

    page.locator('[data-action="complete"]').click()
    # One visit per window: counter 7 also issues the certificate, so the citizen stays seated
    # and the clerk goes straight on, without a second call.
    expect(page.locator("#continued")).to_contain_text("続けて: 証明書")
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    expect(page.locator(f'#waiting-table tr[data-number="{ticket["number"]}"]')).to_have_count(0)
    page.locator('[data-action="complete"]').click()
    expect(page.locator("#next-stop")).to_contain_text("すべての手続きが完了しました")
    expect(page.locator("#outcome-number")).to_have_text(ticket["number"])
    expect(page.locator("#current-number")).to_have_count(0)
    _screenshot(page, "staff-console-completed")


def test_back_office_desk_returns_an_item_with_a_reason(city_hall: CityHall, page: Page) -> None:
    ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, life_event="move_in", answers={})
    city_hall.act("2", "open", who="itaku")
    assert city_hall.act("2", "call-next", who="itaku")["ticket"]["number"] == ticket["number"]
    city_hall.act("2", "complete", who="itaku")

    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    page.locator('.counter-card[data-counter="R1"]').click()
    expect(page.locator(".desk")).to_have_attribute("data-internal", "true")
    if page.locator('[data-action="open"]').is_visible():
        page.locator('[data-action="open"]').click()
    expect(page.locator(f'#waiting-table tr[data-number="{ticket["number"]}"]')).to_be_visible()
    expect(page.locator('[data-action="recall"]')).to_have_count(0)  # never called aloud at a desk

    page.locator('[data-action="call-next"]').click()  # 取る: take the next work item
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    page.locator('[data-action="return"]').click()
    dialog = page.locator("#transfer-dialog")
    expect(dialog).to_be_visible()
    # The return goes back to the front service that took the ticket in, unless staff choose.
    expect(dialog.locator("#transfer-service")).to_have_value("moving_in")
    dialog.locator("#return-reason").select_option("missing_document")
    _screenshot(page, "back-office-return-dialog")
    dialog.locator("#transfer-confirm").click()

    expect(page.locator("#outcome")).to_contain_text("書類不足")
    expect(page.locator("#current-number")).to_have_count(0)
    _screenshot(page, "back-office-returned")
    counters = city_hall.counters()
    front = city_hall.api("GET", f"/counters/{counters['2']}/waiting", who="itaku")
    assert [(i["number"], i["returned_reason"]) for i in front] == [(ticket["number"], "missing_document")]


def test_contractor_is_never_offered_a_municipal_only_desk(city_hall: CityHall, page: Page) -> None:
    sign_in(page, f"{city_hall.url}/staff", "itaku")
    reserved = page.locator('.counter-card[data-counter="R1"]')
    expect(reserved).to_have_attribute("aria-disabled", "true")
    expect(reserved).to_contain_text("職員専用")
    expect(reserved).to_be_disabled()
    reserved.click(force=True)
    expect(page.locator(".chooser")).to_be_visible()  # nothing happened
    expect(page.locator('.counter-card[data-counter="B1"]')).not_to_have_attribute("aria-disabled", "true")


def test_concierge_issues_a_priority_ticket_and_hears_kiosk_help_calls(city_hall: CityHall, page: Page) -> None:
    sign_in(page, f"{city_hall.url}/concierge", "itaku")
    certificate_row = page.locator('#queues-table tr[data-service="certificate"] td.waiting')
    before = int(certificate_row.inner_text())

    page.locator("#issue-service").select_option("certificate")
    page.locator("#issue-needs-priority").check()
    page.locator("#issue-priority").select_option("pregnant")
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/tickets")) as sent:
        page.locator("#issue-submit").click()
    assert re.fullmatch(r"[0-9a-f]{32}", sent.value.headers["idempotency-key"])  # a retry would get this ticket

    number = page.locator("#issued-number")
    expect(number).to_have_text(re.compile(r"^C\d{3}$"))
    expect(page.locator("#issued-priority")).to_contain_text("妊娠中の方")
    expect(certificate_row).to_have_text(str(before + 1))  # refreshed by the event, not by polling
    issued = number.inner_text()
    listed = city_hall.api("GET", f"/counters/{city_hall.counters()['8']}/waiting", who="shokuin")
    assert next(item for item in listed if item["number"] == issued)["priority"] is True

    httpx.post(
        f"{city_hall.url}/api/v1/devices/help",
        json={"language": "en"},
        headers={"Authorization": f"Bearer {city_hall.kiosk_token}"},
        timeout=10,
    ).raise_for_status()
    alert = page.locator('.alert[data-kind="help"]')
    expect(alert).to_contain_text("kiosk-1F-entrance")
    expect(alert).to_contain_text("English")
    _screenshot(page, "concierge-priority-and-help")
    alert.get_by_role("button", name="対応しました").click()
    expect(alert).to_have_count(0)


def test_console_catches_up_after_its_socket_is_recycled(city_hall: CityHall, page: Page) -> None:
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    page.locator('.counter-card[data-counter="8"]').click()
    expect(page.locator(".desk")).to_be_visible()

    # Outlive the socket's lifetime: the server closes it, the page reconnects with ?after=<last id>.
    page.wait_for_timeout((SOCKET_LIFETIME_SECONDS + 1) * 1000)
    ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, service="certificate")

    expect(page.locator(f'#waiting-table tr[data-number="{ticket["number"]}"]')).to_be_visible()
    assert len(sockets) >= 2
    assert "after=" in sockets[-1]
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")


def test_action_labels_wrap_between_phrases_on_a_small_screen(city_hall: CityHall, page: Page) -> None:
    """At 1024×768 「バックオフィスへ送る」 ended its first line at 送 and left る alone."""
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    choose_counter(page, "3")
    expect(page.locator('[data-action="back-office"]')).to_be_visible()
    wrapped, orphaned = wrapped_texts(page.locator('[data-action] > span[lang="ja"]').all())
    assert wrapped, "a label long enough to wrap at this size"
    assert orphaned == []
    page.locator('[data-action="close"]').click()
