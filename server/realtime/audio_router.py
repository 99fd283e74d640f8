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
def announcement_audio(event_id: RowId, request: Request) -> FileResponse:
    """Chime, Japanese and English for one call event (no sign-in: it is said aloud in the lobby)."""
    announcements: CallAnnouncements = request.app.state.announcements
    path = announcements.wav_for_event(event_id)
    # An event's announcement never changes: boards and proxies may keep it.
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400, immutable"})
