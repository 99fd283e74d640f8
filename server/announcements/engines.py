"""Speech engines: text in, WAV bytes out, entirely offline.

- `OpenJTalkEngine` speaks Japanese with pyopenjtalk-plus, whose MeCab dictionary and HTS voice
  are inside the wheel (it never downloads; we still check, because the original `pyopenjtalk`
  downloads its dictionary on first use and a city-hall PC may have no internet).
- `Pyttsx3Engine` speaks the other languages through pyttsx3's espeak-ng driver, on one worker
  thread, falling back to the `espeak-ng` binary when pyttsx3 cannot start or hangs.
- `EspeakNgEngine` is that binary on its own.
"""

from __future__ import annotations

import concurrent.futures
import importlib.metadata
import logging
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .audio import AudioError, from_float, read_wav, write_wav
from .phrases import is_japanese, normalize_lang

logger = logging.getLogger(__name__)


class SpeechError(RuntimeError):
    """Speech could not be produced."""


class UnsupportedLanguageError(SpeechError):
    """The engine has no voice for the language."""


class SpeechEngine(ABC):
    """One text-to-speech backend. Implementations must be safe to call from any thread."""

    name: str = "engine"

    @property
    @abstractmethod
    def version(self) -> str:
        """Everything that changes the audio for the same text; part of cache keys."""

    @abstractmethod
    def supports(self, lang: str) -> bool: ...

    @abstractmethod
    def synthesize(self, text: str, lang: str) -> bytes:
        """Speak `text` in `lang` and return a mono 16-bit PCM WAV."""

    def close(self) -> None:  # noqa: B027 - engines without resources need no cleanup
        """Release threads or processes the engine holds."""

    def _check(self, text: str, lang: str) -> None:
        if not self.supports(lang):
            raise UnsupportedLanguageError(f"{self.name} cannot speak language {lang!r}")
        if not text.strip():
            # pyttsx3's espeak loop never ends on empty text; refuse it everywhere alike.
            raise SpeechError("nothing to say: empty text")


class OpenJTalkEngine(SpeechEngine):
    """Japanese, via pyopenjtalk-plus (HTS voice "mei_normal", 48 kHz)."""

    name = "openjtalk"

    def __init__(self, *, speed: float = 1.0, half_tone: float = 0.0, gain: float = 0.7) -> None:
        # gain: HTS output is on the int16 scale but peaks above it (~37 000 seen); a fixed gain
        # (not per-clip normalising) keeps spliced fragments at the same loudness.
        self.speed = speed
        self.half_tone = half_tone
        self.gain = gain
        # Serialise: the frontend shares one OpenJTalk (MeCab) instance across threads, and HTS
        # synthesis is CPU-bound, so parallel calls would gain nothing.
        self._lock = threading.Lock()

    @cached_property
    def _module(self) -> Any:
        try:
            import pyopenjtalk  # lazy: heavy, and it prints a notice on import
        except ImportError as error:
            raise SpeechError("pyopenjtalk-plus is not installed") from error
        dictionary = Path(os.fsdecode(pyopenjtalk.OPEN_JTALK_DICT_DIR))
        if not (dictionary / "sys.dic").is_file():
            raise SpeechError(
                f"Open JTalk dictionary not found at {dictionary}; install pyopenjtalk-plus "
                "(dictionary bundled) or set OPEN_JTALK_DICT_DIR to a local open_jtalk_dic "
                "directory. Nothing is downloaded at run time."
            )
        return pyopenjtalk

    @property
    def version(self) -> str:
        return (
            f"openjtalk/{self._module.__version__}/mei_normal/"
            f"speed={self.speed}/half_tone={self.half_tone}/gain={self.gain}"
        )

    def supports(self, lang: str) -> bool:
        return is_japanese(lang)

    def synthesize(self, text: str, lang: str = "ja") -> bytes:
        self._check(text, lang)
        module = self._module
        with self._lock:
            samples, rate = module.tts(text, speed=self.speed, half_tone=self.half_tone)
        if len(samples) == 0:
            raise SpeechError(f"Open JTalk produced no audio for {text!r}")
        return write_wav(from_float(samples, int(rate), gain=self.gain))

    def reading(self, text: str) -> str:
        """The katakana reading Open JTalk gives `text` (what the listener will hear)."""
        with self._lock:
            return str(self._module.g2p(text, kana=True))


