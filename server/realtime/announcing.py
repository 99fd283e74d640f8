"""Spoken calls for the boards: each public call's WAV, made before the board asks for it.

A call event carries `audio_url` (/api/v1/announcements/{event id}.wav, see events.py). The WAV
itself comes from server.announcements (chime, Japanese, English; cached on disk by content).
To have it ready when a board asks a few milliseconds after the event, this process starts the
synthesis (in a speech process) as soon as the event reaches it, if it has boards of that branch;
and when a ticket is issued, it synthesises that number's Japanese fragments, so the call later
only assembles them.
Any process can still serve any announcement on demand: boards need no sticky sessions.
"""

import asyncio
import json
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.announcements import AnnouncementKind, Announcer, PhraseError
from server.announcements.phrases import TicketNumber
from server.errors import DomainError, NotFound
from server.models import Branch, Counter, Event, Ticket
from server.realtime.bus import Delivery, EventHub
from server.realtime.events import EventType, is_announced

logger = logging.getLogger("madoguchi.realtime")

KIND_BY_EVENT = {
    str(EventType.ticket_called): AnnouncementKind.CALL,
    str(EventType.ticket_recalled): AnnouncementKind.RECALL,
}
SPOKEN_KINDS = frozenset(kind.value for kind in AnnouncementKind)
# A first call with a cold cache (new prefix, new counter) takes about a second.
SPEECH_TIMEOUT_SECONDS = 60


class SpeechUnavailable(DomainError):
    """A speech process died or took too long: retry; the next request meets a new one."""

    status_code = 503
    code = "speech_unavailable"


@dataclass(frozen=True)
class SpokenCall:
    """What an announcement says: nothing but the kind, a ticket number and a counter number;
    and in which languages (the ticket's: server-side only, never in a display's message)."""

    branch_id: str
    kind: AnnouncementKind
    number: str
    counter: str
    listener: str | None = None


def listening(session: Session, call: SpokenCall, ticket_id: int | None) -> SpokenCall:
    """The call with its ticket's language, for the languages it is said in."""
    language = session.exec(select(Ticket.language).where(Ticket.id == ticket_id)).first() if ticket_id else None
    return replace(call, listener=language)


def spoken_call(message: Mapping[str, Any]) -> SpokenCall | None:
    if not is_announced(dict(message)):
        return None
    return SpokenCall(
        branch_id=str(message["branch"]),
        # A first call may name its wording (a hand-over says the documents are ready).
        kind=AnnouncementKind(message["call"]) if message.get("call") else KIND_BY_EVENT[str(message["type"])],
        number=str(message["ticket"]["number"]),
        counter=str(message["counter"]["name"]),
    )


@dataclass(frozen=True)
class BranchVoice:
    """A branch's announcement settings, as loaded from its configuration."""

    templates: Mapping[str, Mapping[str, str]]
    repeat: int
    public_counters: tuple[str, ...]

    @property
    def cache_key(self) -> str:
        return json.dumps([self.templates, self.repeat], sort_keys=True, ensure_ascii=False)


def branch_voice(session: Session, branch_id: str) -> BranchVoice:
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"Unknown branch {branch_id!r}.", code="branch_not_found")
    settings = branch.settings.get("announcements") or {}
    # Screen-only templates (next_stop, ticketing_closed) are never spoken.
    templates = {kind: texts for kind, texts in (settings.get("templates") or {}).items() if kind in SPOKEN_KINDS}
    counters = session.exec(
        select(Counter.code)
        .where(Counter.branch_id == branch_id, col(Counter.public), col(Counter.active))
        .order_by(col(Counter.position))
    ).all()
    return BranchVoice(
        templates=templates, repeat=int(settings.get("repeat_each_call", 1)), public_counters=tuple(counters)
    )


# --- the speech process ------------------------------------------------------------------------
# Synthesis runs in worker processes: Open JTalk holds the GIL for up to ~60 ms at a time, which
# in the server process would stall every WebSocket send behind it. Results are files in the
# shared disk cache, so only paths cross the process boundary.

_announcers_here: dict[str, Announcer] = {}


def _announcer_here(cache_dir: str, voice: BranchVoice) -> Announcer:
    key = cache_dir + voice.cache_key
    announcer = _announcers_here.get(key)
    if announcer is None:
        announcer = Announcer(cache_dir, templates=voice.templates, repeat=voice.repeat)
        _announcers_here[key] = announcer
    return announcer


def speak_call(cache_dir: str, voice: BranchVoice, call: SpokenCall, brief: bool = False) -> str:
    """In a speech process: the call's WAV (cached, or made now); returns its path."""
    announcer = _announcer_here(cache_dir, voice)
    return str(announcer.announcement(call.kind, call.number, call.counter, brief=brief, listener=call.listener).path)


def warm_number(cache_dir: str, voice: BranchVoice, number: str) -> None:
    """In a speech process: the Japanese fragments a call of this number, at any public counter,
    will need (a few dozen phrases rendered, fragments already on disk skipped; the cost does not
    grow with the day's count, as walking every number up to this one would)."""
    if TicketNumber.parse(number).prefix:
        _announcer_here(cache_dir, voice).warm(
            [(number, counter) for counter in voice.public_counters],
            kinds=(AnnouncementKind.CALL, AnnouncementKind.RECALL),
        )


