"""Announcement audio for the boards: one WAV per public call, synthesised once and cached."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from server.deps import RowId
from server.realtime.announcing import CallAnnouncements

router = APIRouter(tags=["realtime"])


@router.get(
    "/announcements/{event_id}.wav",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}}, 404: {"description": "Not a spoken call"}},
)
def announcement_audio(event_id: RowId, request: Request, brief: bool = False) -> FileResponse:
    """Chime, Japanese and English for one call event (no sign-in: it is said aloud in the lobby).

    `?brief=true`: chime and Japanese once, for a call the board announces while newer calls
    are already on the screen (the voice keeps up with the board)."""
    announcements: CallAnnouncements = request.app.state.announcements
    path = announcements.wav_for_event(event_id, brief=brief)
    # An event's announcement never changes: boards and proxies may keep it.
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400, immutable"})
