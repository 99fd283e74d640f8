"""What the voice guide says and how: the text an engine is given, and the WAV, cached by content.

`speak` and `voices` run in a speech process (server/realtime/announcing.py), never in the
server's event loop: Open JTalk holds the GIL for tens of milliseconds at a time. Only paths and
small values cross the process boundary. The engines are the announcements' own
(`default_engines()`): Open JTalk for Japanese, espeak-ng for the rest.
"""

import hashlib
import json
import re
from pathlib import Path

from server.announcements import (
    PhraseError,
    SpeechEngine,
    SpeechError,
    UnsupportedLanguageError,
    default_engines,
    number_reading_ja,
    number_spoken,
)
from server.announcements.announcer import DiskBudget, touch, write_atomically
from server.announcements.phrases import is_japanese
from server.catalog.translations import CITIZEN_LANGUAGES, EASY_JAPANESE, reading_of, without_ruby

# Bump when what is stored changes (the text preparation below), to leave old files unused.
GUIDE_VERSION = 1
# Traditional Chinese is read in Mandarin: most readers of the traditional script living in
# Japan come from Taiwan. espeak-ng's Mandarin voice reads both scripts.
ENGINE_LANGUAGE = {"zh_hant": "zh"}
# {#A012}: a ticket number, said as the lobby's calls say it (エー十二 / "A-12").
TICKET_NUMBER = re.compile(r"\{#([A-Za-z0-9-]{1,12})\}")
# Guide audio kept on disk; the least recently used go first beyond it. Screens repeat (a few hundred
# texts per language); only the result screen's numbers are new each time, a second or two each.
MAX_CACHE_BYTES = 128 * 2**20


def engine_language(lang: str) -> str:
    """The language code the engine is given for a citizen language."""
    return "ja" if is_japanese(lang) else ENGINE_LANGUAGE.get(lang, lang)


def spoken_text(text: str, lang: str) -> str:
    """The words as the engine should say them: ruby by its reading in やさしい日本語 (the
    screen's base text elsewhere), ticket numbers as calls say them, whitespace collapsed."""

    def number(match: re.Match[str]) -> str:
        try:
            return number_reading_ja(match[1]) if is_japanese(lang) else number_spoken(match[1])
        except PhraseError:
            return match[1]

    text = TICKET_NUMBER.sub(number, text)
    text = reading_of(text) if lang == EASY_JAPANESE else without_ruby(text, reading=False)
    return " ".join(text.split())


# -- in a speech process ------------------------------------------------------------------------

_engines: dict[str, SpeechEngine] = {}
_budgets: dict[Path, DiskBudget] = {}


def _engine_for(lang: str) -> SpeechEngine:
    if not _engines:
        _engines.update(default_engines())
    code = engine_language(lang)
    for candidate in (code, code.split("-")[0], "*"):
        engine = _engines.get(candidate)
        if engine is not None:
            return engine
    raise UnsupportedLanguageError(f"no speech engine for language {lang!r}")


def voices() -> dict[str, bool]:
    """In a speech process: each citizen language, and whether an engine here can speak it."""
    found = {}
    for lang in CITIZEN_LANGUAGES:
        try:
            found[lang] = _engine_for(lang).supports(engine_language(lang))
        except SpeechError:
            found[lang] = False
    return found


def speak(cache_dir: str, text: str, lang: str) -> tuple[str, bool]:
    """In a speech process: (path of the WAV, whether it was in the cache already)."""
    engine = _engine_for(lang)
    code = engine_language(lang)
    if not engine.supports(code):
        raise UnsupportedLanguageError(f"{engine.name} cannot speak language {lang!r}")
    said = spoken_text(text, lang)
    key = hashlib.sha256(
        json.dumps([GUIDE_VERSION, engine.version, code, said], ensure_ascii=False).encode()
    ).hexdigest()
    root = Path(cache_dir) / "guide"
    path = root / key[:2] / f"{key}.wav"
    if path.is_file():
        touch(path)  # recently used: the budget deletes the least recently used first
        return str(path), True
    data = engine.synthesize(said, code)
    _budget(root).add(write_atomically(path, data))
    return str(path), False


def _budget(root: Path) -> DiskBudget:
    budget = _budgets.get(root)
    if budget is None:
        budget = _budgets[root] = DiskBudget(root, MAX_CACHE_BYTES)
    return budget
