"""One WAV per announcement: chime, Japanese, pause, English (each repeated `repeat` times).

Speed comes from two disk caches under `cache_dir`:
- `announcements/<key>.wav`: finished announcements, keyed by a hash of the kind, the exact
  engine inputs and the engine versions, so a repeat or a recall of the same text is a file
  lookup;
- `fragments/…/<hash>.wav`: what an engine said for one piece of text. Japanese sentences are
  cut where splicing keeps the reading (see `phrases.render`), so a new call is assembled from the
  letter, the number (十二番), the fixed words and the counter's clause. Open JTalk needs
  ~0.1 s of CPU per second of speech (~0.6–0.8 s for a whole call sentence), while the pieces of
  a call are mostly already cached after `prewarm` or the first few calls.

Everything is thread-safe; `get()` is the asyncio entry point. Concurrent requests for the same
announcement or the same fragment synthesise it once and share the result.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import hashlib
import json
import os
import threading
import uuid
import wave
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .audio import Pcm, chime, concatenate, read_wav, silence, trim_silence, write_wav
from .engines import SpeechEngine, SpeechError, UnsupportedLanguageError, default_engines
from .phrases import (
    AnnouncementKind,
    Phrase,
    PhraseError,
    announcement_phrases,
    is_japanese,
    merged_templates,
    normalize_lang,
)

# Bump when the assembly (gaps, chime, layout) changes, to invalidate old announcement WAVs,
# and FRAGMENT_VERSION when what is stored per fragment (trimming) changes.
ASSEMBLY_VERSION = 2
FRAGMENT_VERSION = 1

_T = TypeVar("_T")


@dataclass(frozen=True)
class AnnouncementAudio:
    """A finished announcement: the WAV on disk and what it says."""

    key: str
    path: Path
    texts: Mapping[str, str]  # language → sentence (for captions and logs)
    pieces: Mapping[str, tuple[str, ...]]  # language → exactly what the engine was given
    duration_seconds: float
    from_cache: bool

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True)
class Pauses:
    """Silences, in seconds, between the parts of an announcement."""

    after_chime: float = 0.35
    between_languages: float = 0.7
    between_repeats: float = 1.2
    tail: float = 0.3
    after_comma: float = 0.22  # after 、 or ,
    after_sentence: float = 0.4  # after 。 . ! ?
    between_words: float = 0.04  # e.g. between エー and 十二番


class Announcer:
    """Builds announcement WAVs for calls, recalls and pick-up calls, with caching.

    The only inputs are a ticket number and a counter number: there is no parameter through
    which a procedure name could be spoken.
    """

    def __init__(
        self,
        cache_dir: Path | str,
        engines: Mapping[str, SpeechEngine] | None = None,
        templates: Mapping[str, Mapping[str, str]] | None = None,
        voice_languages: Sequence[str] = ("ja", "en"),
        repeat: int = 1,
        *,
        chime_enabled: bool = True,
        sample_rate: int = 48_000,
        use_fragments: bool = True,
        pauses: Pauses | None = None,
        max_workers: int = 2,
        fragments_in_memory: int = 512,
        max_announcement_bytes: int | None = 256 * 2**20,
        max_fragment_bytes: int | None = 256 * 2**20,
    ) -> None:
        if repeat < 1:
            raise ValueError("repeat must be at least 1")
        if not voice_languages:
            raise ValueError("voice_languages must name at least one language")
        self.cache_dir = Path(cache_dir)
        self._owns_engines = engines is None
        self.engines: Mapping[str, SpeechEngine] = engines if engines is not None else default_engines()
        self.templates = merged_templates(templates)
        self.voice_languages = tuple(voice_languages)
        self.repeat = repeat
        self.chime_enabled = chime_enabled
        self.sample_rate = sample_rate
        self.use_fragments = use_fragments
        self.pauses = pauses or Pauses()
        self._announcements_dir = self.cache_dir / "announcements"
        self._fragments_dir = self.cache_dir / "fragments"
        self._announcements_dir.mkdir(parents=True, exist_ok=True)
        self._fragments_dir.mkdir(parents=True, exist_ok=True)
        # A 48 kHz call is ~1 MB and hundreds are made a day; old ones are never replayed.
        self._announcement_budget = DiskBudget(self._announcements_dir, max_announcement_bytes)
        self._fragment_budget = DiskBudget(self._fragments_dir, max_fragment_bytes)

        self._lock = threading.Lock()
        self._inflight: dict[str, concurrent.futures.Future[object]] = {}
        self._memory: OrderedDict[str, Pcm] = OrderedDict()
        self._memory_limit = fragments_in_memory
        self._chime: Pcm | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="madoguchi-announcer"
        )
        # Fail at start-up, not at the first call in a full lobby.
        for kind in AnnouncementKind:
            for lang in self.voice_languages:
                if lang not in self.templates[kind]:
                    raise PhraseError(f"no {kind.value!r} template for voice language {lang!r}")
        for lang in self.voice_languages:
            engine = self.engine_for(lang)
            if not engine.supports(lang):
                raise UnsupportedLanguageError(f"{engine.name} cannot speak language {lang!r}")
        self._versions = {lang: self.engine_for(lang).version for lang in self.voice_languages}

    # --- public API -------------------------------------------------------------------------

    def sequence(self, *, brief: bool = False, listener: str | None = None) -> tuple[str, ...]:
        """The languages spoken, in order.

        `brief`: the first voice language (Japanese) once, for a call the lobby must hear while
        newer calls are already on the board. `listener`: the ticket's language: Japanese
        `repeat` times, then that language once when it differs (English when it has no voice
        here), so that a call takes seconds, not the ~20 s of every language twice. Neither:
        every voice language, the whole round `repeat` times.
        """
        first = self.voice_languages[0]
        if brief:
            return (first,)
        if listener is None:
            return self.voice_languages * self.repeat
        extra: tuple[str, ...] = ()
        if not is_japanese(listener):
            voiced = [lang for lang in self.voice_languages[1:] if normalize_lang(lang) == normalize_lang(listener)]
            extra = (voiced[0],) if voiced else self.voice_languages[1:2]
        return (first,) * self.repeat + extra

    def phrases(
        self,
        kind: AnnouncementKind | str,
        number: str,
        counter: str,
        *,
        brief: bool = False,
        listener: str | None = None,
    ) -> dict[str, Phrase]:
        """The sentence per language spoken (see sequence), with the pieces the engines will be given."""
        return announcement_phrases(
            kind,
            number=number,
            counter=counter,
            languages=list(dict.fromkeys(self.sequence(brief=brief, listener=listener))),
            templates=self.templates,
        )

    def key(
        self,
        kind: AnnouncementKind | str,
        number: str,
        counter: str,
        *,
        brief: bool = False,
        listener: str | None = None,
    ) -> str:
        phrases = self.phrases(kind, number, counter, brief=brief, listener=listener)
        return self._key(AnnouncementKind(kind), phrases, self.sequence(brief=brief, listener=listener))

    def announcement(
        self,
        kind: AnnouncementKind | str,
        number: str,
        counter: str,
        *,
        brief: bool = False,
        listener: str | None = None,
    ) -> AnnouncementAudio:
        """The announcement WAV for a ticket number and a counter (blocking; thread-safe).

        `brief` and `listener` choose the languages spoken (see sequence)."""
        kind = AnnouncementKind(kind)
        phrases = self.phrases(kind, number, counter, brief=brief, listener=listener)
        sequence = self.sequence(brief=brief, listener=listener)
        key = self._key(kind, phrases, sequence)
        path = self._announcements_dir / f"{key}.wav"
        texts = {lang: phrase.text for lang, phrase in phrases.items()}
        pieces = {lang: self._engine_pieces(phrase) for lang, phrase in phrases.items()}
        cached = _use(path)
        if cached is not None:
            return AnnouncementAudio(key, path, texts, pieces, cached, from_cache=True)

        def build() -> float:
            finished = _use(path)  # by another caller meanwhile
            if finished is not None:
                return finished
            pcm = self._assemble(phrases, sequence)
            self._announcement_budget.add(write_atomically(path, write_wav(pcm)))
            return pcm.duration_seconds

        duration = self._single_flight(f"announcement:{key}", build)
        return AnnouncementAudio(key, path, texts, pieces, duration, from_cache=False)

    async def get(self, kind: AnnouncementKind | str, number: str, counter: str) -> AnnouncementAudio:
        """`announcement()` for asyncio code: synthesis runs on the announcer's thread pool."""
        # Validate on the loop so a bad number or counter fails fast, before queueing.
        self.phrases(kind, number, counter)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self.announcement, kind, number, counter))

    def prewarm(
        self,
        prefixes: Iterable[str],
        max_number: int,
        counters: Iterable[str],
        *,
        kinds: Iterable[AnnouncementKind | str] = tuple(AnnouncementKind),
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Synthesise every Japanese fragment a day's calls can need; returns how many were new.

        About 1 000 fragments for 999 numbers (a few minutes of CPU, once: they stay on disk across
        restarts). English sentences are not prewarmed: espeak-ng says one in ~0.05 s, Festival in
        ~0.1–0.3 s (bench/results/english_voice.md).
        """
        prefixes = list(prefixes)
        counters = list(counters)
        if not prefixes or not counters:
            return 0
        # Every number at one counter, and one number at every counter: together they hold every
        # fragment (the pieces of a number do not depend on the counter, nor the reverse).
        renders = [
            (f"{prefix}{value:03d}", counters[0]) for prefix in prefixes for value in range(1, max_number + 1)
        ] + [(f"{prefixes[0]}001", counter) for counter in counters]
        return self.warm(renders, kinds=kinds, on_progress=on_progress)

    def warm(
        self,
        calls: Iterable[tuple[str, str]],
        *,
        kinds: Iterable[AnnouncementKind | str] = tuple(AnnouncementKind),
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Synthesise the Japanese fragments of these (number, counter) calls; returns how many were new."""
        calls = list(calls)
        languages = [lang for lang in self.voice_languages if is_japanese(lang)]
        if not self.use_fragments or not languages or not calls:
            return 0
        wanted: dict[tuple[str, str], None] = {}  # ordered set of (lang, piece)
        for kind in kinds:
            for lang in languages:
                template = self.templates[AnnouncementKind(kind)][lang]
                for number, counter in calls:
                    phrase = announcement_phrases(
                        kind, number=number, counter=counter, languages=[lang],
                        templates={AnnouncementKind(kind): {lang: template}},
                    )[lang]  # fmt: skip
                    for piece in phrase.pieces:
                        wanted[(lang, piece)] = None
        created = 0
        for done, (lang, piece) in enumerate(wanted, start=1):
            if not self._fragment_path(lang, piece).is_file():
                self._fragment_wav(lang, piece)
                created += 1
            if on_progress is not None:
                on_progress(done, len(wanted))
        return created

    def engine_for(self, lang: str) -> SpeechEngine:
        code = normalize_lang(lang)
        for candidate in (lang, code, code.split("-")[0], "*"):
            engine = self.engines.get(candidate)
            if engine is not None:
                return engine
        raise UnsupportedLanguageError(f"no speech engine configured for language {lang!r}")

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        if self._owns_engines:
            for engine in self.engines.values():
                engine.close()

    # --- assembly ---------------------------------------------------------------------------

    def _engine_pieces(self, phrase: Phrase) -> tuple[str, ...]:
        return phrase.pieces if self.use_fragments else (phrase.text,)

    def _key(self, kind: AnnouncementKind, phrases: Mapping[str, Phrase], sequence: Sequence[str]) -> str:
        description = {
            "assembly": ASSEMBLY_VERSION,
            "kind": kind.value,
            "voices": [
                [lang, self._versions[lang], list(self._engine_pieces(phrase))] for lang, phrase in phrases.items()
            ],
            "sample_rate": self.sample_rate,
            "chime": self.chime_enabled,
            "sequence": list(sequence),
            "pauses": vars(self.pauses),
        }
        encoded = json.dumps(description, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:32]

    def _assemble(self, phrases: Mapping[str, Phrase], sequence: Sequence[str]) -> Pcm:
        """Chime, then each language of `sequence` in turn: a longer pause before the first
        language comes round again (a repeat), a shorter one before another language."""
        rate = self.sample_rate
        pauses = self.pauses
        parts: list[Pcm] = []
        if self.chime_enabled:
            parts += [self._chime_pcm(), silence(pauses.after_chime, rate)]
        for index, lang in enumerate(sequence):
            if index:
                again = lang == sequence[0]
                parts.append(silence(pauses.between_repeats if again else pauses.between_languages, rate))
            phrase = phrases[lang]
            pieces = self._engine_pieces(phrase)
            for position, piece in enumerate(pieces):
                parts.append(self._fragment(phrase.lang, piece))
                if position < len(pieces) - 1:
                    parts.append(silence(self._gap_after(piece), rate))
        parts.append(silence(pauses.tail, rate))
        return concatenate(parts, rate)

    def _gap_after(self, piece: str) -> float:
        last = piece.rstrip()[-1:]
        if last in "、,":
            return self.pauses.after_comma
        if last in "。.!?！？":
            return self.pauses.after_sentence
        return self.pauses.between_words

    def _chime_pcm(self) -> Pcm:
        if self._chime is None:
            self._chime = chime(self.sample_rate)
        return self._chime

    def _fragment(self, lang: str, text: str) -> Pcm:
        """A piece of speech, trimmed and at the output rate: memory, then disk, then engine."""
        path = self._fragment_path(lang, text)
        memory_key = str(path)
        with self._lock:
            cached = self._memory.get(memory_key)
            if cached is not None:
                self._memory.move_to_end(memory_key)
        if cached is not None:
            touch(path)  # keep it young for the disk budget
            return cached
        pcm = read_wav(self._fragment_wav(lang, text))
        if pcm.rate != self.sample_rate:
            pcm = concatenate([pcm], self.sample_rate)
        with self._lock:
            self._memory[memory_key] = pcm
            while len(self._memory) > self._memory_limit:
                self._memory.popitem(last=False)
        return pcm

    def _fragment_path(self, lang: str, text: str) -> Path:
        identity = [FRAGMENT_VERSION, self._versions[lang], normalize_lang(lang), text]
        digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:32]
        return self._fragments_dir / digest[:2] / f"{digest}.wav"

    def _fragment_wav(self, lang: str, text: str) -> bytes:
        path = self._fragment_path(lang, text)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            pass
        else:
            touch(path)
            return data

        def synthesize() -> bytes:
            with contextlib.suppress(FileNotFoundError):  # finished by another caller meanwhile
                return path.read_bytes()
            engine = self.engine_for(lang)
            # Stored trimmed: engines pad each utterance with ~0.3 s of silence at both ends,
            # which would halt the spliced sentence and waste half of a short fragment's file.
            spoken = trim_silence(read_wav(engine.synthesize(text, lang)))
            if len(spoken) == 0:
                raise SpeechError(f"{engine.name} said nothing for {text!r}")
            data = write_wav(spoken)
            self._fragment_budget.add(write_atomically(path, data))
            return data

        return self._single_flight(f"fragment:{path.name}", synthesize)

    def _single_flight(self, key: str, produce: Callable[[], _T]) -> _T:
        """Run `produce` once for concurrent callers with the same key; they share its result."""
        with self._lock:
            future = self._inflight.get(key)
            owner = future is None
            if future is None:
                future = concurrent.futures.Future()
                self._inflight[key] = future
        if not owner:
            return future.result()  # type: ignore[return-value]
        try:
            result = produce()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._inflight[key]


