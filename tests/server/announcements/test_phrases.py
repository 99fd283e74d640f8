"""Announcement text: number and counter readings as Open JTalk will actually pronounce them."""

import inspect

import pyopenjtalk
import pytest

from server.announcements import Announcer
from server.announcements.phrases import (
    DEFAULT_TEMPLATES,
    AnnouncementKind,
    PhraseError,
    TicketNumber,
    announcement_phrases,
    announcement_texts,
    counter_reading_ja,
    japanese_numeral,
    japanese_numeral_kana,
    number_reading_ja,
    number_spoken,
    render,
)


def reading(text: str) -> str:
    return str(pyopenjtalk.g2p(text, kana=True))


def katakana(hiragana: str) -> str:
    """Hiragana → katakana with Open JTalk's long vowels (じゅう → ジュー)."""
    text = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in hiragana)
    return text.replace("ュウ", "ュー").replace("ョウ", "ョー")


# Written out by hand, not derived from the code under test.
NUMBER_READINGS = {
    "A001": "エーイチバン",
    "A012": "エージューニバン",
    "B100": "ビーヒャクバン",
    "L305": "エルサンビャクゴバン",
    "X999": "エックスキューヒャクキュージューキューバン",
    "C1000": "シーセンバン",
    "H018": "エイチジューハチバン",
    "T600": "ティーロッピャクバン",
    "F800": "エフハッピャクバン",
    "D3000": "ディーサンゼンバン",
    "W340": "ダブリューサンビャクヨンジューバン",
    "S8000": "エスハッセンバン",
    "R017": "アールジューナナバン",
}
COUNTER_READINGS = {
    "1": "イチバンマドグチ",
    "4": "ヨンバンマドグチ",
    "7": "ナナバンマドグチ",
    "9": "キューバンマドグチ",
    "10": "ジューバンマドグチ",
    "14": "ジューヨンバンマドグチ",
    "20": "ニジューバンマドグチ",
}


@pytest.mark.parametrize(("number", "expected"), NUMBER_READINGS.items())
@pytest.mark.parametrize("kind", list(AnnouncementKind))
def test_ticket_number_reads_correctly_in_every_sentence(kind: AnnouncementKind, number: str, expected: str) -> None:
    phrase = announcement_phrases(kind, number=number, counter="3", languages=["ja"])["ja"]
    assert reading(phrase.text).startswith(expected)
    # The spliced pieces read the same as the whole sentence.
    assert reading(phrase.pieces[0]) + reading(phrase.pieces[1]) == expected


@pytest.mark.parametrize(("counter", "expected"), COUNTER_READINGS.items())
@pytest.mark.parametrize("kind", list(AnnouncementKind))
def test_counter_reads_correctly(kind: AnnouncementKind, counter: str, expected: str) -> None:
    phrase = announcement_phrases(kind, number="A012", counter=counter, languages=["ja"])["ja"]
    assert expected + "エオコシクダサイ" in reading(phrase.text)
    assert reading(phrase.pieces[-1]).startswith(expected)
    # Never the ambiguous readings of 4, 7 and 9.
    assert not {"シバン", "シチバン", "クバン"} & {reading(piece)[:4] for piece in phrase.pieces}


def test_examples_from_the_brief() -> None:
    assert number_reading_ja("A012") == "エー十二"
    assert number_reading_ja("L305") == "エル三百五"
    assert number_reading_ja("D3000") == "ディー三千"
    assert japanese_numeral_kana(305) == "さんびゃくご"
    assert japanese_numeral_kana(100) == "ひゃく"
    assert japanese_numeral_kana(1000) == "せん"
    assert [japanese_numeral_kana(n) for n in (300, 600, 800, 3000, 8000)] == [
        "さんびゃく",
        "ろっぴゃく",
        "はっぴゃく",
        "さんぜん",
        "はっせん",
    ]
    assert counter_reading_ja("3") == "三"


def test_every_number_up_to_9999_reads_as_its_kana() -> None:
    # Exhaustive because Open JTalk's number handling has surprises (百十 ヒャクトー with digits,
    # センワチジュー with hiragana); kanji numerals are the form that reads right every time.
    wrong = [
        value
        for value in range(1, 10_000)
        if reading(japanese_numeral(value) + "番") != katakana(japanese_numeral_kana(value)) + "バン"
    ]
    assert wrong == []


def test_letter_c_is_not_read_as_english_si() -> None:
    # Open JTalk reads katakana シー as スィー; the lobby says シー.
    assert reading(number_reading_ja("C001") + "番").startswith("シー")


def test_numbers_are_parsed_leniently_but_strictly() -> None:
    assert TicketNumber.parse(" a012 ") == TicketNumber("A", 12)
    assert TicketNumber.parse("Ｌ１０５") == TicketNumber("L", 105)
    assert TicketNumber.parse("012") == TicketNumber("", 12)
    for bad in ("", "A", "死亡届", "A-12", "ABCD1", "A12B"):
        with pytest.raises(PhraseError):
            TicketNumber.parse(bad)


def test_english_says_the_letter_then_the_number() -> None:
    texts = announcement_texts("call", number="A012", counter="03")
    assert texts["en"] == "Ticket number A-12, please go to counter 3."
    assert number_spoken("L105") == "L-105"
    assert number_spoken("007") == "7"


def test_default_japanese_templates_match_the_reference() -> None:
    assert DEFAULT_TEMPLATES[AnnouncementKind.CALL]["ja"] == (
        "{number_ja}番の番号札をお持ちのお客様、{counter}番窓口へお越しください。"
    )
    assert DEFAULT_TEMPLATES[AnnouncementKind.CALL]["en"] == "Ticket number {number}, please go to counter {counter}."
    texts = announcement_texts("ready_for_pickup", number="H018", counter="7")
    assert texts["ja"] == "エイチ十八番のお客様、お待たせしました。七番窓口へお越しください。"


def test_pieces_always_join_to_the_sentence() -> None:
    for kind, by_lang in DEFAULT_TEMPLATES.items():
        for lang, template in by_lang.items():
            phrase = render(template, lang, number="B204", counter="12")
            assert "".join(phrase.pieces) == phrase.text, (kind, lang)


def test_only_number_and_counter_can_reach_the_speaker() -> None:
    # The API has no parameter for a procedure or a name …
    signature = inspect.signature(Announcer.announcement)
    assert list(signature.parameters) == ["self", "kind", "number", "counter", "brief", "listener"]
    assert signature.parameters["brief"].annotation in (bool, "bool")  # how long, never what
    # The listener's language picks the voices, never words: sequence() returns language codes.
    assert signature.parameters["listener"].annotation in (str | None, "str | None")
    assert list(inspect.signature(Announcer.get).parameters) == ["self", "kind", "number", "counter"]
    # … templates cannot ask for one …
    with pytest.raises(PhraseError, match="not allowed"):
        render("{number_ja}番の方、{service}の窓口へ", "ja", number="A001", counter="1")
    with pytest.raises(PhraseError):
        render("{number.__class__}", "en", number="A001", counter="1")
    # … and a counter is a number, not a section name.
    for counter in ("死亡・相続", "生活保護", "counter 3", ""):
        with pytest.raises(PhraseError):
            announcement_texts("call", number="A001", counter=counter)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="next_stop"):
        announcement_texts("next_stop", number="A001", counter="1")
