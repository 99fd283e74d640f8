"""The admin console's devices tab names each lobby board live, silent or never connected (not
「不明」), in Chromium (SQLite run only, like every browser test)."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.e2e.support import run_cli
from tests.realtime.live_server import live_server, server_environment
from tests.support import BRANCH

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-42"
SHOTS = Path("/tmp/shots/ops")


def test_the_devices_tab_shows_each_board_live_silent_or_never_connected(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    database = tmp_path / "madoguchi.db"
    environment = server_environment(f"sqlite:///{database}", audio_cache_dir=str(tmp_path / "audio"))
    run_cli(environment, "init")
    run_cli(environment, "staff", "add", "admin", "--role", "admin", "--password", PASSWORD, "--branch", BRANCH)
    tokens = {name: run_cli(environment, "device", "add", name, "--kind", "display") for name in ("1F", "2F", "3F")}
    with live_server(environment, tmp_path, name="liveness") as server:
        events = f"{server.ws_url}/api/v1/branches/{BRANCH}/events?token="
        with connect(events + tokens["2F"]) as gone:
            gone.recv(timeout=10)
        # 2F was switched off five minutes ago.
        five_minutes_ago = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S.%f")
        with sqlite3.connect(database) as db:
            db.execute("UPDATE device SET last_seen_at = ? WHERE name = '2F'", (five_minutes_ago,))
        with connect(events + tokens["1F"]) as live:
            live.recv(timeout=10)
            for width, height, size in ((1280, 900, "desktop"),):  # the console's phone layout: its own tests
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto(f"{server.base_url}/admin")
                page.fill("#signin-username", "admin")
                page.fill("#signin-password", PASSWORD)
                page.click("form.signin button[type=submit]")
                page.get_by_role("tab", name="端末").click()
                rows = {name: page.locator("tr", has_text=f"{name}") for name in tokens}
                expect(rows["1F"].locator(".badge")).to_have_text("接続中 Live")
                expect(rows["1F"].locator(".badge")).to_have_attribute("data-level", "ok")
                expect(rows["2F"].locator(".badge")).to_have_text("応答なし Silent")
                expect(rows["2F"].locator(".badge")).to_have_attribute("data-level", "fault")
                expect(rows["3F"].locator(".badge")).to_have_text("未接続 Never connected")
                assert "不明" not in page.locator("table").inner_text()
                page.screenshot(path=str(SHOTS / f"admin-boards-{size}.png"), full_page=True)
                context.close()
