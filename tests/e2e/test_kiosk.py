"""The kiosk touch screen in Debian's chromium: a real server, `madoguchi kiosk`, a simulated printer.

Screenshots of each walk are saved under tests/output/.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from sqlmodel import Session, select

from printer.simulator import PrinterSimulator
from server.models import Branch, Ticket
from tests.e2e.support import choose_kiosk_language
from tests.kiosk.lossy_proxy import LossyProxy
from tests.kiosk.servers import LiveServer, free_port, kiosk_agent, live_server
from tests.support import BRANCH

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]

OUTPUT = Path(__file__).resolve().parents[1] / "output"
# The order of move_in's questions in the demo configuration.
MOVE_IN_QUESTIONS = 13
# Moving in, asked in this order: from abroad, residence card, My Number Card, seal, 国保, 65+, 75+
# (only after 65+ yes), children, school children and nursery (only after children yes),
# pregnancy, disability, moped.
AFTER_65_NO = 12
AFTER_CHILDREN_NO = 10


@dataclass
class Kiosk:
    server: LiveServer
    printer: PrinterSimulator
    url: str
    tmp_dir: Path


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    tmp_dir = tmp_path_factory.mktemp("kiosk-e2e")
    with live_server(tmp_dir) as server, PrinterSimulator() as printer:
        token, _ = server.new_kiosk()
        with kiosk_agent(server.url, token, printer.url, tmp_dir) as url:
            yield Kiosk(server=server, printer=printer, url=url, tmp_dir=tmp_dir)


@pytest.fixture
def page(browser: Browser, kiosk: Kiosk) -> Iterator[Page]:
    kiosk.printer.set_state("ok")
    kiosk.printer.clear()
    context = browser.new_context(viewport={"width": 1280, "height": 1024}, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"kiosk-{name}.png"), full_page=True)


def answer_move_in(page: Page, answers: list[bool], *, progress: str, totals: list[int]) -> None:
    """Answer each question asked in turn; `totals`: the count the progress line shows for each
    (it shrinks when a "no" makes a later question moot)."""
    for index, (yes, total) in enumerate(zip(answers, totals, strict=True)):
        expect(page.locator("#question-progress")).to_have_text(progress.format(index + 1, total))
        page.locator("#answer-yes" if yes else "#answer-no").click()


def assert_touch_size(page: Page, *selectors: str) -> None:
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["width"] >= 64, f"{selector} is too narrow to touch"
        assert box["height"] >= 64, f"{selector} is too low to touch"


def printed_status_url(printer: PrinterSimulator) -> str:
    (job,) = printer.wait_for_jobs(1, timeout_seconds=5)
    assert job.printed
    assert job.cut
    assert job.image is not None
    (barcode,) = zxingcpp.read_barcodes(job.image.convert("L"))
    return str(barcode.text)


def test_move_in_in_japanese_issues_and_prints_the_number_on_screen(page: Page, kiosk: Kiosk) -> None:
    page.goto(kiosk.url)
    expect(page.locator("#start-heading")).to_be_visible()
    expect(page.locator("#start-heading")).to_have_text("ご用件をお選びください")
    expect(page.locator("#branch-name")).to_have_text("サンプル市役所 本庁舎")
    screenshot(page, "ja-start")

    page.locator("[data-life-event=move_in]").click()
    expect(page.locator("#question-event")).to_contain_text("転入")
    # Two taps inside one task: a double tap as the screen sees it, however slowly a loaded
    # machine lets Playwright deliver a dblclick's second click.
    expect(page.locator("#answer-no")).to_be_enabled()
    page.locator("#answer-no").evaluate("button => { button.click(); button.click(); }")
    # One answer per double tap.
    expect(page.locator("#question-progress")).to_have_text(f"質問 2 / {MOVE_IN_QUESTIONS}")
    page.get_by_role("button", name="戻る", exact=True).click()
    expect(page.locator("#question-progress")).to_have_text(f"質問 1 / {MOVE_IN_QUESTIONS}")
    screenshot(page, "ja-question")
    # My Number Card and children: yes; 65+: no, so 75+ is not asked; school children and nursery are.
    answers = [False, False, True, False, False, False, True, False, False, False, False, False]
    answer_move_in(page, answers, progress="質問 {} / {}", totals=[MOVE_IN_QUESTIONS] * 6 + [AFTER_65_NO] * 6)

    expect(page.locator("#summary-heading")).to_be_focused()
    expect(page.locator("#summary-answers dd")).to_have_count(AFTER_65_NO)
    expect(page.locator("#summary-answers dt", has_text="75歳以上")).to_have_count(0)
    expect(page.locator("#summary-answers dd.yes")).to_have_count(2)
    expect(page.locator("#summary-note-text")).to_contain_text("14日以内")
    # A kiosk's 1280×800 screen holds the whole summary: no scrolling to reach the button.
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "ja-summary")
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 800
    page.get_by_role("button", name="番号札を受け取る").click()

    number = page.locator("#result-number")
    expect(number).to_have_text(re.compile(r"^L\d{3}$"))
    shown = number.inner_text()
    expect(page.locator("#announcer")).to_contain_text(f"あなたの番号は {shown} です。")
    expect(page.locator("#print-message")).to_have_text("番号札をお取りください")
    expect(page.locator("#result-stops")).to_contain_text("9番窓口")
    expect(page.locator("#result-stops")).to_contain_text("12・14番窓口")
    qr_shown = "() => { const qr = document.getElementById('result-qr'); return qr.complete && qr.naturalWidth > 0; }"
    page.wait_for_function(qr_shown)  # the image may still be loading
    screenshot(page, "ja-result")

    status = kiosk.server.ticket(printed_status_url(kiosk.printer).rsplit("/", 1)[-1])
    assert status.json()["number"] == shown, "the slip and the screen show the same ticket"


def test_the_same_walk_in_english(page: Page, kiosk: Kiosk) -> None:
    page.goto(kiosk.url)
    page.get_by_role("button", name="English").click()
    expect(page.locator("#start-heading")).to_have_text("What are you here for today?")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-life-event=move_in]")).to_contain_text("Moving in")

    page.locator("[data-life-event=move_in]").click()
    expect(page.locator("#question-text")).to_have_text(re.compile("abroad"))
    # All no: neither 75+ nor school children nor nursery is asked.
    answer_move_in(
        page,
        [False] * 10,
        progress="Question {} of {}",
        totals=[MOVE_IN_QUESTIONS] * 6 + [AFTER_65_NO] + [AFTER_CHILDREN_NO] * 3,
    )
    page.get_by_role("button", name="Get my ticket").click()

    expect(page.locator("#result-label")).to_have_text("Your number")
    expect(page.locator("#result-number")).to_have_text(re.compile(r"^L\d{3}$"))
    expect(page.locator("#print-message")).to_have_text("Please take your ticket")
    expect(page.locator("#result-stops")).to_contain_text("Counter 1–5")
    screenshot(page, "en-result")


def test_the_longest_summary_fits_one_kiosk_screen(page: Page, kiosk: Kiosk) -> None:
    """A death with every answer yes (twelve questions, the longest note) in English, whose
    sentences are the longest: still one 1280×800 screen, the button in reach."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(kiosk.url)
    choose_kiosk_language(page, "en")
    page.locator("[data-life-event=death]").click()
    while not page.locator("#summary-heading").is_visible():
        expect(page.locator("#answer-yes")).to_be_enabled()
        page.locator("#answer-yes").click()
    expect(page.locator("#summary-answers dd.yes")).to_have_count(12)
    screenshot(page, "en-death-summary")
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 800
    box = page.locator("#issue-button").bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 800