@dataclass(frozen=True)
class Voice:
    identifier: str  # what the backend takes to select it (pyttsx3 id, or espeak-ng -v name)
    languages: tuple[str, ...]


# Preferred espeak-ng voices per language code, best first. English in Japan is mostly taught
# and announced in American English; Portuguese speakers in Japan are mostly Brazilian.
LANGUAGE_PREFERENCES: dict[str, tuple[str, ...]] = {
    "en": ("en-us", "en-gb", "en"),
    "pt": ("pt-br", "pt"),
    "zh": ("cmn", "zh", "yue"),
    "tl": ("tl", "fil"),
    "es": ("es-419", "es"),
}


def choose_voice(lang: str, voices: Iterable[Voice]) -> Voice | None:
    """Best voice for a language code: an exact language match in preference order, else a
    regional variant ("en" → "en-gb-scotland"). MBROLA voices are skipped: they need the
    separate mbrola program and data, which a plain espeak-ng install lacks."""
    candidates = [voice for voice in voices if not voice.identifier.startswith("mb")]
    code = normalize_lang(lang)
    wanted = LANGUAGE_PREFERENCES.get(code, (code,))
    for name in wanted:
        for voice in candidates:
            if name in voice.languages:
                return voice
    for name in wanted:
        for voice in candidates:
            if any(language.startswith(name + "-") for language in voice.languages):
                return voice
    return None


def _wav_or_error(data: bytes, what: str) -> bytes:
    try:
        pcm = read_wav(data)
    except AudioError as error:
        raise SpeechError(f"{what} returned no usable WAV: {error}") from error
    if len(pcm) == 0:
        raise SpeechError(f"{what} returned silence")
    # Re-encode: the binary's streaming header carries placeholder sizes.
    return write_wav(pcm)


