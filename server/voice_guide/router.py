"""`/kiosk/speech`: the kiosk's voice guide (kiosk token). The kiosk agent forwards the page's asks."""

import asyncio
from collections.abc import Callable
from concurrent.futures import BrokenExecutor
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from server.announcements import SpeechError, UnsupportedLanguageError
from server.catalog.translations import CITIZEN_LANGUAGES
from server.devices.router import KioskDep
from server.errors import Unprocessable
from server.realtime.announcing import SPEECH_TIMEOUT_SECONDS, CallAnnouncements, SpeechUnavailable
from server.voice_guide import speech
from server.voice_guide.schemas import MAX_SPEECH_CHARACTERS, SpeechLanguages, SpeechRequest

router = APIRouter(tags=["kiosk"])


def _announcements(request: Request) -> CallAnnouncements:
    announcements: CallAnnouncements = request.app.state.announcements
    return announcements


async def _in_speech_process(request: Request, job: Callable[..., Any], *args: Any) -> Any:
    """`job(*args)` in a speech process, awaited here: the event loop and its WebSocket sends never
    wait on synthesis. A language without a voice stays UnsupportedLanguageError."""
    try:
        future = _announcements(request).run_speech(job, *args)
        return await asyncio.wait_for(asyncio.wrap_future(future), SPEECH_TIMEOUT_SECONDS)
    except UnsupportedLanguageError:
        raise
    except (SpeechError, TimeoutError, BrokenExecutor) as error:
        raise SpeechUnavailable(
            f"音声を用意できませんでした。 Speech is not available now: {error or type(error).__name__}"
        ) from error


async def _voices(request: Request) -> dict[str, bool]:
    # Asked of a speech process once (starting espeak-ng here would put its threads in the server).
    known: dict[str, bool] | None = getattr(request.app.state, "guide_voices", None)
    if known is None:
        found: dict[str, bool] = await _in_speech_process(request, speech.voices)
        request.app.state.guide_voices = found
        return found
    return known


def _check(body: SpeechRequest) -> None:
    if body.lang not in CITIZEN_LANGUAGES:
        raise Unprocessable(
            f"言語 {body.lang!r} は読み上げできません。 Unknown language {body.lang!r}: "
            f"use one of {', '.join(CITIZEN_LANGUAGES)}.",
            code="unknown_language",
        )
    if len(body.text) > MAX_SPEECH_CHARACTERS:
        raise Unprocessable(
            f"文章が長すぎます({MAX_SPEECH_CHARACTERS}文字まで)。 The text is {len(body.text)} characters "
            f"long; send at most {MAX_SPEECH_CHARACTERS} per request (split the screen into parts).",
            code="text_too_long",
        )
    if not speech.spoken_text(body.text, body.lang):
        raise Unprocessable("読み上げる文章がありません。 There is no text to speak.", code="empty_text")


def _no_voice(lang: str) -> Unprocessable:
    return Unprocessable(
        f"この言語の音声はありません。 There is no offline voice for {lang!r} on this server.", code="no_voice"
    )


@router.get("/kiosk/speech")
async def speech_languages(request: Request, _: KioskDep) -> SpeechLanguages:
    """Which citizen languages the voice guide can speak here."""
    voices = await _voices(request)
    return SpeechLanguages(languages=voices, max_characters=MAX_SPEECH_CHARACTERS)


@router.post(
    "/kiosk/speech",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "The text, spoken (mono 16-bit PCM WAV)"}},
)
async def speak(body: SpeechRequest, request: Request, _: KioskDep) -> FileResponse:
    """The kiosk's voice guide: a screen's words as WAV, offline (Open JTalk, espeak-ng), cached."""
    _check(body)
    if not (await _voices(request)).get(body.lang, False):
        raise _no_voice(body.lang)
    cache_dir = str(request.app.state.settings.audio_cache_dir)
    try:
        path, from_cache = await _in_speech_process(request, speech.speak, cache_dir, body.text, body.lang)
    except UnsupportedLanguageError as error:
        raise _no_voice(body.lang) from error
    # no-store: the result screen's ticket number is not kept in the kiosk browser's cache.
    headers = {"Madoguchi-Speech-Cache": "hit" if from_cache else "miss", "Cache-Control": "no-store"}
    return FileResponse(path, media_type="audio/wav", headers=headers)
