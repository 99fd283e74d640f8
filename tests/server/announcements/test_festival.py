"""English by Festival's HTS voice: chosen when installed, espeak-ng otherwise, numbers read right.

Absence is simulated the way a city-hall PC lacks it: `festival` and `text2wave` not on PATH
(espeak-ng still is; pyttsx3 loads libespeak-ng, not a program from PATH).
"""

import io
import shutil
import signal
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from server.announcements import AnnouncementKind, Announcer, FestivalEngine, UnsupportedLanguageError
from server.announcements.audio import read_wav
from server.announcements.engines import (
    FESTIVAL_LETTER_A,
    OpenJTalkEngine,
    Pyttsx3Engine,
    SpeechError,
    default_engines,
    festival_text,
)
from server.announcements.phrases import DEFAULT_TEMPLATES, render
from server.config import Settings, get_settings
from server.operations.check import _english_speech

CALL = "Ticket number A-12, please go to counter 3."


@pytest.fixture(scope="module")
def festival() -> Iterator[FestivalEngine]:
    engine = FestivalEngine()
    assert engine.problem() is None, "the Makefile installs festival and festvox-us-slt-hts"
    yield engine
    engine.close()


@pytest.fixture
def without_festival(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH with espeak-ng and nothing of Festival's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    espeak = shutil.which("espeak-ng")
    assert espeak is not None
    (bin_dir / "espeak-ng").symlink_to(espeak)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert shutil.which("festival") is None
    assert shutil.which("text2wave") is None


@pytest.fixture
def english_voice_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set MADOGUCHI_ENGLISH_VOICE through the environment, as an operator does."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.delenv("MADOGUCHI_ENGLISH_VOICE", raising=False)
    get_settings.cache_clear()


def spoken_phones(engine: FestivalEngine, text: str) -> str:
    return " ".join(phone for _, phones in engine.words(text) for phone in phones)


def english(kind: AnnouncementKind, number: str, counter: str) -> str:
    """The English sentence exactly as the announcer gives it to the engine."""
    return render(DEFAULT_TEMPLATES[kind]["en"], "en", number=number, counter=counter).text


# --- the voice ------------------------------------------------------------------------------------


def test_festival_speaks_every_kind_of_call_as_real_audio(festival: FestivalEngine) -> None:
    for kind in AnnouncementKind:
        for number, counter in (("A012", "3"), ("B305", "12"), ("C001", "2B")):
            data = festival.synthesize(english(kind, number, counter), "en")
            with wave.open(io.BytesIO(data)) as reader:
                assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 32_000)
                seconds = reader.getnframes() / reader.getframerate()
                samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype=np.int16).astype(float)
            # A call sentence is a few seconds; every 0.5 s stretch of its middle has speech in it.
            assert 1.8 <= seconds <= 7.0, (kind, number, seconds)
            assert 1500 <= np.sqrt((samples**2).mean()) <= 8000
            assert np.abs(samples).max() < 32767, "clipped"
            window = 16_000
            middle = samples[window : len(samples) - window]
            loudest = [np.abs(middle[i : i + window]).max() for i in range(0, len(middle) - window, window)]
            assert min(loudest) > 1000, f"a silent stretch in {kind} {number}"


@pytest.mark.parametrize(
    ("kind", "number", "counter", "expected"),
    [
        # "A" is the letter /ey/ in every template, not the article /ax/; 12 is "twelve".
        (AnnouncementKind.CALL, "A012", "3", ["n ah m b er ey t w eh l v", "k aw n t er th r iy"]),
        (AnnouncementKind.READY_FOR_PICKUP, "A012", "12A", ["t ih k ax t ey t w eh l v", "k aw n t er t w eh l v ey"]),
        (AnnouncementKind.RECALL, "B305", "2B", ["b iy th r iy hh ah n d r ax d f ay v", "k aw n t er t uw b iy"]),
        (AnnouncementKind.CALL, "A001", "10", ["n ah m b er ey w ah n", "k aw n t er t eh n"]),
        (AnnouncementKind.CALL, "I007", "A", ["n ah m b er ay s eh v ax n", "k aw n t er ey"]),
        (AnnouncementKind.CALL, "CAT5", "1", ["n ah m b er s iy ey t iy f ay v"]),  # letters, not "cat"
        (AnnouncementKind.CALL, "US40", "4", ["n ah m b er y uw eh s f ao r t iy"]),  # not "us"
        (AnnouncementKind.CALL, "A1000", "3", ["ey w ah n th aw z ax n d"]),
    ],
)
def test_festival_reads_numbers_and_counters_as_a_lobby_says_them(
    festival: FestivalEngine, kind: AnnouncementKind, number: str, counter: str, expected: list[str]
) -> None:
    phones = spoken_phones(festival, english(kind, number, counter))
    for sequence in expected:
        assert f" {sequence} " in f" {phones} ", phones


