"""What the lobby hears: announcement sentences built from a ticket number and a counter only.

The public API takes nothing but a ticket number and a counter name, and templates may use only
`{number_ja}`, `{number}` and `{counter}`, so a procedure name (死亡届, 離婚届, 生活保護 …) has no
way into a spoken call.

Japanese numbers are written as kanji numerals for Open JTalk: checked with
`pyopenjtalk.g2p` for every number 1–9999 after each prefix letter and in every template, kanji
numerals read correctly (さんびゃく, ろっぴゃく, はっぴゃく, さんぜん, はっせん, よんばん, ななばん,
きゅうばん), while hiragana numerals fail (「せんはちじゅう」 is parsed with the particle は and
read センワチジュー) and Arabic digits fail too (「110番」 reads ヒャクトーバン).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class AnnouncementKind(StrEnum):
    """The spoken announcements. `next_stop` is screen and slip only, so it is not here."""

    CALL = "call"
    RECALL = "recall"
    READY_FOR_PICKUP = "ready_for_pickup"


# As in the reference `announcements.templates` and config/demo_city_hall.yaml (zh … id are
# drafts awaiting native review there); a city overrides them per kind and language.
DEFAULT_TEMPLATES: Mapping[AnnouncementKind, Mapping[str, str]] = {
    AnnouncementKind.CALL: {
        "ja": "{number_ja}番の番号札をお持ちのお客様、{counter}番窓口へお越しください。",
        "ja_easy": "{number_ja}ばんの かた、{counter}ばんの まどぐちへ きて ください。",
        "en": "Ticket number {number}, please go to counter {counter}.",
        "zh": "请{number}号顾客到{counter}号窗口办理。",
        "ko": "{number}번 고객님, {counter}번 창구로 와 주십시오.",
        "vi": "Xin mời khách hàng số {number} đến quầy số {counter}.",
        "pt": "Senha {number}, por favor, dirija-se ao guichê {counter}.",
        "tl": "Numero {number}, pumunta po sa counter {counter}.",
        "id": "Nomor antrean {number}, silakan menuju loket {counter}.",
    },
    AnnouncementKind.RECALL: {
        "ja": ("{number_ja}番の番号札をお持ちのお客様はいらっしゃいませんか。{counter}番窓口へお越しください。"),
        "ja_easy": "{number_ja}ばんの かたは いませんか。{counter}ばんの まどぐちへ きて ください。",
        "en": "Calling again: ticket number {number}, please come to counter {counter}.",
        "zh": "再次呼叫：请{number}号顾客到{counter}号窗口办理。",
        "ko": "다시 안내드립니다. {number}번 고객님, {counter}번 창구로 와 주십시오.",
        "vi": "Xin nhắc lại: mời khách hàng số {number} đến quầy số {counter}.",
        "pt": "Chamando novamente: senha {number}, por favor, dirija-se ao guichê {counter}.",
        "tl": "Muling tinatawag: numero {number}, pumunta po sa counter {counter}.",
        "id": "Panggilan ulang: nomor antrean {number}, silakan menuju loket {counter}.",
    },
    AnnouncementKind.READY_FOR_PICKUP: {
        "ja": "{number_ja}番のお客様、お待たせしました。{counter}番窓口へお越しください。",
        "ja_easy": ("{number_ja}ばんの かた、おまたせ しました。{counter}ばんの まどぐちへ きて ください。"),
        "en": "Ticket {number}, your documents are ready at counter {counter}.",
        "zh": "{number}号顾客，您的文件已准备好，请到{counter}号窗口领取。",
        "ko": "{number}번 고객님, 서류가 준비되었습니다. {counter}번 창구로 와 주십시오.",
        "vi": "Khách hàng số {number}, giấy tờ của quý khách đã sẵn sàng tại quầy số {counter}.",
        "pt": "Senha {number}, seus documentos estão prontos no guichê {counter}.",
        "tl": "Numero {number}, handa na po ang inyong mga dokumento sa counter {counter}.",
        "id": "Nomor {number}, dokumen Anda sudah siap di loket {counter}.",
    },
}

PLACEHOLDERS = frozenset({"number_ja", "number", "counter"})

# How a Japanese lobby says the letters. C is written in hiragana on purpose: Open JTalk's
# dictionary gives katakana シー the English-style pronunciation スィー, which is not what the
# counter staff say; しー reads シー.
LETTER_READINGS_JA: Mapping[str, str] = {
    "A": "エー", "B": "ビー", "C": "しー", "D": "ディー", "E": "イー", "F": "エフ",
    "G": "ジー", "H": "エイチ", "I": "アイ", "J": "ジェー", "K": "ケー", "L": "エル",
    "M": "エム", "N": "エヌ", "O": "オー", "P": "ピー", "Q": "キュー", "R": "アール",
    "S": "エス", "T": "ティー", "U": "ユー", "V": "ブイ", "W": "ダブリュー", "X": "エックス",
    "Y": "ワイ", "Z": "ゼット",
}  # fmt: skip

_TICKET_NUMBER = re.compile(r"([A-Z]{0,3})([0-9]{1,8})")
# Counters are announced by their public name, which must be a short number or code: a free-text
# name could carry a procedure or section name into the lobby.
_COUNTER = re.compile(r"[A-Z0-9]{1,6}")
_COUNTER_TOKENS = re.compile(r"[A-Z]+|[0-9]+")
_KANJI_DIGITS = "〇一二三四五六七八九"
_KANA_DIGITS = ("", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう")
# Sound changes (rendaku, gemination) of the hundreds and thousands, for the kana reading.
_KANA_HUNDREDS = {1: "ひゃく", 3: "さんびゃく", 6: "ろっぴゃく", 8: "はっぴゃく"}
_KANA_THOUSANDS = {1: "せん", 3: "さんぜん", 8: "はっせん"}
# Japanese "counter suffix" written after a number in the templates: it belongs with the number
# when the sentence is cut into fragments, because 番 changes how a number ends (四番 ヨンバン).
_NUMBER_SUFFIXES = ("番", "ばん")
_CLAUSE_ENDS = frozenset("、。,.!?！？")


class PhraseError(ValueError):
    """A ticket number, counter or template that cannot be announced."""


@dataclass(frozen=True)
class TicketNumber:
    """A ticket number split into its letter prefix and its integer value ("A012" → A, 12)."""

    prefix: str
    value: int

    @classmethod
    def parse(cls, number: str) -> TicketNumber:
        text = unicodedata.normalize("NFKC", number).strip().upper()
        match = _TICKET_NUMBER.fullmatch(text)
        if match is None:
            raise PhraseError(f"not a ticket number: {number!r} (expected e.g. 'A012')")
        return cls(prefix=match.group(1), value=int(match.group(2)))


@dataclass(frozen=True)
class Phrase:
    """One sentence in one language.

    `pieces` is the same sentence cut where audio can be spliced without changing the reading:
    `"".join(pieces) == text` always holds, and each piece is exactly what a speech engine gets.
    """

    lang: str
    text: str
    pieces: tuple[str, ...]


def is_japanese(lang: str) -> bool:
    """ja, ja_easy, ja-JP … all go to the Japanese engine and use the Japanese number reading."""
    return normalize_lang(lang).split("-")[0] == "ja"


def normalize_lang(lang: str) -> str:
    return lang.strip().lower().replace("_", "-")


def japanese_numeral(value: int) -> str:
    """Kanji numeral as Open JTalk reads best: 12 → 十二, 305 → 三百五, 3000 → 三千."""
    if value < 0:
        raise PhraseError(f"negative number: {value}")
    if value == 0:
        return "ゼロ"  # 〇 is read レイ or ゼロ depending on context; ゼロ is unambiguous
    if value >= 10**8:
        raise PhraseError(f"number too large to announce: {value}")
    man, rest = divmod(value, 10_000)
    return (_numeral_below_10000(man) + "万" if man else "") + _numeral_below_10000(rest)


def _numeral_below_10000(value: int) -> str:
    out = []
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十")):
        digit, value = divmod(value, unit_value)
        if digit:
            # 一千 is not said; 千 alone is, as are 百 and 十.
            out.append(("" if digit == 1 else _KANJI_DIGITS[digit]) + unit)
    if value:
        out.append(_KANJI_DIGITS[value])
    return "".join(out)


def japanese_numeral_kana(value: int) -> str:
    """The reading of a number in hiragana (305 → さんびゃくご), for ruby text and for tests.

    Only for reading, never for the engine: see the module docstring.
    """
    if value == 0:
        return "ぜろ"
    if not 0 < value < 10_000:
        raise PhraseError(f"no kana reading for {value}")
    thousands, rest = divmod(value, 1000)
    hundreds, rest = divmod(rest, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if thousands:
        out += _KANA_THOUSANDS.get(thousands, _KANA_DIGITS[thousands] + "せん")
    if hundreds:
        out += _KANA_HUNDREDS.get(hundreds, _KANA_DIGITS[hundreds] + "ひゃく")
    if tens:
        out += ("" if tens == 1 else _KANA_DIGITS[tens]) + "じゅう"
    return out + _KANA_DIGITS[ones]


def letters_reading_ja(letters: str) -> str:
    return "".join(LETTER_READINGS_JA[letter] for letter in letters)


def number_reading_ja(number: str) -> str:
    """What the Japanese engine is given for a ticket number: "A012" → "エー十二"."""
    ticket = TicketNumber.parse(number)
    return letters_reading_ja(ticket.prefix) + japanese_numeral(ticket.value)


def number_spoken(number: str) -> str:
    """The ticket number for the other languages' engines: "A012" → "A-12".

    A lobby says "A twelve", not "A zero one two". The hyphen matters: espeak-ng reads
    "A 12" as the article ("uh twelve") but "A-12" as the letter, then the number.
    """
    ticket = TicketNumber.parse(number)
    if not ticket.prefix:
        return str(ticket.value)
    return f"{ticket.prefix}-{ticket.value}"


def normalize_counter(counter: str) -> str:
    text = unicodedata.normalize("NFKC", counter).strip().upper()
    if not _COUNTER.fullmatch(text):
        raise PhraseError(
            f"not a counter number: {counter!r} (announcements use the counter's number, "
            "e.g. '3' or '12', never a section or procedure name)"
        )
    # "03" is announced as counter 3, like a ticket number's leading zeros.
    return _COUNTER_TOKENS.sub(
        lambda token: str(int(token.group())) if token.group().isdigit() else token.group(), text
    )


def counter_reading_ja(counter: str) -> str:
    """Counter name for the Japanese engine: "4" → "四" (read よんばん before 番), "2B" → "二ビー"."""
    return _COUNTER_TOKENS.sub(
        lambda token: (
            japanese_numeral(int(token.group())) if token.group().isdigit() else letters_reading_ja(token.group())
        ),
        normalize_counter(counter),
    )


def check_template(template: str) -> None:
    """Refuse any placeholder but the three allowed, so no other field can reach the speaker."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError as error:
        raise PhraseError(f"malformed template {template!r}: {error}") from error
    for field in fields:
        if field not in PLACEHOLDERS:
            raise PhraseError(
                f"template placeholder {{{field}}} is not allowed; use only "
                + ", ".join(f"{{{name}}}" for name in sorted(PLACEHOLDERS))
            )


