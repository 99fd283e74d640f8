"""The status page in every kiosk language, on a phone (390×844) in Debian's chromium: it opens in
the ticket's language, its own words and the route's names in that language (furigana for
やさしい日本語), every language offered by name.

Screenshots go to tests/output/ (and MADOGUCHI_SHOTS, when set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.catalog.translations import CITIZEN_LANGUAGES, bare_kanji
from tests.e2e.support import BRANCH, LINES, HallWithBoard, broken_inside_words, hall_with_board

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = Path(__file__).resolve().parents[1] / "output"
# The page's title and the waiting status in each language checked here.
EXPECTED = {
    "vi": ("Phiếu số của bạn", "Vui lòng chờ", "vi"),
    "ne": ("तपाईंको टोकन", "कृपया पर्खनुहोस्", "ne"),
    "ja_easy": ("ばんごうふだ", "まって ください", "ja"),
    "zh_hant": ("號碼牌狀態", "請稍候", "zh-Hant"),
    "ko": ("번호표 상태", "기다려 주십시오", "ko"),
}


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HallWithBoard]:
    with hall_with_board(tmp_path_factory.mktemp("e2e-status-languages"), "status-languages") as hall:
        yield hall


def issue(hall: HallWithBoard, **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{hall.server.base_url}/api/v1/branches/{BRANCH}/tickets",
        json=body,
        headers={"Authorization": f"Bearer {hall.kiosk_token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    context.close()
    assert problems == []


# Whether a <select> is wide enough for the text of its chosen option, its arrow and padding.
SHOWS_ITS_CHOICE = """(select) => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  return context.measureText(select.options[select.selectedIndex].text).width + 24 <= select.clientWidth;
}"""


def shot(page: Page, name: str) -> None:
    for folder in filter(None, [OUTPUT, os.environ.get("MADOGUCHI_SHOTS")]):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"status-{name}.png"), full_page=True)


def test_the_status_page_speaks_the_tickets_language(hall: HallWithBoard, phone: Page) -> None:
    answers = {"national_health_insurance": True, "mother_pays_national_pension": True, "wants_nursery": True}
    for language, (title, waiting, html_lang) in EXPECTED.items():
        ticket = issue(hall, life_event="birth", answers=answers, language=language)
        phone.goto(f"{hall.server.base_url}/t/{ticket['status_token']}")
        expect(phone.locator("#number")).to_have_text(ticket["number"])
        expect(phone.locator("#title")).to_have_text(title)
        expect(phone.locator("#status")).to_have_text(waiting)
        expect(phone.locator("html")).to_have_attribute("lang", html_lang)
        expect(phone.locator("#language-choice")).to_have_value(language)
        lines = phone.locator("#stops li.window .line")
        expect(lines.first).to_be_visible()
        assert phone.locator("[data-fallback]").count() == 0
        names = ticket["visits"][0]["labels_local"]
        if language == "ja_easy":
            expect(lines.first.locator("ruby").first).to_be_visible()
            bare = phone.evaluate(
                """() => { const copy = document.getElementById('stops').cloneNode(true);
                  copy.querySelectorAll('ruby').forEach((ruby) => ruby.remove()); return copy.textContent; }"""
            )
            assert bare_kanji(bare) == [], bare
            # Written a word at a time, it wraps between words, not inside one (「くださ / い」,
            # 「{引|ひ}っ / {越|こ}して」).
            drawn = phone.locator("#where").evaluate(LINES)
            assert len(drawn) > 1, "the phone is narrow enough for the sentence to wrap"
            assert all(line.endswith(" ") for line in drawn[:-1]), drawn
            wrapped, inside_a_word = broken_inside_words(lines.all())
            assert wrapped, "route lines long enough to wrap"
            assert inside_a_word == []
            # The bar keeps its title whole (「ばんごうふ / だ」) and the language's whole name
            # beside it (「やさしい にほん」 was cut).
            assert len(phone.locator("#title").evaluate(LINES)) == 1
            assert phone.locator("#language-choice").evaluate(SHOWS_ITS_CHOICE)
        else:
            expect(lines.first).to_contain_text(names[0])
            # Windows listed the language's way ("10, 11"), not the Japanese 「10・11」.
            windows = [line.split(":")[0] for line in phone.locator("#stops li.window .line").all_inner_texts()]
            assert not any("・" in window for window in windows), (language, windows)
            assert any(("," in window or "、" in window) for window in windows), (language, windows)
        # Nothing wider than the phone.
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        shot(phone, language)
        phone.evaluate("sessionStorage.clear()")


def test_every_language_is_offered_and_a_missing_name_is_marked(hall: HallWithBoard, phone: Page) -> None:
    ticket = issue(hall, service="certificate", language="pt")
    phone.goto(f"{hall.server.base_url}/t/{ticket['status_token']}")
    expect(phone.locator("#title")).to_have_text("Sua senha")
    options = phone.locator("#language-choice option")
    assert options.evaluate_all("(options) => options.map((option) => option.value)") == list(CITIZEN_LANGUAGES)
    phone.locator("#language-choice").select_option("zh")
    expect(phone.locator("#title")).to_have_text("号码牌状态")
    # The route's names come in the ticket's language (Portuguese) only: in Chinese the page
    # shows the English names, as the English page does.
    expect(phone.locator("#stops li .line").first).to_contain_text("Certificates")
    expect(phone.locator("#stops li .line").first).to_have_attribute("data-fallback", "en")
    expect(phone.locator("#stops .fallback-note").first).to_contain_text("此项以英语显示")
    shot(phone, "pt-ticket-in-zh")
    phone.locator("#language").click()  # the quick switch: Japanese
    expect(phone.locator("#title")).to_have_text("番号札の状況")
    phone.locator("#language").click()  # and back to the ticket's language
    expect(phone.locator("#title")).to_have_text("Sua senha")
    expect(phone.locator("#stops li .line").first).to_contain_text("Certidões")
    phone.evaluate("sessionStorage.clear()")