def test_the_letter_a_is_a_letter_but_the_article_stays_an_article(festival: FestivalEngine) -> None:
    words = festival.words("A reminder: please take a seat near counter A.")
    assert words[0] == ("A", ("ax",))
    assert ("a", ("ax",)) in words
    assert words[-1] == (FESTIVAL_LETTER_A, ("ey",))


def test_festival_text_spells_codes_and_keeps_words() -> None:
    letter_a = FESTIVAL_LETTER_A
    assert festival_text(CALL) == f"Ticket number {letter_a} 12, please go to counter 3."
    assert festival_text("counter 12A, counter 2B") == f"counter 12 {letter_a}, counter 2 B"
    assert festival_text("number CAT-5") == f"number C {letter_a} T 5"
    assert festival_text("A reminder: I said Café") == "A reminder: I said Cafe"
    assert festival_text("counter\u3000３") == "counter 3"  # full-width forms from a city's template


def test_festival_refuses_what_it_cannot_say(festival: FestivalEngine) -> None:
    with pytest.raises(UnsupportedLanguageError):
        festival.synthesize("Bilhete A-12", "pt")
    with pytest.raises(SpeechError, match="empty"):
        festival.synthesize("   ", "en")
    missing = FestivalEngine(voice="cmu_us_nobody_hts")
    assert not missing.supports("en")
    assert "festvox" in (missing.problem() or "")
    with pytest.raises(SpeechError, match="no voice cmu_us_nobody_hts"):
        missing.synthesize(CALL, "en")
    with pytest.raises(ValueError, match="voice name"):
        FestivalEngine(voice='x) (system "true")')


def test_a_festival_process_that_dies_or_hangs_is_replaced(festival: FestivalEngine) -> None:
    engine = FestivalEngine()
    try:
        engine.start()
        first = engine.synthesize(CALL, "en")
        process = engine._process
        assert process is not None
        process.process.kill()
        process.process.wait()
        assert engine.synthesize(CALL, "en") == first  # made by a fresh festival -b meanwhile
        assert engine.restarts == 1
        engine.synthesize(CALL, "en")
        assert engine._process is not None
        hung = engine._process.process
        assert hung.poll() is None  # a new one
        assert engine.restarts == 1
        engine.timeout_seconds = 3.0
        hung.send_signal(signal.SIGSTOP)  # alive but never answering
        assert engine.synthesize(CALL, "en") == first
        assert engine.restarts == 2
        assert hung.poll() is not None  # ended, not left behind
    finally:
        engine.close()
    assert engine._process is None


def test_a_long_text_is_said_one_sentence_at_a_time(festival: FestivalEngine) -> None:
    # HTS time grows faster than an utterance's length (a 3,000-character paragraph as one
    # utterance took over 30 s): a kiosk's guide text is said sentence by sentence, as text2wave does.
    sentences = [
        "Please take a numbered ticket.",
        "When your number is called, go to the counter shown!",
        "Your QR code shows your place in the queue?",
    ]
    alone = [read_wav(festival.synthesize(sentence, "en")) for sentence in sentences]
    together = read_wav(festival.synthesize("  ".join(sentences), "en"))
    assert together.rate == 32_000
    assert list(together.samples) == [sample for pcm in alone for sample in pcm.samples]