def exit_with_parent(server_pid: int, poll_seconds: float = 2.0) -> None:
    """In a speech process: end when the server that started it is gone. A server killed
    outright (SIGKILL, OOM) never shuts its pool down, and its workers would live on.

    The server names itself: one killed while this process was still starting has already
    left it to init, and `os.getppid()` read here would watch init for ever."""

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(poll_seconds)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class SpeechPool:
    """Speech processes, started on first use (a server whose boards never ask pays nothing),
    spawned, not forked (forking a process that runs threads and an event loop is unsafe), and
    replaced when one has died: a crashed synthesiser must not silence the lobby until a restart."""

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[..., Any], *args: Any) -> "Future[Any]":
        pool = self._current()
        try:
            return pool.submit(job, *args)
        except BrokenExecutor:
            logger.warning("a speech process died; starting new ones")
            with self._lock:
                if self._pool is pool:  # not already replaced by another thread
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            return self._current().submit(job, *args)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool


class CallAnnouncements:
    def __init__(self, engine: Engine, cache_dir: Path, *, prefetch: bool = True, speech_processes: int = 2) -> None:
        self._engine = engine
        self._cache_dir = str(cache_dir)
        self._prefetch = prefetch
        self._calls = SpeechPool(speech_processes)
        # The kiosk's voice guide speaks whole screens (seconds when new): in a process of its
        # own, so a screen read aloud never holds up a call in the lobby.
        self._guide = SpeechPool(1)
        self._hub: EventHub | None = None

    def attach(self, hub: EventHub) -> None:
        self._hub = hub
        if self._prefetch:
            hub.add_fan_out_listener(self.on_deliveries)

    def close(self) -> None:
        self._calls.close()
        self._guide.close()

    def run_speech(self, job: Callable[..., Any], *args: Any) -> "Future[Any]":
        """Run `job(*args)` in the voice guide's speech process (never in the server's own)."""
        return self._guide.submit(job, *args)

    # --- serving ------------------------------------------------------------------------------

    def wav_for_event(self, event_id: int, *, brief: bool = False) -> Path:
        """The WAV of one call event (blocking: may synthesise). NotFound if it is not spoken.

        `brief`: once, in Japanese only: what a board plays for a call that newer calls have
        already followed, so that the voice keeps up with the screen."""
        with Session(self._engine) as session:
            event = session.get(Event, event_id)
            call = spoken_call(event.payload) if event is not None else None
            if event is None or call is None:
                raise NotFound("No announcement for this event.", code="announcement_not_found")
            call = listening(session, call, event.ticket_id)
            voice = branch_voice(session, call.branch_id)
        try:
            job = self._calls.submit(speak_call, self._cache_dir, voice, call, brief)
            return Path(job.result(SPEECH_TIMEOUT_SECONDS))
        except PhraseError as error:
            # A counter named so it cannot be spoken safely: shown, not announced.
            raise NotFound(f"This call cannot be announced: {error}", code="announcement_not_found") from error
        except (BrokenExecutor, TimeoutError) as error:
            # The board shows the call anyway; the next one meets new speech processes.
            raise SpeechUnavailable(
                f"音声を用意できませんでした。 Speech is not available now: {error or type(error).__name__}"
            ) from error

    # --- getting ahead of the boards -------------------------------------------------------------

    def on_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        loop = asyncio.get_running_loop()
        for delivery in deliveries:
            message = delivery.message
            branch_id = message.get("branch")
            if not isinstance(branch_id, str) or self._hub is None or not self._hub.has_subscribers(branch_id):
                continue  # no board here will ask
            call = spoken_call(message)
            if call is not None:
                loop.run_in_executor(None, self._start, speak_call, branch_id, call, delivery.ticket_id)
            elif message.get("type") == EventType.ticket_issued and message.get("ticket"):
                loop.run_in_executor(None, self._start, warm_number, branch_id, str(message["ticket"]["number"]))

    def _start(
        self,
        job: Callable[[str, BranchVoice, Any], object],
        branch_id: str,
        subject: Any,
        ticket_id: int | None = None,
    ) -> None:
        """Read the branch's voice (a short session) and hand the job to a speech process."""
        try:
            with Session(self._engine) as session:
                voice = branch_voice(session, branch_id)
                if isinstance(subject, SpokenCall):
                    subject = listening(session, subject, ticket_id)
            future = self._calls.submit(job, self._cache_dir, voice, subject)
        except Exception:
            logger.exception("could not start %s for %s", job.__name__, subject)
            return
        future.add_done_callback(lambda done: _log_failure(done, job.__name__, subject))


def _log_failure(done: Future[object], what: str, subject: Any) -> None:
    if not done.cancelled() and done.exception() is not None:
        logger.error("%s failed for %s: %r", what, subject, done.exception())
