"""The citizen's booking pages: /book/{branch} (book a visit) and /a/{manage_token} (view, cancel).

Static files from display/appointments/ (no build step), loaded by relative URLs so that the same
pages work behind a city hall's prefix on the public edge, which forwards these paths over its
link (server/edge/protocol.py). The pages read and book through the public appointment API.
"""

import io
from typing import Annotated

import qrcode
from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from qrcode.image.svg import SvgPathImage

from server.deps import SettingsDep
from server.pages.router import DISPLAY_DIR, PAGE_HEADERS

APPOINTMENT_PAGES_DIR = DISPLAY_DIR / "appointments"
ASSETS_PATH = "/static/appointments"

router = APIRouter(include_in_schema=False)

# A manage token as the server makes them (URL-safe base64); anything else gets no QR code.
ManageToken = Annotated[str, Path(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


def _page(name: str) -> FileResponse:
    return FileResponse(APPOINTMENT_PAGES_DIR / name, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/book/{branch}")
def booking_page(branch: str) -> FileResponse:
    """Book a visit: procedure, day, time, optional e-mail; no sign-in and no name."""
    return _page("book.html")


@router.get("/a/{manage_token}")
def manage_page(manage_token: str) -> FileResponse:
    """A booking's own page (the manage link): view it, its code and QR, cancel it."""
    return _page("manage.html")


@router.get("/a/{manage_token}/qr.svg", responses={200: {"content": {"image/svg+xml": {}}}})
def manage_qr(manage_token: ManageToken, request: Request, settings: SettingsDep) -> Response:
    """The QR code of a booking's manage link: what the kiosk's scanner reads at check-in."""
    base = settings.public_base_url or str(request.base_url)
    picture = qrcode.make(f"{base.rstrip('/')}/a/{manage_token}", image_factory=SvgPathImage, border=4)
    buffer = io.BytesIO()
    picture.save(buffer)
    # The link is as good as the booking: never cached, never leaked.
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers=PAGE_HEADERS)


def install_appointment_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=APPOINTMENT_PAGES_DIR), name="appointment-assets")
