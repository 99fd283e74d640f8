"""Engines for announcement tests: the real offline engines, and a fast recording fake."""

import threading
import time
from collections import Counter

import pytest

from server.announcements.audio import Pcm, silence, write_wav
from server.announcements.engines import OpenJTalkEngine, Pyttsx3Engine, SpeechEngine
from server.announcements.phrases import is_japanese


class RecordingEngine(SpeechEngine):
    """Returns a short beep-free WAV per text and counts what it was asked to say."""

    name = "recording"

    def __init__(self, *, delay_seconds: float = 0.0, rate: int = 16_000, japanese: bool | None = None):
        self.delay_seconds = delay_seconds
        self.rate = rate
        self.japanese = japanese
        self.calls: Counter[tuple[str, str]] = Counter()
        self.texts: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return f"recording/{self.rate}"

    def supports(self, lang: str) -> bool:
        return self.japanese is None or self.japanese == is_japanese(lang)

    def synthesize(self, text: str, lang: str) -> bytes:
        self._check(text, lang)
        with self._lock:
            self.calls[(lang, text)] += 1
            self.texts.append((lang, text))
        time.sleep(self.delay_seconds)
        # A quiet tone so trimming keeps it: length grows with the text.
        pcm = silence(0.01 * len(text), self.rate)
        for i in range(len(pcm.samples)):
            pcm.samples[i] = 3000 if (i // 20) % 2 else -3000
        return write_wav(Pcm(samples=pcm.samples, rate=self.rate))

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


@pytest.fixture(scope="session")
def openjtalk() -> OpenJTalkEngine:
    return OpenJTalkEngine()


@pytest.fixture(scope="session")
def pyttsx3_engine() -> Pyttsx3Engine:
    return Pyttsx3Engine()


@pytest.fixture
def recording() -> RecordingEngine:
    return RecordingEngine()
