"""The lobby's voice keeps up with its board on a busy morning (issue 16): Debian's chromium plays
the real announcements of a real server while a counter calls every 3 s for a minute."""

import shutil
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.support import BRANCH, HallWithBoard, hall_with_board
from tests.realtime.live_server import LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]

CALL_EVERY_SECONDS = 3.0
CALLS = 20  # a minute of calls; one full announcement (Japanese and English, twice) lasts far longer


@pytest.fixture(scope="module")
def city_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HallWithBoard]:
    with hall_with_board(tmp_path_factory.mktemp("e2e-voice"), "voice") as hall:
        yield hall


def _post(server: LiveServer, path: str, headers: dict[str, str], **body: Any) -> Any:
    response = httpx.post(f"{server.base_url}/api/v1{path}", json=body or None, headers=headers, timeout=30)
    assert response.is_success, f"{path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def test_the_spoken_call_is_never_more_than_one_call_behind_the_board(
    city_hall: HallWithBoard, browser: Browser
) -> None:
    server, display_token = city_hall.server, city_hall.display_token
    staff = {"Authorization": f"Bearer {city_hall.staff_token}"}
    kiosk = {"Authorization": f"Bearer {city_hall.kiosk_token}"}
    for _ in range(CALLS):
        _post(server, f"/branches/{BRANCH}/tickets", kiosk, service="certificate")
    counters = httpx.get(f"{server.base_url}/api/v1/branches/{BRANCH}/counters", timeout=10).json()
    window = next(counter["id"] for counter in counters if counter["name"] == "7")
    _post(server, f"/counters/{window}/open", staff)

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    try:
        page.goto(f"{server.base_url}/display/{BRANCH}?token={display_token}")
        expect(page.locator("#connection")).to_have_attribute("data-state", "live")

        called: list[str] = []
        started = time.monotonic()
        for index in range(CALLS):
            time.sleep(max(0.0, started + index * CALL_EVERY_SECONDS - time.monotonic()))
            if called:
                _post(server, f"/counters/{window}/complete", staff)
            called.append(_post(server, f"/counters/{window}/call-next", staff)["ticket"]["number"])
        # The latest call is said, soon after the last call (briefly: it had to wait).
        page.wait_for_function(
            "number => window.madoguchiBoard.audio.starts.some(start => start.number === number)",
            arg=called[-1],
            timeout=30_000,
        )
        audio = page.evaluate(
            "({arrivals, starts, cut, skipped} = window.madoguchiBoard.audio, {arrivals, starts, cut, skipped})"
        )
    finally:
        context.close()

    arrived = [arrival["number"] for arrival in audio["arrivals"]]
    assert arrived == called, "every call reached the board's voice, in order"
    for index, arrival in enumerate(audio["arrivals"]):
        saying = arrival["saying"]
        # Once a call is on the board, the voice says it or the call just before it.
        assert saying is None or arrived.index(saying) >= index - 1, (
            f"when {arrival['number']} came, the voice was still saying {saying}: {audio}"
        )
    spoken = [start["number"] for start in audio["starts"]]
    # (On a slow machine even the first call may be overtaken before its sound arrives.)
    assert any(start["brief"] for start in audio["starts"]), "calls that waited are said briefly"
    assert spoken == sorted(set(spoken), key=called.index), "never said twice, never out of order"
    assert problems == []


def test_a_brief_announcement_is_the_japanese_call_once(city_hall: HallWithBoard) -> None:
    """What a board plays for a call that had to wait: chime and Japanese once."""
    with sqlite3.connect(city_hall.database) as database:
        (event_id,) = database.execute("SELECT max(id) FROM event WHERE type = 'ticket.called'").fetchone()
    assert event_id is not None, "the test above made calls"
    url = f"{city_hall.server.base_url}/api/v1/announcements/{event_id}.wav"
    full, brief = (httpx.get(url, params=params, timeout=60) for params in ({}, {"brief": "true"}))
    assert full.status_code == brief.status_code == 200
    assert full.content[:4] == brief.content[:4] == b"RIFF"
    # A Japanese ticket's call: Japanese twice (the demo's setting) against once; the chime is in both.
    assert len(brief.content) < 0.7 * len(full.content)
