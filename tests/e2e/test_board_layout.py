"""The lobby board never hides a call: 1 to 20 calls at once, at 1920×1080 and 1280×720, in chromium.

Measured in the real layout: each called number's box is inside the viewport and the element at
its centre and inset corners is that number (nothing covers it), after every single call."""

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from server.config import DEFAULT_CONFIG_PATH, PROJECT_ROOT
from server.realtime.service import RECENT_CALLS

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

from tests.e2e.support import BRANCH, hall_with_board  # noqa: E402
from tests.e2e.test_display_and_status import CityHall  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]

OUTPUT = PROJECT_ROOT / "tests" / "output"
SCREENS = {"1080p": (1920, 1080), "720p": (1280, 720)}
# The demo hall has 18 public windows; two more make the 20 of a busy morning.
EXTRA_WINDOWS = ["16", "17"]

# For each called number: its box in the viewport, and the number itself at its centre and
# inset corners (document.elementFromPoint: no footer, panel or overlay in front of it).
MEASURE = """
(numbers) => {
  const problems = [];
  const boxes = [];
  const inset = 4;
  const describe = (node) => node ? `${node.tagName.toLowerCase()}#${node.id}.${node.className}` : "nothing";
  const check = (label, element) => {
    const box = element.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) problems.push(`${label}: not rendered`);
    if (box.left < 0 || box.top < 0 || box.right > innerWidth || box.bottom > innerHeight) {
      problems.push(`${label}: outside the viewport ${JSON.stringify(box)}`);
    }
    if (element.scrollWidth > element.clientWidth + 1) problems.push(`${label}: text cut off`);
    const points = [
      [box.left + box.width / 2, box.top + box.height / 2],
      [box.left + inset, box.top + inset],
      [box.right - inset, box.top + inset],
      [box.left + inset, box.bottom - inset],
      [box.right - inset, box.bottom - inset],
    ];
    for (const [x, y] of points) {
      const hit = document.elementFromPoint(x, y);
      if (!hit || !(hit === element || element.contains(hit))) {
        problems.push(`${label}: covered at (${Math.round(x)}, ${Math.round(y)}) by ${describe(hit)}`);
      }
    }
    return box;
  };
  for (const number of numbers) {
    const card = document.querySelector(`#now-calling .card[data-number="${number}"]`);
    if (!card) { problems.push(`${number}: no tile`); continue; }
    const box = check(number, card.querySelector(".number"));
    check(`${number} counter`, card.querySelector(".counter"));
    const size = parseFloat(getComputedStyle(card.querySelector(".number")).fontSize);
    boxes.push({ number, top: box.top, left: box.left, area: box.width * box.height, size });
  }
  document.querySelectorAll("#recent li .number").forEach((row) => check(`recent ${row.textContent}`, row));
  return { problems, boxes };
}
"""


@pytest.fixture(scope="module")
def city_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityHall]:
    folder = tmp_path_factory.mktemp("e2e-board-layout")
    config = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    for window in EXTRA_WINDOWS:
        config["counters"].append(
            {"id": window, "name_ja": "証明書", "name_en": "Certificates", "area": "shimin_sogo",
             "public": True, "staffed_by": "staff", "services": ["certificate"]}
        )  # fmt: skip
    config_path = Path(folder / "city_hall.yaml")
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with hall_with_board(folder, "e2e-layout", config_path) as started:
        yield CityHall(started.server, started.display_token, started.kiosk_token, started.staff_token)


def _board(browser: Browser, city_hall: CityHall, screen: str, **context: Any) -> tuple[Page, list[str]]:
    width, height = SCREENS[screen]
    page = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP", **context).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(city_hall.board_url("&sound=off"))
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    return page, problems


def _public_windows(city_hall: CityHall) -> list[dict[str, Any]]:
    return [counter for counter in city_hall.api("GET", f"/branches/{BRANCH}/counters") if counter["public"]]


def _call(city_hall: CityHall, counter: dict[str, Any]) -> str:
    """A citizen for this window (issued by staff, so any of its services), then the call."""
    city_hall.api("POST", f"/branches/{BRANCH}/tickets", service=counter["services"][0])
    city_hall.api("POST", f"/counters/{counter['id']}/open")
    number: str = city_hall.api("POST", f"/counters/{counter['id']}/call-next")["ticket"]["number"]
    return number


def _close_all(city_hall: CityHall) -> None:
    for counter in _public_windows(city_hall):
        if counter["current_ticket"]:
            city_hall.api("POST", f"/counters/{counter['id']}/complete")
        if counter["state"] != "closed":
            city_hall.api("POST", f"/counters/{counter['id']}/close")


def _assert_all_visible(page: Page, called: list[str], where: str, *, dated: int = 99) -> list[dict[str, Any]]:
    """Every number in `called` (oldest first) shown whole and uncovered; the `dated` newest ones
    first or larger than every older one."""
    result = page.evaluate(MEASURE, called)
    assert result["problems"] == [], where
    boxes = {box["number"]: box for box in result["boxes"]}
    for older_index, older in enumerate(called):
        for newer in called[max(older_index + 1, len(called) - dated) :]:
            a, b = boxes[newer], boxes[older]
            larger = a["area"] > 1.05 * b["area"]
            earlier = a["top"] < b["top"] - 2 or (abs(a["top"] - b["top"]) <= 2 and a["left"] < b["left"])
            assert larger or earlier, f"{where}: the newer {newer} is neither larger nor before the older {older}"
    return result["boxes"]  # type: ignore[no-any-return]


