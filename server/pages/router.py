"""Pages served to browsers: the lobby display board and a ticket's status page.

Both are static files from display/ (no build step, no CDN); they read everything live over
the WebSocket API, so the HTML itself holds no data and no secret and can be cached by nobody.
"""

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from display import FAVICON
from server.config import PROJECT_ROOT

DISPLAY_DIR = PROJECT_ROOT / "display"
ASSETS_PATH = "/static/display"
# Pages carry a token in their URL: never cached, never leaked as a referrer, never framed, and
# only our own scripts run (the board is left unattended in a public lobby).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    ),
}

router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(Path(DISPLAY_DIR, name), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/")
def landing_page() -> FileResponse:
    """The server's front page: where the consoles and pages are."""
    return _page("index.html")


@router.get("/display/{branch}")
def display_board(branch: str) -> FileResponse:
    """The lobby board; it connects with the ?token= of its URL and shows its own errors."""
    return _page("board.html")


@router.get("/t/{status_token}")
def ticket_status_page(status_token: str) -> FileResponse:
    """A citizen's live status page, opened from the QR code on the ticket."""
    return _page("status.html")


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The tab icon browsers ask for by themselves (else a 404 in every page's log)."""
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


def install_pages(app: FastAPI) -> None:
    from server.pages.appointments import install_appointment_pages

    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=DISPLAY_DIR), name="display-assets")
    install_appointment_pages(app)