def test_one_festival_process_serves_many_threads(festival: FestivalEngine) -> None:
    texts = [render(DEFAULT_TEMPLATES[AnnouncementKind.CALL]["en"], "en", number=f"A{n:03d}", counter="3").text
             for n in range(1, 9)]  # fmt: skip
    alone = {text: festival.synthesize(text, "en") for text in texts}
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = dict(zip(texts, pool.map(lambda text: festival.synthesize(text, "en"), texts), strict=True))
    assert together == alone
    assert festival.restarts == 0


# --- which engine says English ------------------------------------------------------------------


def test_festival_says_english_when_installed(tmp_path: Path) -> None:
    engines = default_engines(english="auto")
    assert default_engines(english="auto")["en"] is engines["en"]  # one festival process per process
    announcer = Announcer(tmp_path, engines=engines)
    try:
        assert announcer.engine_for("en").name == "festival"
        assert announcer.engine_for("en-US").name == "festival"
        assert announcer.engine_for("pt").name == "pyttsx3"  # other languages stay with espeak-ng
        assert announcer.engine_for("ja").name == "openjtalk"
    finally:
        announcer.close()
    assert _english_speech().startswith("festival/")


@pytest.mark.usefixtures("without_festival")
def test_espeak_ng_says_english_when_festival_is_absent(tmp_path: Path) -> None:
    engines = default_engines(english="auto")
    assert "en" not in engines
    announcer = Announcer(tmp_path, engines=engines)
    try:
        assert announcer.engine_for("en").name == "pyttsx3"
        audio = announcer.announcement("call", "A012", "3", listener="en")
        assert audio.duration_seconds > 3.0
    finally:
        announcer.close()
    detail = _english_speech()
    assert detail.startswith("pyttsx3/") or detail.startswith("espeak-ng/")
    assert "festival" in detail


@pytest.mark.usefixtures("without_festival")
def test_a_forced_festival_that_is_absent_is_refused_at_start_up(
    tmp_path: Path, english_voice_setting: pytest.MonkeyPatch
) -> None:
    english_voice_setting.setenv("MADOGUCHI_ENGLISH_VOICE", "festival")
    engines = default_engines()
    assert engines["en"].name == "festival"
    with pytest.raises(UnsupportedLanguageError, match="festival"):
        Announcer(tmp_path, engines=engines)
    with pytest.raises(RuntimeError, match="MADOGUCHI_ENGLISH_VOICE=festival, but festival is not installed"):
        _english_speech()


def test_the_setting_can_force_espeak_ng(english_voice_setting: pytest.MonkeyPatch) -> None:
    english_voice_setting.setenv("MADOGUCHI_ENGLISH_VOICE", "espeak-ng")
    assert "en" not in default_engines()
    assert not _english_speech().startswith("festival/")
    english_voice_setting.setenv("MADOGUCHI_ENGLISH_VOICE", "mbrola")
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValueError, match="auto, festival, espeak-ng"):
        default_engines(english="mbrola")


def test_switching_engines_never_replays_the_other_engines_audio(
    tmp_path: Path, festival: FestivalEngine, openjtalk: OpenJTalkEngine, pyttsx3_engine: Pyttsx3Engine
) -> None:
    with_festival = Announcer(tmp_path, engines={"ja": openjtalk, "en": festival, "*": pyttsx3_engine})
    with_espeak = Announcer(tmp_path, engines={"ja": openjtalk, "*": pyttsx3_engine})
    try:
        for brief in (False, True):
            key = with_festival.key("call", "A012", "3", brief=brief, listener="en")
            assert (key == with_espeak.key("call", "A012", "3", brief=brief, listener="en")) is brief
        espeak_audio = with_espeak.announcement("call", "A012", "3", listener="en")
        festival_audio = with_festival.announcement("call", "A012", "3", listener="en")
        assert not festival_audio.from_cache
        assert festival_audio.path != espeak_audio.path
        assert festival_audio.data != espeak_audio.data
        # The English sentence is cached per engine, the Japanese fragments are shared.
        assert with_festival._fragment_path("en", CALL) != with_espeak._fragment_path("en", CALL)
        assert with_festival.announcement("call", "A012", "3", listener="en").from_cache
    finally:
        with_festival.close()
        with_espeak.close()