# Where each part of the result screen is (viewport coordinates), and how much of the route is
# left to scroll in its own area.
RESULT_LAYOUT = """() => {
  const box = (selector) => { const b = document.querySelector(selector).getBoundingClientRect();
                              return {top: b.top, bottom: b.bottom}; };
  const route = document.querySelector('#screen-result .result-details');
  const access = document.querySelector('.access').getBoundingClientRect().top;
  return {number: box('#result-number'), qr: box('#result-qr'), caption: box('#screen-result figcaption'),
          next: box('#next-person'), countdown: box('#result-countdown'), access,
          pageScroll: document.scrollingElement.scrollHeight - innerHeight,
          mainScroll: document.querySelector('main').scrollHeight - document.querySelector('main').clientHeight,
          routeLeft: route.scrollHeight - route.clientHeight, routeRole: route.getAttribute('role')};
}"""


@pytest.mark.parametrize(
    ("width", "height", "language"),
    [(1280, 800, "ja"), (1280, 800, "pt"), (1280, 800, "ja_easy"), (1920, 1080, "vi")],
    ids=str,
)
def test_a_landscape_kiosk_shows_the_whole_result_on_one_screen(
    page: Page, kiosk: Kiosk, width: int, height: int, language: str
) -> None:
    """After a long route (moving in, every answer yes) the number, the QR code with its caption,
    the button and the countdown all show at once, none under another: the screen clears itself
    after 20 s, so a citizen must not have to scroll to find them. The route scrolls in its own
    area, which says so (a region for the keyboard, a shadow at its edge)."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto(kiosk.url)
    if language != "ja":
        choose_kiosk_language(page, language)
    page.locator("[data-life-event=move_in]").click()
    while not page.locator("#summary-heading").is_visible():
        expect(page.locator("#answer-yes")).to_be_enabled()
        page.locator("#answer-yes").click()
    page.locator("#issue-button").click()
    expect(page.locator("#result-number")).to_have_text(re.compile(r"^L\d{3}$"))
    expect(page.locator("#result-countdown")).not_to_be_empty()
    expect(page.locator("#result-qr")).to_be_visible()
    screenshot(page, f"result-{width}x{height}-{language}")
    layout = page.evaluate(RESULT_LAYOUT)
    assert layout["pageScroll"] <= 0, layout
    assert layout["mainScroll"] <= 0, layout
    # The right-hand column, top to bottom: the code with its caption (beside it or under it),
    # the button, the countdown. A two-line caption ran under the button (やさしい日本語).
    stacked = [["qr", "caption"], ["next"], ["countdown"]]
    for uppers, lowers in itertools.pairwise(stacked):
        for upper, lower in itertools.product(uppers, lowers):
            assert layout[upper]["bottom"] <= layout[lower]["top"] + 1, (upper, lower, layout)
    assert layout["number"]["top"] >= 0
    assert layout["countdown"]["bottom"] <= layout["access"] + 1, layout
    assert layout["routeLeft"] > 0, layout
    assert layout["routeRole"] == "region", layout


def test_a_print_fault_shows_the_number_and_qr_and_lets_the_citizen_retry(page: Page, kiosk: Kiosk) -> None:
    kiosk.printer.set_state("paper_out")
    page.goto(kiosk.url)
    page.locator("[data-service=certificate]").click()
    page.get_by_role("button", name="番号札を受け取る").click()

    expect(page.locator("#result-number")).to_have_text(re.compile(r"^C\d{3}$"))
    expect(page.locator("#print-message")).to_have_text(
        "印刷できませんでした。この画面の番号とQRコードをお控えください。"
    )
    expect(page.locator("#print-status")).to_have_attribute("role", "alert")
    expect(page.locator("#result-qr")).to_be_visible()
    screenshot(page, "print-failed")
    assert kiosk.printer.printed_jobs == []

    kiosk.printer.set_state("ok")
    page.get_by_role("button", name="もう一度印刷する").click()
    expect(page.locator("#print-message")).to_have_text("番号札をお取りください")
    expect(page.locator("#print-retry")).to_be_hidden()
    assert printed_status_url(kiosk.printer).startswith(kiosk.server.url)


def test_keyboard_alone_can_choose_and_answer(page: Page, kiosk: Kiosk) -> None:
    page.goto(kiosk.url)
    expect(page.locator("#start-heading")).to_be_focused()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.lifeEvent") == "move_in":
            break
    tile = page.locator("[data-life-event=move_in]")
    expect(tile).to_be_focused()
    assert tile.evaluate("element => getComputedStyle(element).outlineStyle") == "solid"
    assert_touch_size(page, "[data-life-event=move_in]", "#help-button", "[data-language=ja_easy]")
    page.keyboard.press("Enter")

    expect(page.locator("#question-text")).to_be_focused()
    expect(page.locator("#answer-yes")).to_be_enabled()  # after the double-tap guard
    page.keyboard.press("Tab")
    expect(page.locator("#answer-yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#question-progress")).to_have_text(f"質問 2 / {MOVE_IN_QUESTIONS}")
    assert_touch_size(page, "#answer-yes", "#answer-no", "[data-action=back] >> visible=true")


def test_idle_returns_to_the_start_in_japanese(page: Page, kiosk: Kiosk) -> None:
    page.clock.install()
    page.goto(kiosk.url)
    choose_kiosk_language(page, "en")
    page.locator("[data-life-event=birth]").click()
    expect(page.locator("#question-progress")).to_have_text("Question 1 of 3")  # birth

    page.clock.run_for(61_000)

    expect(page.locator("#start-heading")).to_have_text("ご用件をお選びください")
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def test_help_calls_the_concierge(page: Page, kiosk: Kiosk) -> None:
    page.goto(kiosk.url)
    page.get_by_role("button", name="한국어").click()
    page.get_by_role("button", name="도움이 필요하신 분").click()

    expect(page.locator("#help-notice")).to_have_text("직원이 곧 오겠습니다. 이곳에서 잠시 기다려 주십시오.")
    screenshot(page, "help")


def test_stopped_issuing_closes_the_kiosk_until_it_reopens(page: Page, kiosk: Kiosk) -> None:
    def set_stopped(stopped: bool) -> None:
        with Session(kiosk.server.engine) as session:
            branch = session.get(Branch, BRANCH)
            assert branch is not None
            branch.issuing_stopped = stopped
            session.add(branch)
            session.commit()

    page.clock.install()
    set_stopped(True)
    try:
        page.goto(kiosk.url)
        expect(page.locator("#message-heading")).to_have_text(
            "ただいま番号札の受付を停止しています。お近くの係員にお声がけください。"
        )
        expect(page.locator("[data-life-event]")).to_have_count(0)
        screenshot(page, "closed")
    finally:
        set_stopped(False)
    page.clock.run_for(31_000)
    expect(page.locator("#start-heading")).to_be_visible()


def test_an_unreachable_server_is_said_plainly(page: Page, kiosk: Kiosk) -> None:
    token, _ = kiosk.server.new_kiosk()
    nowhere = f"http://127.0.0.1:{free_port()}"
    with kiosk_agent(nowhere, token, kiosk.printer.url, kiosk.tmp_dir) as url:
        page.goto(url)
        expect(page.locator("#message-heading")).to_have_text("ただいま番号札をお渡しできません")
        expect(page.locator("#message-text")).to_contain_text("システムにつながらない")
        screenshot(page, "unreachable")


def test_a_lost_answer_then_starting_over_hands_out_that_ticket_not_a_second(page: Page, kiosk: Kiosk) -> None:
    token, device_id = kiosk.server.new_kiosk()
    with (
        LossyProxy(kiosk.server.url, lose=1000) as proxy,
        kiosk_agent(proxy.url, token, kiosk.printer.url, kiosk.tmp_dir) as url,
    ):
        page.goto(url)
        page.locator("[data-service=certificate]").click()
        page.get_by_role("button", name="番号札を受け取る").click()
        # The server issued it, every answer was lost, the agent gave up after its retries:
        expect(page.locator("#message-heading")).to_have_text("ただいま番号札をお渡しできません", timeout=30_000)
        assert proxy.lost >= 1
        proxy.to_lose = 0  # the network is back
        page.locator("#message-button").click()
        page.locator("[data-service=certificate]").click()
        page.get_by_role("button", name="番号札を受け取る").click()
        expect(page.locator("#result-number")).to_have_text(re.compile(r"^C\d{3}$"))
        shown = page.locator("#result-number").inner_text()

    with Session(kiosk.server.engine) as session:
        issued = session.exec(select(Ticket.number).where(Ticket.issued_by_device_id == device_id)).all()
    assert issued == [shown]
