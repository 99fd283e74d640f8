"""Spoken calls for the lobby: text, offline speech synthesis, and a cached WAV per call.

A pure library: it knows ticket numbers and counter numbers, never the database or any procedure
name. The server wires `Announcer.get()` to `ticket.called` / `ticket.recalled` events.
"""

from .announcer import AnnouncementAudio, Announcer, Pauses
from .engines import (
    EspeakNgEngine,
    FestivalEngine,
    OpenJTalkEngine,
    Pyttsx3Engine,
    SpeechEngine,
    SpeechError,
    UnsupportedLanguageError,
    default_engines,
)
from .phrases import (
    DEFAULT_TEMPLATES,
    AnnouncementKind,
    Phrase,
    PhraseError,
    announcement_texts,
    counter_reading_ja,
    number_reading_ja,
    number_spoken,
)

__all__ = [
    "DEFAULT_TEMPLATES",
    "AnnouncementAudio",
    "AnnouncementKind",
    "Announcer",
    "EspeakNgEngine",
    "FestivalEngine",
    "OpenJTalkEngine",
    "Pauses",
    "Phrase",
    "PhraseError",
    "Pyttsx3Engine",
    "SpeechEngine",
    "SpeechError",
    "UnsupportedLanguageError",
    "announcement_texts",
    "counter_reading_ja",
    "default_engines",
    "number_reading_ja",
    "number_spoken",
]
