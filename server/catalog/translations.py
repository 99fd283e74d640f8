"""What citizens read, in every kiosk language: lookup with an announced fallback, the checks of
a configuration's translations, and the list of what is still missing.

Japanese and English are written into each item of the configuration (name_ja, name_en …);
every other language lives under `translations.<lang>` (in the demo, one file per language in
config/demo_city_hall.i18n/). やさしい日本語 (ja_easy) writes ruby as {漢字|かんじ}: the kiosk and
the status page render it as <ruby>, the slip prints 漢字(かんじ).
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from server.catalog.schemas import TRANSLATED_LANGUAGES, CityHallConfig

# Every language a citizen may choose, in the kiosk's order.
CITIZEN_LANGUAGES = ("ja", "ja_easy", "en", *[code for code in TRANSLATED_LANGUAGES if code != "ja_easy"])
EASY_JAPANESE = "ja_easy"

RUBY = re.compile(r"\{([^{}|]+)\|([^{}|]+)\}")
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]")


def without_ruby(text: str, *, reading: bool = True) -> str:
    """{漢字|かんじ} → 漢字(かんじ) for paper and plain text (or 漢字 alone)."""
    return RUBY.sub(lambda match: f"{match[1]}({match[2]})" if reading else match[1], text)


def reading_of(text: str) -> str:
    """{漢字|かんじ} → かんじ: the text in kana alone, as it is said (and as the board's small line
    shows やさしい日本語: display/citizen_text.js readingOf)."""
    return RUBY.sub(lambda match: match[2], text)


def bare_kanji(text: str) -> list[str]:
    """Kanji that carry no ruby (outside every {漢字|かんじ})."""
    return KANJI.findall(RUBY.sub("", text))


def fallback_language(language: str) -> str:
    """What a missing string is shown in instead: Japanese for やさしい日本語, else English."""
    return "ja" if language.startswith("ja") else "en"


@dataclass(frozen=True)
class Local:
    text: str
    # The language `text` is in: the one asked for, or the fallback's (announced by the page).
    lang: str


def localize(
    translations: Mapping[str, Any] | None, language: str, path: tuple[str, ...], *, ja: str, en: str
) -> Local:
    """One citizen-facing string in `language`, e.g. path ("services", "moving_in") or
    ("life_events", "birth", "note"); the Japanese or English text, marked so, when missing."""
    if language == "ja":
        return Local(ja, "ja")
    if language == "en":
        return Local(en, "en")
    found: Any = (translations or {}).get(language)
    for part in path:
        found = found.get(part) if isinstance(found, Mapping) else None
    if isinstance(found, str) and found:
        return Local(found, language)
    fallback = fallback_language(language)
    return Local(ja if fallback == "ja" else en, fallback)


@dataclass(frozen=True)
class Wanted:
    """A string citizens read, as `translations.<lang>.<path>`."""

    path: tuple[str, ...]
    ja: str
    en: str = ""


def citizen_strings(config: CityHallConfig) -> list[Wanted]:
    """Everything a citizen reads on the kiosk, the slip and the status page."""
    wanted = [
        Wanted(("branch",), config.branch.name_ja, config.branch.name_en),
        Wanted(("sensitive_label",), config.sensitive_label.ja, config.sensitive_label.en),
    ]
    wanted += [Wanted(("queues", queue.prefix, "label"), queue.label_ja, queue.label_en) for queue in config.queues]
    shown = {stop.service for event in config.life_events for stop in event.stops}
    wanted += [
        Wanted(("services", service.id), service.name_ja, service.name_en)
        for service in config.services
        # Back-office work shows as 「書類の準備」; sensitive procedures show the neutral label.
        if service.citizen_present and not service.sensitive and (service.kiosk or service.id in shown)
    ]
    # A sensitive procedure is still named on the kiosk's own menu, to the person choosing it.
    wanted += [
        Wanted(("services", service.id), service.name_ja, service.name_en)
        for service in config.services
        if service.citizen_present and service.sensitive and service.kiosk
    ]
    asked = {question for event in config.life_events for question in event.questions}
    wanted += [
        Wanted(("questions", question.id), question.text_ja, question.text_en)
        for question in config.questions
        if question.id in asked
    ]
    for event in config.life_events:
        wanted.append(Wanted(("life_events", event.id, "name"), event.name_ja, event.name_en))
        if event.note_ja:
            wanted.append(Wanted(("life_events", event.id, "note"), event.note_ja, event.note_en))
    return wanted


def missing_translations(config: CityHallConfig) -> dict[str, list[Wanted]]:
    """Per translated language, each citizen-facing string it lacks."""
    translations = {language: spec.model_dump() for language, spec in config.translations.items()}
    missing: dict[str, list[Wanted]] = {}
    for language in TRANSLATED_LANGUAGES:
        missing[language] = [
            item
            for item in citizen_strings(config)
            if localize(translations, language, item.path, ja=item.ja, en=item.ja).lang != language
        ]
    return missing


@dataclass(frozen=True)
class TranslationProblem:
    path: tuple[str | int, ...]
    message: str


def translation_problems(config: CityHallConfig) -> Iterator[TranslationProblem]:
    """Ids that name nothing, and やさしい日本語 kanji without ruby."""
    known = {
        "queues": {queue.prefix for queue in config.queues},
        "services": {service.id for service in config.services},
        "questions": {question.id for question in config.questions},
        "life_events": {event.id for event in config.life_events},
    }
    for language, spec in config.translations.items():
        if language in ("ja", "en"):
            yield TranslationProblem(
                ("translations", language),
                f"{language} is written in each item (name_{language}, text_{language} …), not under translations",
            )
            continue
        for section, ids in known.items():
            for key in getattr(spec, section):
                if key not in ids:
                    yield TranslationProblem(
                        ("translations", language, section, key),
                        f"unknown {section[:-1].replace('_', ' ')} {key!r} (no such id in the configuration)",
                    )
        if language == EASY_JAPANESE:
            for path, text in _texts(spec.model_dump()):
                if text.count("{") != text.count("}") or "{" in RUBY.sub("", text):
                    yield TranslationProblem(
                        ("translations", language, *path), "ruby must be written {漢字|かんじ}, braces paired"
                    )
                elif bare_kanji(text):
                    yield TranslationProblem(
                        ("translations", language, *path),
                        f"kanji without ruby: {''.join(dict.fromkeys(bare_kanji(text)))} (write {{漢字|かんじ}})",
                    )


def _texts(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _texts(value, (*path, str(key)))


def translations_summary(config: CityHallConfig) -> tuple[str, int]:
    """One line for `madoguchi check`: the languages complete, or how many strings each lacks."""
    missing = missing_translations(config)
    total = sum(len(items) for items in missing.values())
    if not total:
        return f"every citizen-facing string in {len(CITIZEN_LANGUAGES)} languages ({', '.join(CITIZEN_LANGUAGES)})", 0
    lacking = ", ".join(f"{language} {len(items)}" for language, items in missing.items() if items)
    return f"missing strings shown in English or Japanese instead: {lacking} (see `madoguchi translations`)", total


def translations_report(config: CityHallConfig, *, languages: tuple[str, ...] = TRANSLATED_LANGUAGES) -> list[str]:
    """`madoguchi translations`: per language, every missing string with its Japanese text."""
    lines = []
    for language, items in missing_translations(config).items():
        if language not in languages:
            continue
        lines.append(f"{language}: {'complete' if not items else f'{len(items)} missing'}")
        lines += [f"  {'.'.join(item.path)}  ({item.ja})" for item in items]
    return lines


# The few words the server itself writes on a ticket (not from the configuration).
FIXED_TEXTS: dict[str, dict[str, str]] = {
    "back_office": {
        "ja": "書類の準備",
        "ja_easy": "{書類|しょるい}の {準備|じゅんび}",
        "en": "Preparing your documents",
        "zh": "准备文件",
        "zh_hant": "準備文件",
        "ko": "서류 준비",
        "vi": "Chuẩn bị giấy tờ",
        "pt": "Preparação dos documentos",
        "tl": "Paghahanda ng mga dokumento",
        "id": "Penyiapan dokumen",
        "ne": "कागजात तयारी",
    },
}


def fixed_text(key: str, language: str) -> tuple[str, str]:
    """(text, its language) of one of FIXED_TEXTS."""
    texts = FIXED_TEXTS[key]
    if language in texts:
        return texts[language], language
    fallback = fallback_language(language)
    return texts[fallback], fallback


def without_removed_ids(data: dict[str, Any]) -> dict[str, Any]:
    """A configuration (as data) whose translations forget the services, questions, life events
    and queues it no longer has: removing an item in the admin console removes its words too."""
    known = {
        "queues": {queue.get("prefix") for queue in data.get("queues") or []},
        "services": {service.get("id") for service in data.get("services") or []},
        "questions": {question.get("id") for question in data.get("questions") or []},
        "life_events": {event.get("id") for event in data.get("life_events") or []},
    }
    for words in (data.get("translations") or {}).values():
        if not isinstance(words, dict):
            continue
        for section, ids in known.items():
            entries = words.get(section)
            if isinstance(entries, dict):
                words[section] = {key: value for key, value in entries.items() if key in ids}
    return data
