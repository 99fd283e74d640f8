"""Speech engines: text in, WAV bytes out, entirely offline.

- `OpenJTalkEngine` speaks Japanese with pyopenjtalk-plus, whose MeCab dictionary and HTS voice
  are inside the wheel (it never downloads; we still check, because the original `pyopenjtalk`
  downloads its dictionary on first use and a city-hall PC may have no internet).
- `Pyttsx3Engine` speaks the other languages through pyttsx3's espeak-ng driver, on one worker
  thread, falling back to the `espeak-ng` binary when pyttsx3 cannot start or hangs.
- `EspeakNgEngine` is that binary on its own.
- `FestivalEngine` speaks English with Festival's HTS voice cmu_us_slt_arctic_hts (Debian
  `festival` + `festvox-us-slt-hts`), far less robotic than espeak-ng's formant voice. It is used
  for English when installed (`MADOGUCHI_ENGLISH_VOICE`: auto, festival or espeak-ng); espeak-ng
  stays the fallback and the voice of every other language.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib.metadata
import logging
import os
import queue
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from .audio import AudioError, concatenate, from_float, read_wav, write_wav
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


# --- Festival (English) ---------------------------------------------------------------------------

EnglishVoice = Literal["auto", "festival", "espeak-ng"]
ENGLISH_VOICES: tuple[EnglishVoice, ...] = ("auto", "festival", "espeak-ng")
# Debian's festvox-us-slt-hts: CMU ARCTIC "slt" (US English, female) as an HTS (HMM) voice, 32 kHz.
FESTIVAL_VOICE = "cmu_us_slt_arctic_hts"
# Bump when festival_text() changes what Festival is given for the same text (a cache key part).
FESTIVAL_TEXT_VERSION = 1
# Festival reads a lone "A" by its part of speech: "number A-12" as the letter /ey/, but
# "Ticket A 12" and "counter 12 A" as the article /ax/. A letter A becomes this word, which the
# lexicon addendum in FestivalEngine says /ey/, so it is the letter in every context.
FESTIVAL_LETTER_A = "madoguchilettera"
# Festival's Scheme heap, in cells: its default (10 million) makes every festival process 330 MB
# resident; a call sentence needs far less (1 million: ~50 MB, same audio, no slower).
FESTIVAL_HEAP_CELLS = 1_000_000
_TICKET_CODE = re.compile(r"(?<![\w-])([A-Z]{1,3})-([0-9]+)(?![\w-])")  # number_spoken(): "A-12"
_MIXED_CODE = re.compile(r"(?<![\w-])(?=[A-Z0-9]*[0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{2,8}(?![\w-])")  # "12A", "2B"
_CAPITAL_LETTERS = re.compile(r"(?<![\w-])[A-Z]{2,3}(?![\w-])")  # "AB", "US": letters, not words
_RUNS = re.compile(r"[A-Z]+|[0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LETTER_A_IN_SENTENCE = re.compile(r"(?<=[A-Za-z0-9,;] )A(?![\w-])")  # not "A reminder: …"


def _spelled(letters: str) -> str:
    return " ".join(FESTIVAL_LETTER_A if letter == "A" else letter for letter in letters)


def festival_text(text: str) -> str:
    """What Festival is given for `text`, so that ticket numbers and counters are read as a lobby
    says them: "A-12" → "A twelve" (not "a one two" or "uh twelve"), counter "12A" → "twelve A",
    "CAT-5" → "C A T five" (not the word "cat"). Festival reads 8-bit text: accents are dropped."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = " ".join("".join(char if char.isascii() and char.isprintable() else " " for char in text).split())
    text = _TICKET_CODE.sub(lambda match: f"{_spelled(match[1])} {match[2]}", text)
    text = _MIXED_CODE.sub(
        lambda match: " ".join(run if run.isdigit() else _spelled(run) for run in _RUNS.findall(match[0])), text
    )
    text = _CAPITAL_LETTERS.sub(lambda match: _spelled(match[0]), text)
    return _LETTER_A_IN_SENTENCE.sub(FESTIVAL_LETTER_A, text)


_festival_voices_found: dict[str, tuple[str, ...]] = {}


