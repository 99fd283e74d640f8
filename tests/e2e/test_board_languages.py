"""The lobby board in every kiosk language (issue 16), in Debian's chromium against a real server:
on a busy board (many calls, one being served, next-counter guidance, a footer of labels) the
line under the Japanese walks through every language; each text and name is in that language
with its `lang`, a name without a translation is marked so, and no tile moves when it changes.
The sentence being said is shown in the rotating line, never in the ticket's language.

Screenshots go to tests/output/ (and MADOGUCHI_SHOTS, when set)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from server.catalog.translations import CITIZEN_LANGUAGES, bare_kanji, reading_of, without_ruby
from server.config import DEFAULT_CONFIG_PATH
from tests.e2e.support import BRANCH, hall_with_board
from tests.e2e.test_display_and_status import CityHall

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = Path(__file__).resolve().parents[1] / "output"
HTML_LANG = {
    "ja": "ja", "ja_easy": "ja", "en": "en", "zh": "zh-Hans", "zh_hant": "zh-Hant", "ko": "ko",
    "vi": "vi", "pt": "pt", "tl": "tl", "id": "id", "ne": "ne",
}  # fmt: skip
# Written here, not read from the page's dictionary: the heading over the calls and a window's line.
NOW_CALLING = {
    "ja_easy": "よんで いる ばんごう", "en": "Now calling", "zh": "正在叫号", "zh_hant": "正在叫號",
    "ko": "호출 중", "vi": "Đang gọi số", "pt": "Chamando agora", "tl": "Tinatawag ngayon",
    "id": "Sedang dipanggil", "ne": "अहिले बोलाइँदै",
}  # fmt: skip
WINDOW = {
    "ja_easy": "{c}ばん まどぐち", "en": "Counter {c}", "zh": "{c}号窗口", "zh_hant": "{c}號窗口", "ko": "{c}번 창구",
    "vi": "Quầy {c}", "pt": "Guichê {c}", "tl": "Counter {c}", "id": "Loket {c}", "ne": "काउन्टर {c}",
}  # fmt: skip
# Tagalog says "counter" as English does: the only lines allowed to read the same.
SAME_AS_ENGLISH = {"tl": re.compile(r"^Counter \d+$|^\S+: please wait")}
# One label left untranslated in Korean: shown in English, marked (영어).
UNTRANSLATED = ("ko", "C")

# Every rotating line on the page, with what its own words say in the shown language and in
# English (board.js keeps each line's words on the element), and its box and its text's box.
LINES = """
() => Array.from(document.querySelectorAll(".pair > .second")).map((line) => {
  const board = window.madoguchiBoard;
  const plain = (node) => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll("rt, .shown-in").forEach((part) => part.remove());
    return copy.textContent.trim();
  };
  const box = line.getBoundingClientRect();
  const fit = line.querySelector(".fit").getBoundingClientRect();
  const main = line.parentElement.querySelector(".main");
  const english = line.words(board.words.en, "en");
  return {
    where: line.parentElement.className + " " + (line.closest("[id]")?.id ?? ""),
    free: line.parentElement.classList.contains("free"),
    shown: line.offsetParent !== null,
    text: plain(line),
    main: main ? plain(main) : null,
    english: typeof english === "string" ? english : english.text,
    ruby: line.querySelectorAll("ruby").length,
    lang: line.getAttribute("lang"),
    dataLang: line.dataset.lang,
    fallback: line.dataset.fallback ?? null,
    marker: line.querySelector(".shown-in")?.textContent ?? null,
    box: [box.width, box.height],
    fit: [fit.width, fit.height],
  };
})
"""
# An element's text as read: without furigana and without the "shown in English" mark.
PLAIN = """(node) => {
  const copy = node.cloneNode(true);
  copy.querySelectorAll("rt, .shown-in").forEach((part) => part.remove());
  return copy.textContent.trim();
}"""
BOXES = """
() => Array.from(document.querySelectorAll(
  "#now-calling .card, .card .number, header.top, .calling, .side > section, footer.waiting, #waiting li, #guidance li"
)).map((node) => { const b = node.getBoundingClientRect(); return [b.left, b.top, b.width, b.height].map(Math.round); })
"""


def _config_with_a_missing_translation(folder: Path) -> Path:
    """The demo city hall, with its translations, but Korean lacking one public label."""
    config_path = folder / "city_hall.yaml"
    shutil.copy(DEFAULT_CONFIG_PATH, config_path)
    i18n = folder / "city_hall.i18n"
    shutil.copytree(DEFAULT_CONFIG_PATH.with_suffix(".i18n"), i18n)
    language, prefix = UNTRANSLATED
    words = yaml.safe_load((i18n / f"{language}.yaml").read_text(encoding="utf-8"))
    del words["queues"][prefix]
    (i18n / f"{language}.yaml").write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    return config_path


@pytest.fixture(scope="module")
def city_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityHall]:
    folder = tmp_path_factory.mktemp("e2e-board-languages")
    config_path = _config_with_a_missing_translation(folder)
    with hall_with_board(folder, "e2e-board-languages", config_path) as started:
        hall = CityHall(started.server, started.display_token, started.kiosk_token, started.staff_token)
        _make_it_busy(hall)
        yield hall


def _make_it_busy(hall: CityHall) -> None:
    """A routed ticket waiting near window 9, calls at eight windows (one being served), and
    people waiting under several labels."""
    routed = hall.issue(life_event="move_in", answers={"has_mynumber_card": True})
    for counter in ("1", "R1", "B1"):
        assert hall.serve_next(counter)["number"] == routed["number"]
        hall.act(counter, "close")
    windows = [c for c in hall.api("GET", f"/branches/{BRANCH}/counters") if c["public"] and c["name"] != "9"]
    for counter in windows[:8]:
        hall.api("POST", f"/branches/{BRANCH}/tickets", service=counter["services"][0])
        hall.api("POST", f"/counters/{counter['id']}/open")
        hall.api("POST", f"/counters/{counter['id']}/call-next")
    hall.api("POST", f"/counters/{windows[0]['id']}/start")
    for service in ("certificate", "certificate", "nhi_enroll", "child_allowance", "tax_general", "welfare_consult"):
        hall.issue(service=service)


def _words(language: str) -> dict[str, Any]:
    if language in ("ja", "en"):
        return {}
    path = DEFAULT_CONFIG_PATH.with_suffix(".i18n") / f"{language}.yaml"
    words: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return words


def _plain(text: str) -> str:
    return without_ruby(text, reading=False)


def _shown(text: str, language: str) -> str:
    """A name as the rotating line shows it: やさしい日本語 by its reading (kana alone)."""
    return reading_of(text) if language == "ja_easy" else _plain(text)


def _board(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP").new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(url)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    return page, problems


def shot(page: Page, name: str) -> None:
    for folder in filter(None, [OUTPUT, os.environ.get("MADOGUCHI_SHOTS")]):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def test_a_busy_board_walks_through_every_language_and_nothing_moves(city_hall: CityHall, browser: Browser) -> None:
    # rotate=600: the test turns the line itself, one language after another.
    page, problems = _board(browser, city_hall.board_url("&sound=off&rotate=600"))
    try:
        expect(page.locator("#now-calling .card")).to_have_count(8)
        expect(page.locator("#now-calling .card.serving")).to_have_count(1)
        expect(page.locator("#guidance li")).to_have_count(1)
        expect(page.locator('#waiting li[data-label="証明書"] .count .main')).to_have_text("2人")
        languages = page.evaluate("window.madoguchiBoard.languages")
        assert languages["main"] == "ja"
        # Every kiosk language but Japanese, once per round, English before every two others.
        assert set(languages["rotation"]) == set(CITIZEN_LANGUAGES) - {"ja"}
        assert languages["rotation"][::3] == ["en"] * 5
        assert page.locator("body").get_attribute("data-second") == "en"
        before = page.evaluate(BOXES)
        waiting = page.evaluate("window.madoguchiBoard.state.waiting")
        labels = [row["label_ja"] for row in waiting]
        footer = page.locator("#waiting li")
        expect(footer).to_have_count(len(labels))
        # Every label's Japanese line whole (マイナンバーカード is set smaller, not cut).
        cut = page.evaluate(
            "[...document.querySelectorAll('#waiting .label > .main')]"
            ".filter((line) => line.scrollWidth > line.clientWidth + 1).map((line) => line.textContent)"
        )
        assert cut == []

        for language in [code for code in CITIZEN_LANGUAGES if code != "ja"]:
            page.evaluate("(code) => window.madoguchiBoard.languages.show(code)", language)
            where = f"[{language}]"
            lines = page.evaluate(LINES)
            assert len(lines) > 30, where
            for line in lines:
                assert (line["dataLang"], line["lang"]) == (language, HTML_LANG[language]), (where, line)
                if line["shown"] and not line["free"]:
                    # The text fits its box (set smaller when it must), the box is whole.
                    assert line["fit"][0] <= line["box"][0] + 1, (where, line)
                    assert line["fit"][1] <= line["box"][1] + 1, (where, line)
                # The board's own words (the names are checked against the translations below).
                own = "named" not in line["where"]
                if own and language != "en" and line["text"] == line["english"]:
                    same = SAME_AS_ENGLISH.get(language)
                    assert same is not None, (where, line)
                    assert same.search(line["text"]), (where, line)
                if line["fallback"] is None and line["text"] == line["main"]:
                    # Japanese under Japanese only as やさしい日本語, in kana.
                    assert language == "ja_easy", (where, line)
                if language == "ja_easy" and line["fallback"] is None:
                    # Its reading alone, as large as the line: the kanji are on the line above.
                    assert not bare_kanji(line["text"]), (where, line)
                    assert line["ruby"] == 0, (where, line)

            heading = page.locator(".calling h1 .second")
            expect(heading).to_have_text(NOW_CALLING[language])
            for card in page.locator("#now-calling .card").all():
                counter = card.get_attribute("data-counter")
                expect(card.locator(".counter .second")).to_have_text(WINDOW[language].format(c=counter))
            near = re.compile(re.escape(WINDOW[language].format(c="9")), re.IGNORECASE)
            expect(page.locator("#guidance li .second")).to_contain_text(near)

            words = _words(language)
            branch = page.locator("#branch .second")
            expect(branch).to_have_attribute("lang", HTML_LANG[language])
            branch_text = branch.evaluate(PLAIN)
            assert branch_text == _shown(words.get("branch", "Sample City Hall (main building)"), language), where
            _check_labels(page, language, words, waiting)
            assert page.evaluate(BOXES) == before, f"{where}: a tile or panel moved when the line changed"
            shot(page, f"board-languages-{language}")
        assert problems == []
    finally:
        page.context.close()


def _check_labels(page: Page, language: str, words: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    queues = words.get("queues", {})
    for row in rows:
        line = page.locator(f'#waiting li[data-label="{row["label_ja"]}"] .label .second')
        text = line.evaluate(PLAIN)
        if language == "en":
            assert text == row["label_en"]
            continue
        if row["label_ja"] == "証明書" and language == UNTRANSLATED[0]:
            # Not silently English: marked as shown in English, in the reader's language.
            expect(line).to_have_attribute("data-fallback", "en")
            assert text == "Certificates"
            expect(line.locator(".shown-in")).to_have_text("(영어)")
            continue
        assert line.get_attribute("data-fallback") is None, (language, row["label_ja"])
        labels = [entry["label"] for entry in queues.values()] + [words["sensitive_label"]]
        assert text in {_shown(label, language) for label in labels}, (language, row["label_ja"], text)


def test_the_line_turns_by_itself_and_a_japanese_board_has_none(city_hall: CityHall, browser: Browser) -> None:
    page, problems = _board(browser, city_hall.board_url("&sound=off&lang=ja,en,vi&rotate=1"))
    try:
        assert page.evaluate("window.madoguchiBoard.languages.rotation") == ["en", "vi"]
        expect(page.locator("body")).to_have_attribute("data-second", "vi", timeout=3000)
        expect(page.locator(".calling h1 .second")).to_have_text("Đang gọi số")
        expect(page.locator("body")).to_have_attribute("data-second", "en", timeout=3000)
        expect(page.locator(".calling h1 .second")).to_have_text("Now calling")
        page.goto(city_hall.board_url("&sound=off&lang=ja"))
        expect(page.locator("#connection")).to_have_attribute("data-state", "live")
        expect(page.locator("#now-calling .card")).not_to_have_count(0)
        assert page.locator(".second").count() == 0
        assert problems == []
    finally:
        page.context.close()


def test_the_sentence_being_said_is_shown_in_the_rotating_line_not_the_tickets_language(
    city_hall: CityHall, browser: Browser
) -> None:
    page, problems = _board(browser, city_hall.board_url("&rotate=600"))
    try:
        expect(page.locator("#now-calling .card")).to_have_count(8)
        page.evaluate("() => window.madoguchiBoard.languages.show('ko')")
        busy = {card.get_attribute("data-counter") for card in page.locator("#now-calling .card").all()}
        counters = city_hall.api("GET", f"/branches/{BRANCH}/counters")
        # A free window where nobody waits: the next call there is this citizen's.
        free = [c for c in counters if c["public"] and c["name"] not in busy | {"9"}]
        window = next(c for c in free if not city_hall.api("GET", f"/counters/{c['id']}/waiting"))
        ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", service=window["services"][0], language="vi")
        city_hall.api("POST", f"/counters/{window['id']}/open")
        while city_hall.api("POST", f"/counters/{window['id']}/call-next")["ticket"]["number"] != ticket["number"]:
            city_hall.api("POST", f"/counters/{window['id']}/complete")  # someone who came earlier
        saying = page.locator("#saying[data-active]")
        expect(saying).to_have_attribute("data-number", ticket["number"], timeout=30_000)
        number, counter = ticket["number"], window["name"]
        expect(saying.locator(".main")).to_have_text(f"{number}番の方、{counter}番窓口へお越しください")
        expect(saying.locator(".second")).to_have_attribute("lang", "ko")
        expect(saying.locator(".second")).to_have_text(f"{number}번 고객님, {counter}번 창구로 오십시오")
        # Nothing on the board tells the lobby which language the citizen chose.
        assert page.locator('[lang="vi"]').count() == 0
        shot(page, "board-languages-saying-ko")
        city_hall.api("POST", f"/counters/{window['id']}/complete")
        city_hall.api("POST", f"/counters/{window['id']}/close")
        assert problems == []
    finally:
        page.context.close()


# The survey's heading, written here (not read from the page's dictionary).
SURVEY_HEADING = {
    "ja": "アンケートにご協力ください", "ja_easy": "アンケートに こたえて ください", "en": "One quick question",
    "zh": "请协助填写问卷", "zh_hant": "請協助填寫問卷", "ko": "설문에 협조해 주십시오",
    "vi": "Xin vui lòng trả lời khảo sát", "pt": "Uma pergunta rápida", "tl": "Isang maikling tanong",
    "id": "Satu pertanyaan singkat", "ne": "एउटा छोटो प्रश्न",
}  # fmt: skip


def _finished_ticket(city_hall: CityHall, language: str) -> dict[str, Any]:
    """A ticket of this language, called and completed at window 7 (older calls there first)."""
    ticket = city_hall.issue(service="certificate", language=language)
    city_hall.act("7", "open")
    while True:
        if any(c["name"] == "7" and c["current_ticket"] for c in city_hall.api("GET", f"/branches/{BRANCH}/counters")):
            city_hall.act("7", "complete")
        number = city_hall.act("7", "call-next")["ticket"]["number"]
        city_hall.act("7", "complete")
        if number == ticket["number"]:
            return ticket


def test_the_survey_asks_in_every_language(city_hall: CityHall, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        for language in CITIZEN_LANGUAGES:
            ticket = _finished_ticket(city_hall, language)
            reasons = httpx.get(
                f"{city_hall.server.base_url}/api/v1/tickets/{ticket['status_token']}/satisfaction", timeout=10
            ).json()["reasons"]
            page.goto(f"{city_hall.server.base_url}/t/{ticket['status_token']}")
            survey = page.locator("#survey")
            expect(survey.locator("h2")).to_have_text(SURVEY_HEADING[language])
            expect(survey).to_have_attribute("lang", HTML_LANG[language])
            expect(page.locator("html")).to_have_attribute("data-language", language)
            shown = [label.evaluate(PLAIN) for label in survey.locator(".survey-reasons label > span").all()]
            assert shown[1:] == [_plain(reason["labels"][language]) for reason in reasons], language
            assert survey.locator("[data-fallback]").count() == 0
            scale = [text.evaluate(PLAIN) for text in survey.locator(".survey-score-text").all()]
            assert len(set(scale)) == 5
            if language == "ja_easy":
                expect(survey.locator("legend ruby").first).to_be_visible()
                no_ruby = "(node) => { const c = node.cloneNode(true); c.querySelectorAll('ruby').forEach((r) => r.remove()); return c.textContent; }"  # noqa: E501
                assert bare_kanji(survey.evaluate(no_ruby)) == []
            if language not in ("ja", "en"):
                assert not set(scale) & {"とても不満", "満足", "Neutral", "Very satisfied"}, language
            # Sent without a score: the page says so in its own language.
            survey.locator(".survey-send").click()
            error = survey.locator("#survey-error")
            expect(error).not_to_be_empty()
            if language not in ("ja", "en"):
                assert error.evaluate(PLAIN) not in {
                    "1〜5 のいずれかをお選びください。",
                    "Please choose a score from 1 to 5.",
                }
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, language
            if language in ("ja_easy", "vi", "ne"):
                survey.scroll_into_view_if_needed()
                shot(page, f"survey-{language}")
            page.evaluate("sessionStorage.clear()")
        # The last one is answered: thanked in Nepali.
        survey.locator(".survey-score").nth(3).click()
        survey.locator(".survey-send").click()
        expect(page.locator(".survey-thanks")).to_have_text("जवाफका लागि धन्यवाद। सुधारका लागि प्रयोग गरिनेछ।")
        assert problems == []
    finally:
        context.close()
