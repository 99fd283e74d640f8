"""The admin console in Debian's chromium against a real server process: an admin adds a service to
a life event's route and the next ticket follows it; refusals are explained in both languages;
a kiosk's printer fault shows up live. Screenshots are saved under tests/output/."""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.config import PROJECT_ROOT
from tests.e2e.support import run_cli
from tests.realtime.live_server import LiveServer, live_server, server_environment

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = PROJECT_ROOT / "tests" / "output"
BRANCH = "honcho"
PASSWORD = "correct-horse-42"


@dataclass
class CityHall:
    server: LiveServer

    def request(self, method: str, path: str, token: str, **body: Any) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.server.base_url}/api/v1{path}",
            json=body or None,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    def login(self, username: str) -> str:
        response = httpx.post(
            f"{self.server.base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


@pytest.fixture(scope="module")
def city_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityHall]:
    directory = tmp_path_factory.mktemp("admin-console")
    environment = server_environment(f"sqlite:///{directory / 'madoguchi.db'}")
    run_cli(environment, "init")
    run_cli(environment, "staff", "add", "admin", "--role", "admin", "--password", PASSWORD, "--branch", BRANCH)
    run_cli(environment, "staff", "add", "shokuin", "--role", "municipal", "--password", PASSWORD, "--branch", BRANCH)
    with live_server(environment, directory, name="admin-console") as server:
        yield CityHall(server)


@pytest.fixture
def page(browser: Browser, city_hall: CityHall) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{city_hall.server.base_url}/admin")
    page.fill("#signin-username", "admin")
    page.fill("#signin-password", PASSWORD)
    page.click("form.signin button[type=submit]")
    expect(page.get_by_role("tab", name="サービス")).to_have_attribute("aria-selected", "true")
    yield page
    context.close()
    assert errors == [], errors


def _shot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / name), full_page=True)


def test_an_admin_adds_a_stop_to_a_route_and_the_next_ticket_has_it(page: Page, city_hall: CityHall) -> None:
    staff = city_hall.login("shokuin")
    before = city_hall.request(
        "POST", f"/branches/{BRANCH}/tickets", staff, life_event="household_change", answers={}
    ).json()
    assert [stop["service"] for stop in before["stops"]] == ["household_change", "civil_review", "civil_entry"]

    page.get_by_role("tab", name="ライフイベント").click()
    page.get_by_label("編集するライフイベント").select_option("household_change")
    route = page.get_by_role("list", name="経路 Route")
    expect(route.locator(":scope > li")).to_have_count(5)  # two of them only when a question is yes
    page.get_by_label("追加するサービス").select_option("certificate")
    page.get_by_label("位置").select_option(label="3. 入力・作成 の前 / before #3")
    page.click("#add-stop")
    expect(route.locator(":scope > li").nth(2)).to_have_attribute("data-stop", "certificate")
    expect(page.get_by_text("未保存の変更があります。")).to_be_visible()
    _shot(page, "admin-route-edited.png")

    page.get_by_role("button", name="ライフイベントを保存").click()
    expect(page.locator(".message.success")).to_contain_text("ライフイベントを保存しました")
    expect(route.locator(":scope > li").nth(2)).to_have_attribute("data-stop", "certificate")
    expect(page.get_by_text("未保存の変更があります。")).to_be_hidden()
    _shot(page, "admin-route-saved.png")

    after = city_hall.request(
        "POST", f"/branches/{BRANCH}/tickets", staff, life_event="household_change", answers={}
    ).json()
    assert [stop["service"] for stop in after["stops"]] == [
        "household_change",
        "civil_review",
        "certificate",
        "civil_entry",
    ]
    # What the editor does not show is kept: the any-order group of the related procedures.
    saved = city_hall.request("GET", f"/admin/branches/{BRANCH}/life-events", city_hall.login("admin")).json()
    household = next(event for event in saved if event["id"] == "household_change")
    assert {stop["service"]: stop["group"] for stop in household["stops"]}["nhi_change"] == "related"
    page.get_by_role("tab", name="監査ログ").click()
    first = page.locator("tr[data-audit]").first
    expect(first).to_contain_text("life_event.update")
    expect(first).to_contain_text("life_event:household_change")


