"""The admin console's 外部連携 / Hand-off tab in Debian's chromium: add a webhook receiver (its
secret shown once), rotate its key, see a delivery that failed and send it again, export visits."""

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
from tests.realtime.live_server import LiveServer, free_port, live_server, server_environment
from tests.server.webhooks.receiver import Receiver
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
    directory = tmp_path_factory.mktemp("admin-hand-off")
    environment = server_environment(
        f"sqlite:///{directory / 'madoguchi.db'}",
        outbox_poll_seconds="0.1",
        outbox_max_attempts="1",
        announcement_prefetch="false",
    )
    run_cli(environment, "init")
    run_cli(environment, "staff", "add", "admin", "--role", "admin", "--password", PASSWORD, "--branch", BRANCH)
    with live_server(environment, directory, name="admin-hand-off") as running:
        yield running


def shoot(page: Page, name: str) -> None:
    for folder in filter(None, [OUTPUT, os.environ.get("MADOGUCHI_SHOTS")]):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.base_url}/admin")
    page.fill("#signin-username", "admin")
    page.fill("#signin-password", PASSWORD)
    page.click("form.signin button[type=submit]")
    page.click("[data-tab='hand-off']")
    expect(page.locator("#panel[data-panel='hand-off']")).to_be_visible()


def test_an_admin_adds_a_receiver_rotates_its_key_and_sends_a_failed_delivery_again(
    browser: Browser, server: LiveServer
) -> None:
    receiver = Receiver(port=free_port(), status=503).start()
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP", accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, server)
        expect(page.locator("#panel")).to_contain_text("受信先はまだありません")

        page.get_by_label("名称").fill("基幹系システム")
        page.get_by_label("送信先 URL").fill(receiver.url)
        page.get_by_role("button", name="受信先を追加").click()
        expect(page.locator(".message.success", has_text="受信先を追加しました")).to_be_visible()
        secret = page.locator("#new-webhook-secret").inner_text()
        assert len(secret) >= 32
        row = page.locator("tr[data-receiver]")
        expect(row).to_contain_text("基幹系システム")
        first_key = row.locator("li[data-key]").first.get_attribute("data-key")

        # A ticket's webhook fails once (the receiver answers 503) and, with one attempt allowed, is dead.
        token = httpx.post(
            f"{server.base_url}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=10
        ).json()["access_token"]
        issued = httpx.post(
            f"{server.base_url}/api/v1/branches/{BRANCH}/tickets",
            json={"service": "certificate"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert issued.status_code == 201, issued.text
        deadline = time.monotonic() + 10
        while True:
            page.click("[data-tab='audit']")
            page.click("[data-tab='hand-off']")
            if page.locator("tr[data-delivery]").count() or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        dead = page.locator("tr[data-delivery]")
        expect(dead).to_contain_text(issued.json()["number"])
        expect(dead).to_contain_text("発券")
        expect(page.locator("#new-webhook-secret")).to_have_count(0)  # shown once only
        shoot(page, "admin-hand-off.png")

        delivery_id = dead.get_attribute("data-delivery")
        receiver.status = 200
        dead.get_by_role("button", name="再送").click()
        expect(page.locator(".message.success", has_text="再送します")).to_be_visible()
        deadline = time.monotonic() + 10
        while not receiver.snapshot() and time.monotonic() < deadline:
            time.sleep(0.1)
        (delivered,) = receiver.snapshot()
        assert delivered.delivery_id == delivery_id  # the same id as the failed attempt
        assert delivered.key_id == first_key

        # Rotation: a second key (its secret shown once), then sign with it, then remove the first.
        page.get_by_role("button", name="鍵を追加").click()
        expect(page.locator(".message.success", has_text="新しい鍵を追加しました")).to_be_visible()
        expect(page.locator("#new-webhook-secret")).to_be_visible()
        second = page.locator("tr[data-receiver] li[data-key]").nth(1)
        second.get_by_role("button", name="この鍵で署名").click()
        expect(page.locator(".message.success", has_text="で署名します")).to_be_visible()
        page.on("dialog", lambda dialog: dialog.accept())
        page.locator(f"tr[data-receiver] li[data-key='{first_key}']").get_by_role("button", name="削除").click()
        expect(page.locator(f"tr[data-receiver] li[data-key='{first_key}']")).to_have_count(0)

        # Visits export: a CSV download of today's visits.
        with page.expect_download() as download:
            page.locator("#visits-export").get_by_role("button", name="書き出す").click()
        saved = Path(download.value.path())
        text = saved.read_bytes().decode("utf-8-sig")
        assert text.splitlines()[0].startswith("number,business_day")
        assert issued.json()["number"] in text

        page.set_viewport_size({"width": 390, "height": 844})
        shoot(page, "admin-hand-off-phone.png")
        context.close()
        assert errors == [], errors
    finally:
        receiver.stop()
