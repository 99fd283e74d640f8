"""The real offline engines: Open JTalk for Japanese, espeak-ng (pyttsx3 or binary) for the rest."""

import io
import subprocess
import sys
import textwrap
import threading
import wave
from concurrent.futures import ThreadPoolExecutor

import pytest

from server.announcements import engines as engines_module
from server.announcements.engines import (
    EspeakNgEngine,
    OpenJTalkEngine,
    Pyttsx3Engine,
    SpeechError,
    UnsupportedLanguageError,
    Voice,
    choose_voice,
)


def assert_speech_wav(data: bytes, *, min_seconds: float = 0.3, max_seconds: float = 20.0) -> int:
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        rate: int = reader.getframerate()
        frames = reader.getnframes()
        samples = reader.readframes(frames)
    assert rate in (16_000, 22_050, 24_000, 44_100, 48_000)
    assert frames > 0
    assert min_seconds <= frames / rate <= max_seconds
    assert any(samples), "all silence"
    return rate


def test_openjtalk_speaks_japanese(openjtalk: OpenJTalkEngine) -> None:
    rate = assert_speech_wav(
        openjtalk.synthesize("エー十二番の番号札をお持ちのお客様、三番窓口へお越しください。", "ja")
    )
    assert rate == 48_000
    assert "openjtalk/" in openjtalk.version


def test_openjtalk_refuses_other_languages(openjtalk: OpenJTalkEngine) -> None:
    with pytest.raises(UnsupportedLanguageError, match="'en'"):
        openjtalk.synthesize("Ticket number A-12", "en")
    with pytest.raises(SpeechError, match="empty"):
        openjtalk.synthesize("  ", "ja")


def test_openjtalk_works_without_network() -> None:
    # The dictionary and voice are in the wheel: synthesis must not touch the network at all.
    script = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from server.announcements.engines import OpenJTalkEngine
        data = OpenJTalkEngine().synthesize("三番窓口へお越しください。", "ja")
        assert len(data) > 10_000
        print("OK")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_pyttsx3_speaks_english(pyttsx3_engine: Pyttsx3Engine) -> None:
    assert_speech_wav(pyttsx3_engine.synthesize("Ticket number A-12, please go to counter 3.", "en"))
    assert not pyttsx3_engine.using_fallback


def test_pyttsx3_is_usable_from_many_threads_and_languages(
    pyttsx3_engine: Pyttsx3Engine, openjtalk: OpenJTalkEngine
) -> None:
    # Switching voices while other threads keep the CPU busy is what exposed pyttsx3's races
    # with espeak-ng (cancelled or unfinished files); none may reach the fallback.
    languages = ["en", "pt", "en", "vi", "zh", "en", "id", "ko"] * 2
    texts = [f"Ticket {n}, counter {n % 9 + 1}." for n in range(len(languages))]
    before = pyttsx3_engine.fallback_calls
    busy = threading.Event()

    def keep_busy() -> None:
        while not busy.is_set():
            openjtalk.synthesize("三番窓口へお越しください。", "ja")

    background = threading.Thread(target=keep_busy)
    background.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(pyttsx3_engine.synthesize, texts, languages))
    finally:
        busy.set()
        background.join()
    for data in results:
        assert_speech_wav(data)
    # Different texts, different audio: no job got another job's file.
    assert len(set(results)) == len(texts)
    assert pyttsx3_engine.fallback_calls == before
    assert not pyttsx3_engine.using_fallback


def test_pyttsx3_chooses_voices_by_language(pyttsx3_engine: Pyttsx3Engine) -> None:
    assert pyttsx3_engine.supports("en")
    assert pyttsx3_engine.supports("pt")
    assert pyttsx3_engine.supports("zh")
    assert_speech_wav(pyttsx3_engine.synthesize("Senha A-12, guichê 3.", "pt"))


def test_a_language_without_a_voice_is_a_clear_error(pyttsx3_engine: Pyttsx3Engine) -> None:
    # espeak-ng has no Tagalog voice.
    assert not pyttsx3_engine.supports("tl")
    with pytest.raises(UnsupportedLanguageError, match="'tl'"):
        pyttsx3_engine.synthesize("Numero A-12", "tl")


def test_espeak_binary_speaks_and_reads_text_from_stdin() -> None:
    engine = EspeakNgEngine()
    assert_speech_wav(engine.synthesize("-v xx Ticket number A-12", "en"))
    assert engine.version.startswith("espeak-ng/1.")
    with pytest.raises(UnsupportedLanguageError):
        engine.synthesize("Numero A-12", "tl")


def test_missing_espeak_binary_is_a_clear_error() -> None:
    engine = EspeakNgEngine(executable="no-such-espeak-ng")
    assert not engine.supports("en")
    with pytest.raises(SpeechError, match="not installed"):
        engine._run(["--version"], b"")


def test_pyttsx3_falls_back_to_the_binary_when_it_cannot_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyttsx3", None)  # import pyttsx3 → ImportError
    monkeypatch.setattr(engines_module, "_worker", None)  # a fresh process-wide worker
    engine = Pyttsx3Engine()
    assert_speech_wav(engine.synthesize("Ticket number C-7, please go to counter 9.", "en"))
    assert engine.using_fallback
    assert engine.fallback_calls == 1


def test_choose_voice_prefers_the_lobby_variant() -> None:
    voices = [
        Voice("gmw/en", ("en-gb",)),
        Voice("gmw/en-us", ("en-us",)),
        Voice("mb/mb-en1", ("en",)),
        Voice("roa/pt", ("pt",)),
        Voice("roa/pt-br", ("pt-br",)),
        Voice("gmw/de", ("de",)),
        Voice("gmw/en-gb-scotland", ("en-gb-scotland",)),
    ]
    assert choose_voice("en", voices) == Voice("gmw/en-us", ("en-us",))
    assert choose_voice("pt", voices) == Voice("roa/pt-br", ("pt-br",))
    assert choose_voice("DE", voices) == Voice("gmw/de", ("de",))
    assert choose_voice("fr", voices) is None
    assert choose_voice("en", [voices[6]]) == voices[6]  # a regional variant beats nothing