class EspeakNgEngine(SpeechEngine):
    """The `espeak-ng` program: `espeak-ng --stdout -v <voice>`, text on stdin."""

    name = "espeak-ng"

    def __init__(self, *, executable: str = "espeak-ng", rate_wpm: int = 150, timeout_seconds: float = 30.0) -> None:
        self.executable = executable
        self.rate_wpm = rate_wpm
        self.timeout_seconds = timeout_seconds

    @cached_property
    def _path(self) -> str:
        path = shutil.which(self.executable)
        if path is None:
            raise SpeechError(f"{self.executable} is not installed")
        return path

    @cached_property
    def _program_version(self) -> str:
        output = self._run(["--version"], b"").decode(errors="replace")
        match = re.search(r"\b(\d+(?:\.\d+)+)", output)
        return match.group(1) if match else output.strip()[:40]

    @cached_property
    def voices(self) -> tuple[Voice, ...]:
        # Columns: Pty Language Age/Gender VoiceName File Other-Languages. -v takes Language.
        output = self._run(["--voices"], b"").decode(errors="replace")
        voices = []
        for line in output.splitlines()[1:]:
            columns = line.split()
            if len(columns) >= 5:
                voices.append(Voice(identifier=columns[1], languages=(columns[1].lower(),)))
        return tuple(voices)

    @property
    def version(self) -> str:
        return f"espeak-ng/{self._program_version}/rate={self.rate_wpm}"

    def available(self) -> bool:
        return shutil.which(self.executable) is not None

    def supports(self, lang: str) -> bool:
        return self.available() and choose_voice(lang, self.voices) is not None

    def synthesize(self, text: str, lang: str) -> bytes:
        self._check(text, lang)
        voice = choose_voice(lang, self.voices)
        assert voice is not None  # _check ensured it
        args = ["--stdout", "-v", voice.identifier, "-s", str(self.rate_wpm)]
        # Text on stdin, not argv: a text starting with "-" must not be taken for an option.
        return _wav_or_error(self._run(args, text.encode("utf-8")), "espeak-ng")

    def _run(self, args: Sequence[str], stdin: bytes) -> bytes:
        try:
            result = subprocess.run(
                [self._path, *args],
                input=stdin,
                capture_output=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SpeechError(f"espeak-ng failed: {error}") from error
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()
            raise SpeechError(f"espeak-ng exited with {result.returncode}: {message}")
        return result.stdout


@dataclass
class _Job:
    text: str
    voice: Voice
    rate_wpm: int
    timeout_seconds: float  # how long the worker waits for espeak (less than the caller does)
    future: concurrent.futures.Future[bytes]


class _Pyttsx3Worker:
    """The one thread that owns pyttsx3 in this process.

    `pyttsx3.init("espeak")` returns a process-wide engine (and espeak-ng itself initialises
    once per process), so there must be exactly one owner thread however many
    `Pyttsx3Engine` objects exist; they all queue jobs here.
    """

    def __init__(self) -> None:
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.ready = threading.Event()
        self.voices: tuple[Voice, ...] = ()
        self.broken: str | None = None  # why pyttsx3 is not used (any more)
        self.thread = threading.Thread(target=self._run, name="madoguchi-pyttsx3", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            import pyttsx3  # type: ignore[import-untyped]  # lazy: optional; the binary fallback covers it

            engine = pyttsx3.init("espeak")
            self.voices = tuple(_pyttsx3_voice(voice) for voice in engine.getProperty("voices"))
            # espeak's "is synthesis still running" probe; see _speak for why it is needed.
            from pyttsx3.drivers import _espeak  # type: ignore[import-untyped]
            from pyttsx3.drivers import espeak as espeak_driver

            self._is_playing: Any = _espeak.IsPlaying
            # The driver print()s "Audio saved to …" for every file; a server's stdout is no
            # place for that. Names in a module's globals shadow builtins, so this only affects
            # that module.
            espeak_driver.print = _log_debug
        except Exception as error:  # ImportError, RuntimeError("could not initialize espeak") …
            self.broken = f"pyttsx3 unavailable: {error}"
            logger.warning("%s; using the espeak-ng binary", self.broken)
            self.ready.set()
            return
        self._finished = threading.Event()
        self._completed = False
        self._voice_and_rate: tuple[str, int] | None = None
        engine.connect("finished-utterance", self._on_finished)
        self.ready.set()
        with tempfile.TemporaryDirectory(prefix="madoguchi-tts-") as directory:
            path = Path(directory) / "speech.wav"
            while True:
                job = self.jobs.get()
                if not job.future.set_running_or_notify_cancel():
                    continue
                try:
                    job.future.set_result(self._speak(engine, job, path))
                except Exception as error:
                    job.future.set_exception(SpeechError(f"pyttsx3: {error}"))

    def _on_finished(self, *, completed: bool = True, **_: Any) -> None:
        self._completed = completed
        self._finished.set()

    def _speak(self, engine: Any, job: _Job, path: Path) -> bytes:
        # pyttsx3's espeak driver has two races with espeak-ng's asynchronous retrieval mode:
        # 1. runAndWait() can return before the WAV is written (synthesis runs on espeak's own
        #    thread; the file is written from there), so an early read finds no file or only a
        #    44-byte header. We wait for "finished-utterance", sent after the file is closed.
        # 2. setProperty() is itself queued inside espeak; runAndWait()'s endLoop calls stop(),
        #    which cancels whatever espeak is busy with, so a voice change right before a
        #    synthesis can cancel it (finished-utterance with completed=False). We set voice
        #    and rate on the driver directly and let espeak go idle before synthesising.
        driver = engine.proxy._driver
        self._wait_idle(job.timeout_seconds)
        if (job.voice.identifier, job.rate_wpm) != self._voice_and_rate:
            driver.setProperty("voice", job.voice.identifier)
            driver.setProperty("rate", job.rate_wpm)  # after the voice, which resets the rate
            self._voice_and_rate = (job.voice.identifier, job.rate_wpm)
            self._wait_idle(job.timeout_seconds)
        driver._stopping = False  # a stale stop request would cancel this synthesis
        path.unlink(missing_ok=True)  # a stale file must not pass for this job's audio
        self._finished.clear()
        engine.save_to_file(job.text, str(path))
        try:
            engine.runAndWait()
        except RuntimeError as error:
            # "run loop already started": an earlier failure left the loop flagged as running.
            if "already started" not in str(error):
                raise
            engine.endLoop()
            engine.save_to_file(job.text, str(path))
            engine.runAndWait()
        if not self._finished.wait(job.timeout_seconds):
            raise SpeechError("no finished-utterance event")
        self._wait_idle(job.timeout_seconds)
        if not self._completed:
            # Possibly truncated ("Ticket number A-" …): never use it.
            raise SpeechError("synthesis was cancelled")
        if not path.is_file():
            raise SpeechError("pyttsx3 wrote no file")
        return _wav_or_error(path.read_bytes(), "pyttsx3")

    def _wait_idle(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while self._is_playing():
            if time.monotonic() > deadline:
                raise SpeechError("espeak-ng stayed busy")
            time.sleep(0.002)


def _log_debug(*args: object, **_: object) -> None:
    logger.debug("pyttsx3: %s", " ".join(str(arg) for arg in args))


def _pyttsx3_voice(voice: Any) -> Voice:
    # Older pyttsx3 releases give languages as bytes with a leading priority byte.
    languages = []
    for language in voice.languages or ():
        if isinstance(language, bytes):
            language = language.lstrip(bytes(range(32))).decode(errors="replace")
        languages.append(normalize_lang(str(language)))
    return Voice(identifier=str(voice.id), languages=tuple(languages))


_worker_lock = threading.Lock()
_worker: _Pyttsx3Worker | None = None


def _shared_worker() -> _Pyttsx3Worker:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = _Pyttsx3Worker()
        return _worker


class Pyttsx3Engine(SpeechEngine):
    """pyttsx3 with its espeak-ng driver, for every language espeak-ng has a voice for.

    pyttsx3 is not thread-safe (one engine per driver per process, a run loop that refuses
    re-entry), so every call is a job for the single pyttsx3 thread of the process.
    If pyttsx3 cannot start, fails, or a call hangs, synthesis falls back to the `espeak-ng`
    binary (same speech library, so the same voices); a hung pyttsx3 is not used again.
    """

    name = "pyttsx3"

    def __init__(
        self,
        *,
        rate_wpm: int = 150,
        timeout_seconds: float = 20.0,
        fallback: EspeakNgEngine | None = None,
    ) -> None:
        self.rate_wpm = rate_wpm
        self.timeout_seconds = timeout_seconds
        self.fallback = fallback if fallback is not None else EspeakNgEngine(rate_wpm=rate_wpm)
        self.fallback_calls = 0  # calls the binary answered instead of pyttsx3 (for monitoring)

    @cached_property
    def version(self) -> str:
        try:
            pyttsx3_version = importlib.metadata.version("pyttsx3")
        except importlib.metadata.PackageNotFoundError:
            pyttsx3_version = "absent"
        espeak = self.fallback.version if self.fallback.available() else "espeak-ng"
        return f"pyttsx3/{pyttsx3_version}+{espeak}/rate={self.rate_wpm}"

    @property
    def using_fallback(self) -> bool:
        return self._worker().broken is not None

    def voices(self) -> tuple[Voice, ...]:
        worker = self._worker()
        if worker.broken is None:
            return worker.voices
        return self.fallback.voices if self.fallback.available() else ()

    def supports(self, lang: str) -> bool:
        return choose_voice(lang, self.voices()) is not None

    def synthesize(self, text: str, lang: str) -> bytes:
        worker = self._worker()
        if worker.broken is not None and not self.fallback.available():
            raise SpeechError(f"{worker.broken}, and the espeak-ng binary is not installed either")
        self._check(text, lang)
        if worker.broken is not None:
            self.fallback_calls += 1
            return self.fallback.synthesize(text, lang)
        voice = choose_voice(lang, worker.voices)
        assert voice is not None  # _check ensured it
        job = _Job(text, voice, self.rate_wpm, self.timeout_seconds * 0.75, concurrent.futures.Future())
        worker.jobs.put(job)
        try:
            return job.future.result(timeout=self.timeout_seconds)
        except concurrent.futures.TimeoutError:
            # A hung runAndWait cannot be interrupted; stop using pyttsx3 in this process.
            worker.broken = f"pyttsx3 did not answer within {self.timeout_seconds} s"
            logger.warning("%s; using the espeak-ng binary from now on", worker.broken)
        except SpeechError as error:
            if not self.fallback.available():
                raise
            logger.warning("%s; using the espeak-ng binary for this call", error)
        self.fallback_calls += 1
        return self.fallback.synthesize(text, lang)

    def _worker(self) -> _Pyttsx3Worker:
        worker = _shared_worker()
        if not worker.ready.wait(self.timeout_seconds) and worker.broken is None:
            worker.broken = "pyttsx3 did not start"
        return worker


def default_engines() -> dict[str, SpeechEngine]:
    """Japanese through Open JTalk, everything else through espeak-ng (via pyttsx3)."""
    return {"ja": OpenJTalkEngine(), "*": Pyttsx3Engine()}
