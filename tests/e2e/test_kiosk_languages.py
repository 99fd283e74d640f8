"""The kiosk in other languages, in Debian's chromium at kiosk size (1280×800): the menu, a
question and the result in the chosen language with nothing shown untranslated unannounced,
やさしい日本語 with furigana on every kanji, a missing string marked as English, and the settings
bar in one row in every language.

Screenshots go to tests/output/ (and MADOGUCHI_SHOTS, when set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from kiosk.i18n import text
from printer.simulator import PrinterSimulator
from server.catalog.service import apply_config
from server.catalog.translations import bare_kanji
from tests.e2e.support import broken_inside_words, choose_kiosk_language, wrapped_texts
from tests.kiosk.servers import LiveServer, kiosk_agent, live_server
from tests.support import demo_config

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = Path(__file__).resolve().parents[1] / "output"
LANGUAGES = {"zh": "简体中文", "ko": "한국어", "vi": "Tiếng Việt", "ne": "नेपाली", "ja_easy": "やさしい にほんご"}


@dataclass
class Kiosk:
    server: LiveServer
    url: str


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    tmp_dir = tmp_path_factory.mktemp("kiosk-languages")
    with live_server(tmp_dir) as server, PrinterSimulator() as printer:
        token, _ = server.new_kiosk()
        with kiosk_agent(server.url, token, printer.url, tmp_dir) as url:
            yield Kiosk(server=server, url=url)


@pytest.fixture
def page(browser: Browser, kiosk: Kiosk) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    page.goto(kiosk.url)
    expect(page.locator("#life-events .tile").first).to_be_visible()
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    for folder in filter(None, [OUTPUT, os.environ.get("MADOGUCHI_SHOTS")]):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"kiosk-{name}.png"))


def choose_language(page: Page, language: str) -> None:
    choose_kiosk_language(page, language)
    expect(page.locator("html")).to_have_attribute("lang", {"zh": "zh-Hans", "ja_easy": "ja"}.get(language, language))


def test_menu_and_a_question_in_five_languages(page: Page) -> None:
    for language, language_name in LANGUAGES.items():
        expect(page.locator(f"#languages button[data-language='{language}']")).to_have_text(language_name)
        choose_language(page, language)
        expect(page.locator("#life-events .tile").first).not_to_contain_text("Moving in")
        # Nothing shown in another language unannounced, nothing announced either: all translated.
        assert page.locator("[data-fallback]").count() == 0
        assert page.locator(".fallback-note").count() == 0
        shot(page, f"menu-{language}")
        page.locator("#life-events .tile[data-life-event='move_in']").click()
        expect(page.locator("#question-text")).to_be_visible()
        question = page.locator("#question-text").inner_text()
        assert "Are you moving in from abroad?" not in question
        assert page.locator("[data-fallback]").count() == 0
        shot(page, f"question-{language}")
        # Everything fits the kiosk's screen: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.locator("#screen-question [data-action='start-over']").click()
        expect(page.locator("#life-events .tile").first).to_be_visible()


def test_the_screen_is_busy_until_the_menu_in_a_new_language_has_come(page: Page) -> None:
    """The language buttons change at once, the screen's words when the menu in that language has
    come: until then the screen says it is busy (aria-busy), and then it is drawn in that language."""
    held: list[Any] = []
    page.route("**/kiosk/menu?lang=vi", lambda route: held.append(route))
    page.locator("#languages button[data-language='vi']").click()
    expect(page.locator("#languages button[data-language='vi']")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#main")).to_have_attribute("aria-busy", "true")
    birth = page.locator("#life-events .tile[data-life-event='birth'] .name")
    expect(birth).to_have_text("出生")  # still the Japanese menu
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
    expect(birth).to_have_text("Sinh con")


def test_a_menu_that_comes_late_does_not_take_the_citizen_back(browser: Browser, kiosk: Kiosk) -> None:
    """The start screen's first menu came after the citizen had chosen a language and touched a
    tile: it drew the start screen over their first question."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    held: list[Any] = []
    page.route("**/kiosk/menu?lang=ja", lambda route: held.append(route))
    with page.expect_request("**/kiosk/menu?lang=ja"):
        page.goto(kiosk.url)
    choose_kiosk_language(page, "vi")
    page.locator("[data-life-event=move_in]").click()
    expect(page.locator("#screen-question")).to_be_visible()
    assert len(held) == 1
    with page.expect_response("**/kiosk/menu?lang=ja"):
        held[0].continue_()
    page.wait_for_timeout(300)  # the late menu's turn to act
    expect(page.locator("#screen-question")).to_be_visible()
    expect(page.locator("#question-event")).to_have_text("Chuyển đến từ thành phố khác")
    context.close()


