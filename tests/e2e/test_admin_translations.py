"""The admin console's 翻訳 / Translations tab in Debian's chromium: a language's words beside the
Japanese and English, a blank is counted as missing, a save reaches the kiosk's menu."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.config import PROJECT_ROOT
from tests.e2e.support import run_cli
from tests.realtime.live_server import LiveServer, live_server, server_environment
from tests.support import BRANCH, PASSWORD

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = PROJECT_ROOT / "tests" / "output"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("admin-translations")
    environment = server_environment(f"sqlite:///{directory / 'madoguchi.db'}")
    run_cli(environment, "init")
    run_cli(environment, "staff", "add", "admin", "--role", "admin", "--password", PASSWORD, "--branch", BRANCH)
    with live_server(environment, directory, name="admin-translations") as running:
        yield running


def test_an_admin_edits_a_name_in_vietnamese(browser: Browser, server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.base_url}/admin")
    page.fill("#signin-username", "admin")
    page.fill("#signin-password", PASSWORD)
    page.click("form.signin button[type=submit]")
    page.click("[data-tab='translations']")
    expect(page.locator("#panel[data-panel='translations']")).to_be_visible()
    expect(page.get_by_label("言語")).to_have_value("vi")  # the default: no redraw to race with
    row = page.locator("tr[data-translation='life_events.birth.name']")
    expect(row).to_contain_text("出生")
    expect(row).to_contain_text("Birth")
    expect(row.locator("input")).to_have_value("Sinh con")
    expect(page.locator(".translation-missing")).to_have_attribute("data-missing", "0")
    row.locator("input").fill("Khi em bé chào đời")
    page.locator("tr[data-translation='questions.over_65'] input").fill("")
    expect(row.locator("input")).to_have_value("Khi em bé chào đời")
    expect(page.locator("tr[data-translation='questions.over_65'] input")).to_have_value("")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".message.success")).to_contain_text("翻訳を保存しました")
    expect(page.locator(".translation-missing")).to_have_attribute("data-missing", "1")
    for folder in filter(None, [OUTPUT, os.environ.get("MADOGUCHI_SHOTS")]):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / "admin-translations-vi.png"))
    # The kiosk's menu has it once the change has gone round the event bus (well within 5 s).
    deadline = time.monotonic() + 5
    while True:
        menu = httpx.get(f"{server.base_url}/api/v1/branches/{BRANCH}/menu?lang=vi", timeout=10).json()
        birth = next(event for event in menu["life_events"] if event["id"] == "birth")
        if birth["name"] != "Sinh con" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert (birth["name"], birth["name_lang"]) == ("Khi em bé chào đời", "vi")
    page.get_by_label("言語").select_option("ja_easy")
    expect(page.locator("tr[data-translation='life_events.birth.name'] input")).to_have_value(
        "{子|こ}どもが {生|う}まれた"
    )
    context.close()
    assert errors == [], errors