def _screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"))


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("calls", [1, 7, 20])
def test_every_call_is_on_screen_and_uncovered_from_the_first_moment(
    city_hall: CityHall, browser: Browser, screen: str, calls: int
) -> None:
    windows = _public_windows(city_hall)
    assert len(windows) >= 20
    page, problems = _board(browser, city_hall, screen)
    try:
        called: list[str] = []
        for counter in windows[:calls]:
            number = _call(city_hall, counter)
            expect(page.locator(f'#now-calling .card[data-number="{number}"]')).to_have_count(1)
            called.append(number)
            boxes = _assert_all_visible(page, called, f"{screen}, {len(called)} calls")
        # Readable across a lobby: at least 5% of the screen's height, even with 20 calls.
        assert min(box["size"] for box in boxes) >= 0.05 * SCREENS[screen][1]
        _screenshot(page, f"board-layout-{screen}-{calls}-calls")
        # The same board after a reload (the snapshot path) holds them all too. The snapshot dates
        # only the 12 newest calls (RECENT_CALLS); those come first, the older ones follow by window.
        page.reload()
        expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        expect(page.locator("#now-calling .card")).to_have_count(calls)
        _assert_all_visible(page, called, f"{screen}, {calls} calls after a reload", dated=RECENT_CALLS)
        assert problems == []
    finally:
        page.context.close()
        _close_all(city_hall)


def test_served_and_recalled_numbers_make_room_and_the_just_called_list_stays_whole(
    city_hall: CityHall, browser: Browser
) -> None:
    windows = _public_windows(city_hall)[:20]
    page, problems = _board(browser, city_hall, "720p")
    try:
        called = {counter["id"]: _call(city_hall, counter) for counter in windows}
        order = list(called.values())
        expect(page.locator("#now-calling .card")).to_have_count(20)
        # Five are served and called again: the finished numbers leave, the new ones come first.
        for counter in windows[:5]:
            city_hall.api("POST", f"/counters/{counter['id']}/complete")
            order.remove(called[counter["id"]])
            number = _call(city_hall, counter)
            expect(page.locator(f'#now-calling .card[data-number="{number}"]')).to_have_count(1)
            order.append(number)
            _assert_all_visible(page, order, "after a window's next call")
        expect(page.locator("#now-calling .card")).to_have_count(20)
        expect(page.locator("#recent li")).not_to_have_count(0)
        _screenshot(page, "board-layout-720p-recalls")
        assert problems == []
    finally:
        page.context.close()
        _close_all(city_hall)


def test_a_citizen_going_on_at_the_same_window_keeps_the_number_up(city_hall: CityHall, browser: Browser) -> None:
    page, problems = _board(browser, city_hall, "1080p")
    # Watches the tile between events: a completed-then-serving pair must never take it down.
    try:
        ticket = city_hall.api(
            "POST", f"/branches/{BRANCH}/tickets", life_event="move_in", answers={"national_health_insurance": True}
        )
        ids = {counter["name"]: counter["id"] for counter in city_hall.api("GET", f"/branches/{BRANCH}/counters")}
        for name in ("1", "R1", "B1"):
            city_hall.api("POST", f"/counters/{ids[name]}/open")
            assert city_hall.api("POST", f"/counters/{ids[name]}/call-next")["ticket"]["number"] == ticket["number"]
            city_hall.api("POST", f"/counters/{ids[name]}/complete")
            city_hall.api("POST", f"/counters/{ids[name]}/close")
        city_hall.api("POST", f"/counters/{ids['10']}/open")
        assert city_hall.api("POST", f"/counters/{ids['10']}/call-next")["ticket"]["number"] == ticket["number"]
        tile = page.locator(f'#now-calling .card[data-number="{ticket["number"]}"]')
        expect(tile).to_have_count(1)
        page.evaluate(
            """(number) => {
              window.tileGone = 0;
              new MutationObserver(() => {
                if (!document.querySelector(`#now-calling .card[data-number="${number}"]`)) window.tileGone += 1;
              }).observe(document.getElementById("now-calling"), { childList: true });
            }""",
            ticket["number"],
        )
        city_hall.api("POST", f"/counters/{ids['10']}/complete")  # the pension step follows at 10
        expect(tile).to_have_class("card serving")
        page.wait_for_timeout(500)
        assert page.evaluate("window.tileGone") == 0, "the number left the board between two events"
        assert problems == []
    finally:
        page.context.close()
        _close_all(city_hall)


def test_the_clock_shows_the_branch_time_not_the_pc_time(city_hall: CityHall, browser: Browser) -> None:
    page, problems = _board(browser, city_hall, "1080p", timezone_id="America/New_York")
    try:
        tokyo = datetime.now(ZoneInfo("Asia/Tokyo"))
        shown = page.locator("#time").text_content()
        around = {(tokyo + timedelta(minutes=delta)).strftime("%H:%M") for delta in (-1, 0, 1)}
        assert shown in around
        assert page.locator("#date").text_content() == f"{tokyo.month}月{tokyo.day}日" + page.evaluate(
            "`(${new Intl.DateTimeFormat('ja-JP', {timeZone: 'Asia/Tokyo', weekday: 'short'}).format(new Date())})`"
        )
        assert problems == []
    finally:
        page.context.close()