def test_easy_japanese_has_furigana_on_every_kanji(page: Page) -> None:
    choose_language(page, "ja_easy")
    expect(page.locator("#life-events ruby").first).to_be_visible()
    texts = page.evaluate(
        """() => [...document.querySelectorAll('#life-events .name, #services .name, #branch-name')]
            .map((element) => { const copy = element.cloneNode(true);
              copy.querySelectorAll('ruby').forEach((ruby) => ruby.remove()); return copy.textContent; })"""
    )
    assert texts
    assert [text for text in texts if bare_kanji(text)] == []
    page.locator("#life-events .tile[data-life-event='death']").click()
    for _ in range(3):
        expect(page.locator("#question-text ruby").first).to_be_visible()
        bare = page.evaluate(
            """() => { const copy = document.getElementById('question-text').cloneNode(true);
              copy.querySelectorAll('ruby').forEach((ruby) => ruby.remove()); return copy.textContent; }"""
        )
        assert bare_kanji(bare) == [], bare
        page.locator("#answer-yes").click()


def test_a_missing_translation_is_announced(page: Page, kiosk: Kiosk) -> None:
    config = demo_config().model_copy(deep=True)
    del config.translations["vi"].services["certificate"]
    with Session(kiosk.server.engine) as session:
        apply_config(session, config)
        session.commit()
    try:
        choose_language(page, "vi")
        tile = page.locator("#services .tile[data-service='certificate'] .name")
        expect(tile).to_have_attribute("data-fallback", "en")
        expect(tile.locator(".fallback-note")).to_have_text("Mục này đang hiển thị bằng tiếng Anh")
        assert page.locator("[data-fallback]").count() == 1
        shot(page, "fallback-vi")
    finally:
        with Session(kiosk.server.engine) as session:
            apply_config(session, demo_config())
            session.commit()


def test_the_settings_bar_keeps_one_row_in_every_language(browser: Browser, kiosk: Kiosk) -> None:
    """On a portrait kiosk a second row of settings took the result's countdown off the screen
    (Tagalog, where the voice button says there is no voice guide): a long label wraps inside its
    button instead. Each language is checked with its longer voice label too."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    page = context.new_page()
    page.goto(kiosk.url)
    bar = page.locator(".access")
    one_row = bar.evaluate("(node) => node.getBoundingClientRect().height")
    for button in page.locator("#languages button").all():
        language = button.get_attribute("data-language")
        assert language is not None
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
        for label in ("voice_guide", "voice_none"):
            page.locator("#voice-label").evaluate("(node, text) => { node.textContent = text; }", text(label, language))
            height = bar.evaluate("(node) => node.getBoundingClientRect().height")
            assert height <= one_row + 2, (language, label, height, one_row)
    context.close()


def test_japanese_names_wrap_between_phrases(browser: Browser, kiosk: Kiosk) -> None:
    """On a portrait kiosk 「死亡届・火葬許可申請」 ended a line at 申 and left 請 alone under it."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="ja-JP")
    page = context.new_page()
    page.goto(kiosk.url)
    expect(page.locator("#services .tile").first).to_be_visible()
    wrapped, orphaned = wrapped_texts(page.locator("#life-events .tile .name, #services .tile .name").all())
    assert len(wrapped) >= 5, "names long enough to wrap on a portrait screen"
    assert orphaned == []
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 1080, "height": 1920}, {"width": 1280, "height": 800}])
def test_easy_japanese_names_wrap_between_words(browser: Browser, kiosk: Kiosk, viewport: dict[str, int]) -> None:
    """やさしい日本語 is written a word at a time (分かち書き), for readers of kana: a portrait kiosk
    broke its names wherever a line filled, inside a word (「…{届|とど} / け」, 「{引|ひ}っ / {越|こ}して」)."""
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    page = context.new_page()
    page.goto(kiosk.url)
    choose_language(page, "ja_easy")
    expect(page.locator("#services .tile .name ruby").first).to_be_visible()
    names = page.locator("#life-events .tile .name, #services .tile .name").all()
    shot(page, f"ja_easy-names-{viewport['width']}x{viewport['height']}")
    wrapped, inside_a_word = broken_inside_words(names)
    assert len(wrapped) >= 5, "names long enough to wrap"
    assert inside_a_word == []
    context.close()