def test_a_refused_change_is_explained_in_japanese_and_english(page: Page, city_hall: CityHall) -> None:
    page.get_by_role("tab", name="受付時間・締切").click()
    row = page.locator("tr[data-cutoff=certificate]")
    row.locator("input[type=time]").fill("08:00")
    row.get_by_role("button", name="保存").click()
    alert = page.locator(".form-errors:not([hidden])")
    expect(alert).to_contain_text("保存できませんでした。変更は反映されていません。")
    expect(alert).to_contain_text("発券締切 08:00 は開庁 08:30 より後、閉庁 17:15 までにしてください")
    expect(alert).to_contain_text("issue cut-off 08:00 must be after opening 08:30 and by closing 17:15")
    _shot(page, "admin-refused-cutoff.png")
    exported = city_hall.request("GET", f"/admin/branches/{BRANCH}/config?format=yaml", city_hall.login("admin")).text
    assert "issue_cutoff: 08:00" not in exported


def test_a_new_kiosk_token_is_shown_once_and_its_printer_fault_shows_live(page: Page, city_hall: CityHall) -> None:
    page.get_by_role("tab", name="端末").click()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    page.get_by_label("端末名").fill("1F 発券機")
    page.get_by_role("button", name="端末を登録").click()
    token = page.locator("#new-device-token").inner_text().strip()
    assert len(token) > 30
    row = page.locator("tr", has_text="1F 発券機")
    expect(row.locator(".badge")).to_have_attribute("data-level", "unknown")

    reported = city_hall.request("POST", "/devices/health", token, printer="paper_out")
    assert reported.status_code == 200, reported.text
    expect(row.locator(".badge")).to_have_attribute("data-level", "fault", timeout=10_000)
    expect(row).to_contain_text("用紙切れ")
    city_hall.request("POST", "/devices/health", token, printer="paper_near_end")
    expect(row.locator(".badge")).to_have_attribute("data-level", "warning", timeout=10_000)
    _shot(page, "admin-devices.png")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="失効").click()
    expect(row).to_contain_text("失効 Revoked")
    assert city_hall.request("POST", "/devices/health", token, printer="ok").status_code == 401


def test_yaml_export_downloads_the_configuration(page: Page, tmp_path: Path) -> None:
    page.get_by_role("tab", name="設定ファイル").click()
    with page.expect_download() as download:
        page.click("#export-yaml")
    saved = tmp_path / "exported.yaml"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "branch:" in text
    assert "サンプル市役所 本庁舎" in text
    _shot(page, "admin-config.png")


TABS = ["services", "counters", "life-events", "priority", "hours", "issuing", "devices", "staff", "audit", "config"]


def test_every_tab_renders_and_the_keyboard_moves_between_tabs(page: Page) -> None:
    for tab in TABS:
        page.click(f"[data-tab='{tab}']")
        expect(page.locator(f"#panel[data-panel='{tab}']")).to_be_visible()
        expect(page.get_by_text("読み込めませんでした")).to_have_count(0)
        _shot(page, f"admin-tab-{tab}.png")
    page.click("[data-tab='services']")
    page.focus("[data-tab='services']")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#panel[data-panel='counters']")).to_be_visible()
    expect(page.locator("[data-tab='counters']")).to_be_focused()
    page.locator("tr[data-counter='7']").get_by_role("button", name="編集").click()
    services = page.get_by_role("list", name="受け持つサービス（優先順） Services, in order of preference")
    expect(services.locator(":scope > li").first).to_contain_text("pickup")
    services.get_by_role("button", name="下へ Move down: お渡し").click()
    expect(services.locator(":scope > li").first).to_contain_text("certificate")
    _shot(page, "admin-counter-edit.png")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".message.success")).to_contain_text("保存しました")
    expect(page.locator("tr[data-counter='7']")).to_contain_text("証明書(住民票・戸籍・印鑑・税)、お渡し")