def write_atomically(path: Path, data: bytes) -> int:
    # Readers open files without locks, so a file must never be seen half-written.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return len(data)


def _use(path: Path) -> float | None:
    """Duration of a cached announcement, marking it recently used; None when absent."""
    try:
        with wave.open(str(path), "rb") as reader:
            duration = reader.getnframes() / reader.getframerate()
    except FileNotFoundError:
        return None
    touch(path)
    return duration


def touch(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.utime(path)


class DiskBudget:
    """Keeps a cache directory under a size limit by deleting its least recently used WAVs.

    Use is tracked by modification time (touched on every hit) because access times are often
    disabled. Deleting a file another request is streaming is safe on POSIX, and a deleted
    entry is simply synthesised again.
    """

    def __init__(self, directory: Path, max_bytes: int | None) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._bytes = sum(size for _, size, _ in self._files()) if max_bytes is not None else 0

    def add(self, size: int) -> None:
        if self.max_bytes is None:
            return
        with self._lock:
            self._bytes += size
            if self._bytes <= self.max_bytes:
                return
            # Prune to 80 % so that the directory is not rescanned on every new file.
            files = sorted(self._files())
            total = sum(size for _, size, _ in files)
            for _, file_size, path in files:
                if total <= self.max_bytes * 0.8:
                    break
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                total -= file_size
            self._bytes = total

    def _files(self) -> list[tuple[float, int, Path]]:
        files = []
        for path in self.directory.rglob("*.wav"):
            with contextlib.suppress(FileNotFoundError):
                status = path.stat()
                files.append((status.st_mtime, status.st_size, path))
        return files