def _festival_voices(festival: str) -> tuple[str, ...]:
    """The voices a Festival installation has (asked once per process: it takes ~0.2 s; a
    failed answer is not kept, so a slow start is not taken for a missing voice for ever)."""
    found = _festival_voices_found.get(festival)
    if found is not None:
        return found
    try:
        result = subprocess.run(
            [festival, "--heap", str(FESTIVAL_HEAP_CELLS), "-b", "(print (voice.list))"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        logger.warning("festival did not list its voices: %s", error)
        return ()
    found = tuple(re.findall(r"[A-Za-z0-9_]+", result.stdout.decode(errors="replace")))
    if found:
        _festival_voices_found[festival] = found
    return found


class _FestivalProcess:
    """One `festival --pipe` kept running: the voice loads once (~0.5 s), and each sentence
    then costs only its synthesis (~0.15 s instead of ~0.35 s for a fresh process)."""

    def __init__(self, festival: str, setup: str) -> None:
        self.process = subprocess.Popen(
            [festival, "--heap", str(FESTIVAL_HEAP_CELLS), "--pipe"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.pending = b""
        self.serial = 0
        # The voice's models load on the first synthesis (~0.5 s): do one now, unasked, so that it
        # is done by the time the first call comes (sent, not waited for).
        self.send(f'{setup} (utt.synth (Utterance Text "Ticket number one."))')

    def send(self, expression: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(expression.encode("ascii") + b"\n")
        self.process.stdin.flush()

    def run(self, expression: str, timeout_seconds: float) -> None:
        """Evaluate `expression`; return once Festival has finished it."""
        self.serial += 1
        marker = f"madoguchi-done-{self.serial}\n".encode()
        # Festival's stdout is block-buffered on a pipe: the marker is flushed by hand.
        self.send(f'{expression} (format t "madoguchi-done-{self.serial}\\n") (fflush nil)')
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout_seconds
        while marker not in self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SpeechError(f"festival did not answer within {timeout_seconds} s")
            ready, _, _ = select.select([descriptor], [], [], remaining)
            if ready:
                chunk = os.read(descriptor, 65536)
                if not chunk:
                    raise SpeechError(f"festival ended (exit status {self.process.wait(1)})")
                self.pending += chunk
        self.pending = self.pending.split(marker, 1)[1]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class FestivalEngine(SpeechEngine):
    """English through Festival with an HTS voice (by default cmu_us_slt_arctic_hts from Debian's
    festvox-us-slt-hts): 32 kHz statistical synthesis, much more natural than espeak-ng.

    One Festival process is kept per engine (the voice loads once) and used by one thread at a
    time; if it fails or hangs it is ended, the sentence is made by a fresh `festival -b`, and
    the next one starts a new process. Nothing is downloaded."""

    name = "festival"

    def __init__(
        self,
        *,
        festival: str = "festival",
        voice: str = FESTIVAL_VOICE,
        gain: float = 1.5,
        timeout_seconds: float = 30.0,
        keep_running: bool = True,
    ) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", voice):  # it goes into a Scheme expression
            raise ValueError(f"not a Festival voice name: {voice!r}")
        self.festival = festival
        self.voice = voice
        # The HTS voice peaks at ~1/3 of full scale; 1.5 brings it to Open JTalk's loudness (the
        # Japanese part of the same call) without clipping.
        self.gain = gain
        self.timeout_seconds = timeout_seconds
        self.keep_running = keep_running
        self._lock = threading.Lock()
        self._process: _FestivalProcess | None = None
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self.restarts = 0  # processes that failed and were replaced (for monitoring and tests)

    @cached_property
    def _program_version(self) -> str:
        output = self._run_once(["--version"]).decode(errors="replace")
        match = re.search(r"\b(\d+(?:\.\d+)+)", output)
        return match.group(1) if match else output.strip()[:40]

    @property
    def version(self) -> str:
        return f"festival/{self._program_version}/{self.voice}/gain={self.gain}/text={FESTIVAL_TEXT_VERSION}"

    def voices(self) -> tuple[str, ...]:
        festival = shutil.which(self.festival)
        return _festival_voices(festival) if festival is not None else ()

    def problem(self) -> str | None:
        """Why this engine cannot speak here (None: it can)."""
        if shutil.which(self.festival) is None:
            return "festival is not installed (Debian: apt-get install festival festvox-us-slt-hts)"
        if self.voice not in self.voices():
            return f"festival has no voice {self.voice} (Debian: apt-get install festvox-us-slt-hts)"
        return None

    def available(self) -> bool:
        return self.problem() is None

    def supports(self, lang: str) -> bool:
        return normalize_lang(lang).split("-")[0] == "en" and self.available()

    def synthesize(self, text: str, lang: str = "en") -> bytes:
        problem = self.problem()
        if problem is not None:
            raise SpeechError(problem)
        self._check(text, lang)
        with self._lock:
            if self._directory is None:
                self._directory = tempfile.TemporaryDirectory(prefix="madoguchi-festival-")
            # One utterance per sentence, as text2wave does: HTS time grows faster than the
            # length of an utterance (a 3,000-character paragraph as one took over 30 s).
            sentences = [sentence for sentence in _SENTENCE_END.split(text.strip()) if sentence.strip()]
            paths = [Path(self._directory.name) / f"speech-{index}.wav" for index in range(len(sentences))]
            for path in paths:
                path.unlink(missing_ok=True)  # a stale file must not pass for this text's audio
            expression = " ".join(
                f'(utt.save.wave (utt.wave.rescale (utt.synth (Utterance Text "{_scheme_string(sentence)}"))'
                f' {self.gain}) "{path}" \'riff)'
                for sentence, path in zip(sentences, paths, strict=True)
            )
            if self.keep_running:
                try:
                    if self._process is None:
                        self._process = _FestivalProcess(self._festival_path(), self._setup)
                    self._process.run(expression, self.timeout_seconds)
                except (OSError, SpeechError) as error:
                    logger.warning("festival process failed (%s); starting a new one", error)
                    self._stop_process()
                    self.restarts += 1
            if not all(path.is_file() for path in paths):  # not kept running, or it failed: a fresh one
                self._run_once(["-b", f"(begin {self._setup} {expression})"])
            # Festival reports a Scheme error (an unknown voice …) and carries on: no file then.
            if not all(path.is_file() for path in paths):
                raise SpeechError(f"festival made no audio for {text!r}")
            if len(paths) == 1:
                return _wav_or_error(paths[0].read_bytes(), "festival")
            try:
                parts = [read_wav(path.read_bytes()) for path in paths]
            except AudioError as error:
                raise SpeechError(f"festival returned no usable WAV: {error}") from error
            return _wav_or_error(write_wav(concatenate(parts, parts[0].rate)), "festival")

    def start(self) -> None:
        """Start the Festival process and load the voice now, in the background, so that the
        first sentence does not wait for it (the process would otherwise start on first use)."""
        with self._lock:
            if not self.keep_running or self._process is not None or not self.available():
                return
            try:
                self._process = _FestivalProcess(self._festival_path(), self._setup)
            except (OSError, SpeechError) as error:
                logger.warning("festival did not start (%s); it is tried again on first use", error)

    def words(self, text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """What Festival says for `text`: each word with its phones (Festival's own analysis of
        the same input as `synthesize`), e.g. "A-12" → (("madoguchilettera", ("ey",)),
        ("twelve", ("t", "w", "eh", "l", "v")))."""
        script = (
            f'(begin {self._setup} (set! utt (utt.synth (Utterance Text "{_scheme_string(text)}")))'
            ' (mapcar (lambda (word) (format t "madoguchi-word %s" (item.name word))'
            ' (mapcar (lambda (syllable) (mapcar (lambda (segment) (format t " %s" (item.name segment)))'
            " (item.relation.daughters syllable 'SylStructure))) (item.relation.daughters word 'SylStructure))"
            ' (format t "\\n")) (utt.relation.items utt \'Word)))'
        )
        found = []
        for line in self._run_once(["-b", script]).decode(errors="replace").splitlines():
            if line.startswith("madoguchi-word "):
                word, *phones = line.split()[1:]
                found.append((word, tuple(phones)))
        return tuple(found)

    def close(self) -> None:
        with self._lock:
            self._stop_process()
            if self._directory is not None:
                self._directory.cleanup()
                self._directory = None

    @property
    def _setup(self) -> str:
        """Scheme run before any text: the voice, and the letter A's pronunciation."""
        return f'(begin (voice_{self.voice}) (lex.add.entry \'("{FESTIVAL_LETTER_A}" n (((ey) 1)))))'

    def _festival_path(self) -> str:
        path = shutil.which(self.festival)
        if path is None:
            raise SpeechError(self.problem() or "festival is not installed")
        return path

    def _stop_process(self) -> None:
        if self._process is not None:
            self._process.close()
            self._process = None

    def _run_once(self, args: Sequence[str]) -> bytes:
        try:
            result = subprocess.run(
                [self._festival_path(), "--heap", str(FESTIVAL_HEAP_CELLS), *args],
                capture_output=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SpeechError(f"festival failed: {error}") from error
        if result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip()[-300:]
            raise SpeechError(f"festival exited with {result.returncode}: {message}")
        return result.stdout


def _scheme_string(text: str) -> str:
    """`text` as Festival should read it, escaped for a Scheme string literal."""
    return festival_text(text).replace("\\", "\\\\").replace('"', '\\"')


_festival_lock = threading.Lock()
_festival: FestivalEngine | None = None


def _shared_festival() -> FestivalEngine:
    """One Festival engine (so one ~50 MB festival process) per process, however many announcers
    and voice guides ask for default engines; a closed one starts again on its next sentence."""
    global _festival
    with _festival_lock:
        if _festival is None:
            _festival = FestivalEngine()
        return _festival


def _configured_english_voice() -> str:
    from server.config import get_settings  # lazy: the library itself needs no server settings

    return get_settings().english_voice


def default_engines(*, english: EnglishVoice | str | None = None) -> dict[str, SpeechEngine]:
    """Japanese through Open JTalk; English through Festival's HTS voice when installed (or when
    `english` is "festival"), else, like everything else, through espeak-ng (via pyttsx3).

    `english`: "auto", "festival" or "espeak-ng"; None: the MADOGUCHI_ENGLISH_VOICE setting. A
    forced Festival that is not installed is not replaced: the announcer refuses to start, which
    `madoguchi check` explains."""
    choice = english if english is not None else _configured_english_voice()
    if choice not in ENGLISH_VOICES:
        raise ValueError(f"English voice must be one of {', '.join(ENGLISH_VOICES)}, not {choice!r}")
    engines: dict[str, SpeechEngine] = {"ja": OpenJTalkEngine(), "*": Pyttsx3Engine()}
    festival = _shared_festival()
    if choice == "festival" or (choice == "auto" and festival.available()):
        engines["en"] = festival
        festival.start()
    return engines
