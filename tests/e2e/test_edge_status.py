"""A citizen's phone on the public edge: the status page and the congestion page in Debian's
chromium, served by a real edge process from what a real city-hall server pushes to it."""

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import BRANCH
from tests.edge.support import EDGE_KEY, LinkedHall, call_ticket, finish_current, linked_hall

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

SHOTS = Path(os.environ.get("MADOGUCHI_SHOTS_DIR", "/tmp/shots/edge"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinkedHall]:
    with linked_hall(
        tmp_path_factory.mktemp("edge-e2e"), "--key", EDGE_KEY, remote_queueing=f"{BRANCH}:certificate=5"
    ) as linked:
        linked.wait_linked()
        yield linked


def shoot(page: "playwright_sync.Page", name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_call_shows_on_the_edge_status_page_within_a_second(hall: LinkedHall, browser: Browser) -> None:
    ticket = hall.issue()
    assert str(ticket["status_url"]).startswith(hall.edge.base_url)
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(str(ticket["status_url"]))
        expect(page.locator("#number")).to_have_text(str(ticket["number"]), timeout=10000)
        expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        shoot(page, f"status-waiting-{size}")
        context.close()

    page = browser.new_page(viewport=PHONE)
    page.goto(str(ticket["status_url"]))
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    call_ticket(hall, str(ticket["number"]))
    called_at = time.monotonic()
    # The contract: on the phone within 1 s of the call's answer (bench/edge_latency.py measures it).
    expect(page.locator("#banner.called")).to_be_visible(timeout=1000)
    assert time.monotonic() - called_at < 1.0
    expect(page.locator("#banner")).to_contain_text("1番窓口")
    shoot(page, "status-called-phone")

    page.close()
    finish_current(hall)


def test_congestion_page_takes_a_number_from_the_phone(hall: LinkedHall, browser: Browser) -> None:
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{hall.edge.base_url}/queues/{BRANCH}")
        expect(page.locator("#rows tr").first).to_be_visible(timeout=10000)
        text = page.locator("#rows").inner_text()
        assert "離婚" not in text
        assert "死亡" not in text
        labels = page.locator("#rows .label").all_inner_texts()
        assert len(labels) == len(set(labels)), f"one row per public label: {labels}"
        shoot(page, f"queues-{size}")
        page.close()
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{hall.edge.base_url}/queues/{BRANCH}")
    page.locator("button.take").first.click()
    page.wait_for_url(f"{hall.edge.base_url}/t/*", timeout=10000)
    expect(page.locator("#number")).to_have_text(number_at_the_edge(page), timeout=10000)
    shoot(page, "remote-ticket-phone")
    page.close()
    assert httpx.get(f"{hall.edge.base_url}/api/v1/branches/{BRANCH}/queues", timeout=5).status_code == 200


def number_at_the_edge(page: "playwright_sync.Page") -> str:
    token = page.url.rsplit("/", 1)[1]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = httpx.get(page.url.replace(f"/t/{token}", f"/api/v1/tickets/{token}"), timeout=5)
        if response.status_code == 200:
            return str(response.json()["number"])
        time.sleep(0.1)
    raise AssertionError("the remote ticket never reached the edge")


def test_the_page_says_updating_paused_when_the_city_hall_is_gone(hall: LinkedHall, browser: Browser) -> None:
    ticket = hall.issue()
    page = browser.new_page(viewport=PHONE)
    page.goto(str(ticket["status_url"]))
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    hall.server.process.terminate()  # the city hall's server stops: its link closes
    hall.server.process.wait(timeout=30)
    expect(page.locator("#connection")).to_have_attribute("data-state", "paused", timeout=10000)
    expect(page.locator("#number")).to_have_text(str(ticket["number"]))  # what it knew stays shown
    expect(page.locator("#connection")).to_contain_text("更新を一時停止しています")
    shoot(page, "status-paused-phone")
    page.close()
