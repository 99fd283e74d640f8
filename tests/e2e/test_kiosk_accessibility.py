"""The kiosk's accessibility settings in Debian's chromium, against one real server and kiosk agent:
the wheelchair layout (every control low), larger text that still fits the longest summary,
high contrast (text ≥ 7:1), a keyboard-only walk to a printed ticket, and the voice guide
(real WAV from the server's offline engines; Tagalog says it has none).

Screenshots go to tests/output/ (and MADOGUCHI_SHOTS, when set)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk import i18n
from printer.simulator import PrinterSimulator
from tests.e2e.support import choose_kiosk_language
from tests.kiosk.servers import kiosk_agent, live_server

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = Path(__file__).resolve().parents[1] / "output"
LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 1080, "height": 1920}
WIDE = {"width": 1920, "height": 1080}
# Controls sit below this share of the screen's height in the wheelchair layout.
REACH_FROM = 0.45


@dataclass
class Kiosk:
    printer: PrinterSimulator
    url: str


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    tmp_dir = tmp_path_factory.mktemp("kiosk-accessibility")
    with live_server(tmp_dir) as server, PrinterSimulator() as printer:
        token, _ = server.new_kiosk()
        with kiosk_agent(server.url, token, printer.url, tmp_dir) as url:
            yield Kiosk(printer=printer, url=url)


def open_kiosk(browser: Browser, kiosk: Kiosk, viewport: dict[str, int]) -> Page:
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    page = context.new_page()
    page.goto(kiosk.url)
    expect(page.locator("#life-events .tile").first).to_be_visible()
    return page


@pytest.fixture
def page(browser: Browser, kiosk: Kiosk) -> Iterator[Page]:
    kiosk.printer.set_state("ok")
    kiosk.printer.clear()
    page = open_kiosk(browser, kiosk, LANDSCAPE)
    yield page
    page.context.close()


def text(key: str, language: str) -> str:
    return i18n.text(key, language)


def shot(page: Page, name: str) -> None:
    for folder in filter(None, [OUTPUT, os.environ.get("MADOGUCHI_SHOTS")]):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"kiosk-a11y-{name}.png"))


def answer_all_yes(page: Page) -> None:
    while not page.locator("#summary-heading").is_visible():
        expect(page.locator("#answer-yes")).to_be_enabled()
        page.locator("#answer-yes").click()


# Every control on screen with the part of its box that shows (clipped by the areas that
# scroll); `scroll`: each brought into view first (the menu scrolls within the low part).
CONTROLS = """(scroll) => [...document.querySelectorAll('button, [tabindex="0"]')]
  .filter((element) => element.offsetParent !== null && !element.classList.contains('screen-info'))
  .map((element) => {
    if (scroll) element.scrollIntoView({block: 'nearest'});
    const box = element.getBoundingClientRect();
    let top = Math.max(box.top, 0), bottom = Math.min(box.bottom, innerHeight);
    for (let node = element.parentElement; node; node = node.parentElement) {
      if (getComputedStyle(node).overflowY === 'visible') continue;
      const area = node.getBoundingClientRect();
      top = Math.max(top, area.top); bottom = Math.min(bottom, area.bottom);
    }
    return {name: element.id || element.dataset.lifeEvent || element.dataset.service
                  || element.dataset.language || element.dataset.key || element.className,
            top, bottom, height: box.height}; })
  .filter((control) => control.bottom - control.top > 1)"""


def assert_all_low(page: Page, where: str) -> None:
    height = page.viewport_size["height"]  # type: ignore[index]
    limit = height * REACH_FROM
    for scroll in (False, True):
        shown = page.evaluate(CONTROLS, scroll)
        assert shown, where
        high = [control for control in shown if control["top"] < limit - 0.5]
        assert high == [], f"{where}: controls above {REACH_FROM:.0%} of the screen: {high}"
        if scroll:
            # Each one, brought into view, shows whole: none is out of reach behind another.
            cut = [control for control in shown if control["bottom"] - control["top"] < control["height"] - 1]
            assert cut == [], f"{where}: controls that cannot be shown whole: {cut}"
    page.evaluate("() => document.querySelectorAll('.screen-controls').forEach((area) => { area.scrollTop = 0; })")


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT, WIDE], ids=["1280x800", "1080x1920", "1920x1080"])
def test_the_wheelchair_layout_puts_every_control_low(browser: Browser, kiosk: Kiosk, viewport: dict[str, int]) -> None:
    page = open_kiosk(browser, kiosk, viewport)
    size = f"{viewport['width']}x{viewport['height']}"
    try:
        switch = page.locator("#low-reach-button")
        # The switch itself is low and says what it is, before anyone uses it.
        expect(switch).to_contain_text(text("low_reach", "ja"))
        expect(switch).to_contain_text("♿")
        box = switch.bounding_box()
        assert box is not None
        assert box["y"] >= viewport["height"] * REACH_FROM
        switch.click()
        expect(switch).to_have_attribute("aria-pressed", "true")
        assert_all_low(page, f"{size} start")
        shot(page, f"low-reach-start-{size}")
        # The booking code keypad: every key and action low too.
        page.locator("#appointment-button").click()
        expect(page.locator("#checkin-heading")).to_be_visible()
        assert_all_low(page, f"{size} booking code")
        page.locator("#screen-checkin [data-action=start-over]").click()
        choose_kiosk_language(page, "en")  # a longer language, and the setting stays
        expect(page.locator("html")).to_have_class(re.compile("low-reach"))
        page.locator("[data-life-event=death]").click()
        expect(page.locator("#question-text")).to_be_focused()
        assert_all_low(page, f"{size} question")
        shot(page, f"low-reach-question-{size}")
        answer_all_yes(page)
        assert_all_low(page, f"{size} summary")
        shot(page, f"low-reach-summary-{size}")
        page.locator("#issue-button").click()
        expect(page.locator("#result-number")).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
        assert_all_low(page, f"{size} result")
        shot(page, f"low-reach-result-{size}")
        # The next citizen starts with the usual screen.
        page.locator("#next-person").click()
        expect(page.locator("#start-heading")).to_be_visible()
        expect(page.locator("html")).not_to_have_class(re.compile("low-reach"))
        expect(switch).to_have_attribute("aria-pressed", "false")
    finally:
        page.context.close()


def test_the_settings_end_with_the_idle_timeout(browser: Browser, kiosk: Kiosk) -> None:
    context = browser.new_context(viewport=LANDSCAPE, locale="ja-JP")
    page = context.new_page()
    page.clock.install()
    page.goto(kiosk.url)
    expect(page.locator("#life-events .tile").first).to_be_visible()
    page.locator("#low-reach-button").click()
    page.locator("#large-text-button").click()
    page.locator("#contrast-button").click()
    expect(page.locator("html")).to_have_class(re.compile("high-contrast"))
    page.clock.fast_forward(61_000)
    expect(page.locator("html")).not_to_have_class(re.compile("low-reach|large-text|high-contrast"))
    for button in ("#low-reach-button", "#large-text-button", "#contrast-button"):
        expect(page.locator(button)).to_have_attribute("aria-pressed", "false")
    context.close()


# The languages whose death summary (twelve questions and the note) is longest in characters
# (pt 1068, tl 1067, id 1043, vi 1016), plus Nepali (tall script) and やさしい日本語 (ruby lines).
LONGEST_LANGUAGES = ["pt", "tl", "id", "vi", "ne", "ja_easy"]


@pytest.mark.parametrize(
    ("viewport", "languages"),
    # Portrait is wider in lines than it is short in height: two languages show it (CI time).
    [(LANDSCAPE, LONGEST_LANGUAGES), (PORTRAIT, ["pt", "ja_easy"])],
    ids=["1280x800", "1080x1920"],
)
def test_larger_text_fits_the_longest_route_in_the_longest_languages(
    browser: Browser, kiosk: Kiosk, viewport: dict[str, int], languages: list[str]
) -> None:
    page = open_kiosk(browser, kiosk, viewport)
    width, height = viewport["width"], viewport["height"]
    try:
        page.locator("#large-text-button").click()
        assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == pytest.approx(33.6)
        for language in languages:
            choose_kiosk_language(page, language)
            page.locator("[data-life-event=death]").click()
            while not page.locator("#summary-heading").is_visible():
                expect(page.locator("#answer-yes")).to_be_enabled()
                assert_fits(page, width, height, f"{language} question", "#answer-yes", "#answer-no")
                page.locator("#answer-yes").click()
            expect(page.locator("#summary-answers dd.yes")).to_have_count(12)
            assert_fits(page, width, height, f"{language} summary", "#issue-button")
            # What does not fit scrolls inside the text area, which says so and takes the keyboard.
            info = page.locator("#screen-summary .screen-info")
            if info.evaluate("(area) => area.scrollHeight > area.clientHeight + 1"):
                expect(info).to_have_attribute("tabindex", "0")
                expect(info).to_have_attribute("role", "region")
                last = page.locator("#summary-answers > div").last
                last.scroll_into_view_if_needed()
                expect(last).to_be_in_viewport()
                info.evaluate("(area) => { area.scrollTop = 0; }")
            shot(page, f"large-text-summary-{language}-{width}x{height}")
            page.locator("#screen-summary [data-action=start-over]").click()
            expect(page.locator("#start-heading")).to_be_visible()
            # Starting over keeps the citizen's settings (the ticket or the idle timeout ends them).
            expect(page.locator("#large-text-button")).to_have_attribute("aria-pressed", "true")
    finally:
        page.context.close()


def assert_fits(page: Page, width: int, height: int, where: str, *selectors: str) -> None:
    assert page.evaluate("document.scrollingElement.scrollHeight") <= height, where
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, where
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, (where, selector)
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= height, f"{where}: {selector} is below the screen"
    # No button's words spill out of it.
    spilled = page.evaluate(
        """() => [...document.querySelectorAll('button')].filter((button) => button.offsetParent !== null
              && (button.scrollWidth > button.clientWidth + 1 || button.scrollHeight > button.clientHeight + 1))
              .map((button) => button.id || button.textContent.trim().slice(0, 30))"""
    )
    assert spilled == [], f"{where}: text overflows {spilled}"


# The contrast of every visible piece of text against the background it is drawn on (WCAG 2).
CONTRAST = """() => {
  const rgba = (value) => {
    const parts = value.match(/[\\d.]+/g).map(Number);
    return parts.length === 3 ? [...parts, 1] : parts; };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) return colour;
    }
    return [255, 255, 255, 1]; };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.textContent.trim() || element.closest('.visually-hidden, [hidden]')) continue;
    if (element.closest('.tile .icon')) continue; // colour pictograms, not text
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.bottom < 0 || box.top > innerHeight) continue;
    const style = getComputedStyle(element);
    if (style.visibility === 'hidden') continue;
    let opacity = 1;
    for (let node = element; node; node = node.parentElement) opacity *= Number(getComputedStyle(node).opacity);
    const fore = rgba(style.color); const back = background(element);
    const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
    found.push({text: node.textContent.trim().slice(0, 30), ratio: (light + 0.05) / (dark + 0.05), opacity});
  }
  return found; }"""


def assert_contrast(page: Page, where: str) -> None:
    measured = page.evaluate(CONTRAST)
    assert measured, where
    low = [item for item in measured if item["ratio"] < 7 or item["opacity"] < 1]
    assert low == [], f"{where}: text below 7:1 {low}"


def test_high_contrast_text_is_at_least_7_to_1_and_the_focus_ring_shows(page: Page) -> None:
    page.locator("#contrast-button").click()
    expect(page.locator("#contrast-button")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    assert_contrast(page, "start")
    shot(page, "contrast-start")
    choose_kiosk_language(page, "ne")
    page.locator("[data-life-event=move_in]").click()
    assert_contrast(page, "question")
    # The keyboard focus ring: cyan, 6 px, on black (13:1), unlike any border in this scheme.
    expect(page.locator("#answer-yes")).to_be_enabled()  # after the double-tap guard
    tab_to(page, "#answer-yes", limit=3)
    ring = page.locator("#answer-yes").evaluate(
        "(button) => { const style = getComputedStyle(button);"
        " return [style.outlineStyle, style.outlineWidth, style.outlineColor]; }"
    )
    assert ring == ["solid", "6px", "rgb(0, 255, 255)"]
    shot(page, "contrast-question-focus")
    answer_all_yes(page)
    assert_contrast(page, "summary")
    shot(page, "contrast-summary")
    page.locator("#issue-button").click()
    expect(page.locator("#result-number")).to_be_visible()
    assert_contrast(page, "result")
    shot(page, "contrast-result")


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_alone_from_the_start_to_a_printed_ticket(page: Page, kiosk: Kiosk) -> None:
    expect(page.locator("#start-heading")).to_be_focused()
    # The settings bar is in the tab order, named in the screen language, each a toggle.
    tab_to(page, "#large-text-button")
    page.keyboard.press("Space")
    expect(page.locator("#large-text-button")).to_have_attribute("aria-pressed", "true")
    tab_to(page, "[data-language=en]")
    page.keyboard.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    toolbar = page.get_by_role("navigation", name=text("a11y_label", "en"))
    expect(toolbar.get_by_role("button", name=text("high_contrast", "en"))).to_have_attribute("aria-pressed", "false")
    snapshot = toolbar.aria_snapshot()
    for key in ("low_reach", "large_text", "high_contrast", "voice_guide"):
        assert text(key, "en") in snapshot
    assert "[pressed]" in snapshot

    tab_to(page, "[data-life-event=birth]")
    page.keyboard.press("Enter")
    expect(page.locator("#question-text")).to_be_focused()
    # The screen change is said in the polite live region by its heading.
    expect(page.locator("#screen-announcer")).to_have_text(page.locator("#question-text").inner_text())
    answered = 0
    while not page.locator("#summary-heading").is_visible():
        expect(page.locator("#answer-no")).to_be_enabled()
        tab_to(page, "#answer-no", limit=5)
        page.keyboard.press("Space" if answered % 2 else "Enter")
        answered += 1
        page.wait_for_function(
            "(count) => document.getElementById('screen-question').hidden || "
            "document.getElementById('question-progress').textContent.includes(String(count + 1))",
            arg=answered,
        )
    assert answered >= 2
    expect(page.locator("#summary-heading")).to_be_focused()
    # Tab reaches the issue button before the way back (and the focus ring shows).
    expect(page.locator("#issue-button")).to_be_enabled()  # after the double-tap guard
    page.keyboard.press("Tab")
    if page.evaluate("document.activeElement.classList.contains('screen-info')"):
        page.keyboard.press("Tab")
    expect(page.locator("#issue-button")).to_be_focused()
    assert page.locator("#issue-button").evaluate("(button) => getComputedStyle(button).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("#result-number")).to_have_text(re.compile(r"^[A-Z]\d{3}$"))
    expect(page.locator("#announcer")).to_contain_text(page.locator("#result-number").inner_text())
    (job,) = kiosk.printer.wait_for_jobs(1, timeout_seconds=10)
    assert job.printed
    shot(page, "keyboard-result")


def speech_request(page: Page, action: Any, saying: str = "") -> tuple[dict[str, Any], bytes]:
    """What the page asked the agent to say after `action` (the first request that includes
    `saying`), and the WAV it got back."""
    with page.expect_response(
        lambda response: (
            response.url.endswith("/kiosk/speech")
            and response.request.method == "POST"
            and saying in (response.request.post_data or "")
        ),
        timeout=90_000,
    ) as answer:
        action()
    response = answer.value
    assert response.status == 200, response.text()
    assert response.headers["content-type"] == "audio/wav"
    asked: dict[str, Any] = json.loads(response.request.post_data or "{}")
    # The page's own copy of the body is not kept by the browser (it went into a blob and
    # was played): the same request again is the same WAV, from the server's cache.
    again = page.request.post(response.url, data=asked, timeout=60_000)
    assert again.status == 200
    assert int(response.headers["content-length"]) == len(again.body())
    return asked, again.body()


@pytest.mark.parametrize("language", ["ja", "ja_easy", "en", "vi"])
def test_the_voice_guide_reads_the_screen_aloud(page: Page, language: str) -> None:
    if language != "ja":
        choose_kiosk_language(page, language)
    voice = page.locator("#voice-button")
    expect(voice).to_contain_text(text("voice_guide", language))
    asked, audio = speech_request(page, voice.click)
    expect(voice).to_have_attribute("aria-pressed", "true")
    assert asked["lang"] == language
    assert text("start_heading", language).rstrip("?？") in asked["text"]
    assert audio[:4] == b"RIFF"
    assert audio[8:12] == b"WAVE"
    assert len(audio) > 40_000  # more than a moment of 16-bit audio
    # Once on, each new screen is read: the question with its choices.
    hint = text("voice_answer_hint", language).format(yes=text("yes", language), no=text("no", language))
    asked, audio = speech_request(page, lambda: page.locator("[data-life-event=move_in]").click(), saying=hint)
    assert asked["lang"] == language
    assert audio[:4] == b"RIFF"
    if language == "ja_easy":
        assert re.search(r"\{[^{}|]+\|[^{}|]+\}", asked["text"]), "the ruby goes to the server, which reads it"
    # "Listen again" reads the same screen on request.
    repeat = page.locator("#voice-repeat")
    expect(repeat).to_be_visible()
    again, _ = speech_request(page, repeat.click)
    assert again == asked
    voice.click()
    expect(voice).to_have_attribute("aria-pressed", "false")
    expect(repeat).to_be_hidden()


def test_the_voice_guide_ends_at_the_ticket_with_its_number(page: Page) -> None:
    choose_kiosk_language(page, "en")
    page.locator("#voice-button").click()
    page.locator("[data-service=certificate]").click()
    asked, audio = speech_request(page, lambda: page.locator("#issue-button").click(), saying="{#")
    assert audio[:4] == b"RIFF"
    number = page.locator("#result-number").inner_text()
    assert "{#" + number + "}" in asked["text"]


def test_tagalog_has_no_voice_and_the_button_says_so(page: Page) -> None:
    speech: list[str] = []
    page.on(
        "request",
        lambda request: (
            speech.append(request.url) if request.method == "POST" and request.url.endswith("/kiosk/speech") else None
        ),
    )
    choose_kiosk_language(page, "tl")
    voice = page.locator("#voice-button")
    expect(voice).to_contain_text(text("voice_none", "tl"))
    expect(voice).to_have_attribute("aria-disabled", "true")
    # Still pressable (by keyboard too): it says why nothing is read.
    voice.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#announcer")).to_have_text(text("voice_none", "tl"))
    expect(voice).to_have_attribute("aria-pressed", "false")
    shot(page, "voice-none-tl")
    page.wait_for_timeout(300)
    assert speech == []