def merged_templates(
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[AnnouncementKind, dict[str, str]]:
    """The built-in templates with a city's overrides laid over them, checked."""
    merged = {kind: dict(by_lang) for kind, by_lang in DEFAULT_TEMPLATES.items()}
    for kind_name, by_lang in (overrides or {}).items():
        kind = AnnouncementKind(kind_name)
        for lang, template in by_lang.items():
            check_template(template)
            merged[kind][lang] = template
    return merged


def render(template: str, lang: str, *, number: str, counter: str) -> Phrase:
    """Fill a template for one language and cut it into splice-safe pieces.

    Japanese cuts: before and after the prefix letter, after the number's 番, and after each
    clause end (、。). A counter keeps the rest of its clause ("三番窓口へお越しください。"): there
    are few counters, so their clauses are cheap to pre-synthesise whole and sound natural.
    Other languages are one piece, because their engine is fast enough for whole sentences.
    """
    check_template(template)
    ticket = TicketNumber.parse(number)
    counter_name = normalize_counter(counter)
    japanese = is_japanese(lang)
    values = {
        "number_ja": letters_reading_ja(ticket.prefix) + japanese_numeral(ticket.value),
        "number": number_spoken(number),
        "counter": counter_reading_ja(counter_name) if japanese else counter_name,
    }
    parsed = list(string.Formatter().parse(template))
    text = "".join(literal + (values[field] if field else "") for literal, field, _, _ in parsed)
    if not japanese:
        return Phrase(lang=lang, text=text, pieces=(text,))

    pieces: list[str] = []
    buffer = ""

    def cut() -> None:
        nonlocal buffer
        if buffer:
            pieces.append(buffer)
        buffer = ""

    # What the previous placeholder still owns of the literal that follows it.
    pending: str | None = None
    for literal, field, _, _ in parsed:
        rest = literal
        if pending == "number":
            suffix = next((s for s in _NUMBER_SUFFIXES if rest.startswith(s)), "")
            buffer += suffix
            rest = rest[len(suffix) :]
            cut()
        elif pending == "counter":
            end = next((i for i, char in enumerate(rest) if char in _CLAUSE_ENDS), None)
            if end is None:
                buffer += rest
                rest = ""
            else:
                buffer += rest[: end + 1]
                rest = rest[end + 1 :]
                cut()
        pending = None
        for char in rest:
            buffer += char
            if char in _CLAUSE_ENDS:
                cut()
        if field is None:
            continue
        cut()
        if field == "number_ja":
            buffer = letters_reading_ja(ticket.prefix)
            cut()
            buffer = japanese_numeral(ticket.value)
            pending = "number"
        elif field == "number":
            buffer = values["number"]
            pending = "number"
        else:
            buffer = values["counter"]
            pending = "counter"
    cut()
    assert "".join(pieces) == text  # the cut must never change what is said
    return Phrase(lang=lang, text=text, pieces=tuple(pieces))


def announcement_phrases(
    kind: AnnouncementKind | str,
    *,
    number: str,
    counter: str,
    languages: tuple[str, ...] | list[str] = ("ja", "en"),
    templates: Mapping[AnnouncementKind, Mapping[str, str]] | None = None,
) -> dict[str, Phrase]:
    """The sentence per language for one announcement, in the order of `languages`."""
    by_kind = templates if templates is not None else DEFAULT_TEMPLATES
    kind = AnnouncementKind(kind)
    phrases = {}
    for lang in languages:
        template = by_kind[kind].get(lang)
        if template is None:
            raise PhraseError(f"no {kind.value!r} template for language {lang!r}")
        phrases[lang] = render(template, lang, number=number, counter=counter)
    return phrases


def announcement_texts(
    kind: AnnouncementKind | str,
    *,
    number: str,
    counter: str,
    languages: tuple[str, ...] | list[str] = ("ja", "en"),
    templates: Mapping[AnnouncementKind, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """Language → sentence, e.g. {"ja": "エー十二番の番号札を…三番窓口へお越しください。", "en": …}."""
    phrases = announcement_phrases(kind, number=number, counter=counter, languages=languages, templates=templates)
    return {lang: phrase.text for lang, phrase in phrases.items()}
