"""The kiosk agent: serves the touch screen and issues and prints tickets through the server.

It runs on the kiosk PC next to the printer and talks to the server only over HTTP with the
kiosk's device token. A ticket is printed only after the server acknowledged it, and a print
failure never costs the citizen their number: the response still carries the ticket, the
screen shows the number and QR code, and the slip stays spooled (see kiosk/printing.py).
"""

import io
import logging
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import qrcode
from fastapi import Body, Depends, FastAPI, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from display import FAVICON
from kiosk import i18n
from kiosk.api_client import ServerClient, ServerRejectedError, ServerUnreachableError
from kiosk.health import DEFAULT_INTERVAL_SECONDS, HealthReporter
from kiosk.printing import (
    DEFAULT_CITIZEN_REPRINT_SECONDS,
    KioskPrinter,
    PendingSlip,
    ReprintExpiredError,
    SlipNotPendingError,
)
from kiosk.remote_print import DEFAULT_WAIT_SECONDS, RemotePrints
from printer.agent import PrintQueue
from printer.status import PrinterStatus

logger = logging.getLogger(__name__)

# Long enough for any status URL, short enough that the endpoint cannot be used to render junk.
MAX_QR_DATA_LENGTH = 512
MAX_SPEECH_BODY_CHARACTERS = 2048


@dataclass(frozen=True)
class KioskSettings:
    server_url: str
    token: str
    branch: str
    printer_url: str
    spool_path: Path
    profile: str = "80"
    idle_timeout_seconds: float = 60.0
    health_interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    # How often the start screen re-checks the menu and the printer.
    status_poll_seconds: float = 30.0
    citizen_reprint_seconds: float = DEFAULT_CITIZEN_REPRINT_SECONDS
    # A second press of "Need help?" within this time does not alert the concierge again.
    help_cooldown_seconds: float = 30.0
    # How long the number and the status QR code stay on screen after issuing, so the next
    # person cannot scan them; longer when the slip did not print and the screen is all there is.
    result_seconds: float = 20.0
    result_unprinted_seconds: float = 60.0
    # Slips staff ask this kiosk to print are collected by a long poll of this length.
    print_poll_seconds: float = DEFAULT_WAIT_SECONDS


class KioskError(Exception):
    """An error the agent itself reports, in the server's `{"detail", "code"}` shape."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail


class ReprintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status_token: str = Field(min_length=8, max_length=100)
    language: str = i18n.DEFAULT_LANGUAGE


class HelpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = i18n.DEFAULT_LANGUAGE


class CheckInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # What was typed on the keypad, or what a keyboard-wedge scanner read from the QR code of the
    # booking's e-mail or page: the code itself or the manage link.
    code: str = Field(min_length=1, max_length=MAX_QR_DATA_LENGTH)
    language: str = i18n.DEFAULT_LANGUAGE


# Booking codes are short capitals and digits (K7Q3X9); a manage link ends in /a/{token}.
_CODE_PATTERN = re.compile(r"^[A-Z0-9]{4,12}$")
_MANAGE_LINK_PATTERN = re.compile(r"/a/([A-Za-z0-9_-]{8,100})(?:[/?#]|$)")


def appointment_reference(scanned: str) -> tuple[str | None, str | None]:
    """(code, manage_token) from what was typed or scanned; (None, None) if it is neither."""
    link = _MANAGE_LINK_PATTERN.search(scanned)
    if link is not None:
        return None, link.group(1)
    code = re.sub(r"[\s-]", "", scanned).upper()
    return (code, None) if _CODE_PATTERN.fullmatch(code) else (None, None)


class SpeechAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The server checks the language and the length (GET /kiosk/speech names its limit) and says
    # what is wrong; this bound only keeps a runaway page from sending megabytes.
    lang: str = Field(max_length=16)
    text: str = Field(max_length=MAX_SPEECH_BODY_CHARACTERS)


class StaffLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


@dataclass
class _HelpThrottle:
    cooldown_seconds: float
    last_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if self.last_at is not None and now - self.last_at < self.cooldown_seconds:
                return False
            self.last_at = now
            return True

    def forget(self) -> None:
        with self.lock:
            self.last_at = None


def require_staff(request: Request) -> str:
    """Staff prove who they are with their own sign-in token, checked by the server."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise KioskError(401, "missing_token", "Sign in as staff first.")
    server: ServerClient = request.app.state.server
    server.devices(staff_token=token.strip())
    return token.strip()


StaffDep = Annotated[str, Depends(require_staff)]


def create_app(
    settings: KioskSettings,
    *,
    server: ServerClient | None = None,
    printer: KioskPrinter | None = None,
    report_health: bool = True,
    listen_for_prints: bool = True,
) -> FastAPI:
    server = server or ServerClient(settings.server_url, token=settings.token, branch=settings.branch)
    printer = printer or KioskPrinter(
        PrintQueue(settings.spool_path, printer_url=settings.printer_url, profile=settings.profile),
        citizen_reprint_seconds=settings.citizen_reprint_seconds,
    )
    reporter = HealthReporter(server=server, printer=printer, interval_seconds=settings.health_interval_seconds)
    help_throttle = _HelpThrottle(settings.help_cooldown_seconds)
    remote_prints = RemotePrints(
        server=server,
        printer=printer,
        branch_name=lambda: _branch_name(server, settings.branch),
        wait_seconds=settings.print_poll_seconds,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if report_health:
            reporter.start()
        if listen_for_prints:
            remote_prints.start()
        try:
            yield
        finally:
            remote_prints.stop()
            reporter.stop()
            server.close()

    app = FastAPI(title="Madoguchi kiosk", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.server = server
    app.state.printer = printer
    app.state.reporter = reporter
    _install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=i18n.STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def touch_screen() -> FileResponse:
        return FileResponse(i18n.STATIC_DIR / "index.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    @app.get("/staff", include_in_schema=False)
    def staff_page() -> FileResponse:
        return FileResponse(i18n.STATIC_DIR / "staff.html")

    @app.get("/kiosk/config")
    def kiosk_config() -> dict[str, Any]:
        """What the page needs to know about this kiosk."""
        try:
            branch_name: dict[str, str] | None = server.branch_names()
        except (ServerUnreachableError, ServerRejectedError):
            branch_name = None
        try:
            # 「予約のある方」 only where something can be booked (shown when the server cannot say).
            appointments = bool(server.bookable_services())
        except (ServerUnreachableError, ServerRejectedError):
            appointments = True
        return {
            "branch": settings.branch,
            "branch_name": branch_name,
            "appointments": appointments,
            "languages": i18n.languages(),
            "idle_timeout_seconds": settings.idle_timeout_seconds,
            "status_poll_seconds": settings.status_poll_seconds,
            "result_seconds": settings.result_seconds,
            "result_unprinted_seconds": settings.result_unprinted_seconds,
        }

    @app.get("/kiosk/menu")
    def menu(request: Request, lang: Annotated[str, Query(max_length=10)] = "ja") -> Any:
        """The server's menu for this branch, in the screen language."""
        request.state.language = i18n.screen_language(lang)
        return server.menu(lang)

    @app.post("/kiosk/tickets", status_code=status.HTTP_201_CREATED)
    def issue_ticket(request: Request, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Issue through the server (the server's ticket body), then print the slip."""
        request.state.language = i18n.screen_language(body.get("language"))
        # The screen sends one key per citizen's request (kept when they try again after an
        # error); a caller without one gets a fresh key, still safe for this call's own retries.
        request_key = request.headers.get("Idempotency-Key") or uuid.uuid4().hex
        ticket = server.issue_ticket(body, request_key=request_key)
        # From here on the ticket exists: nothing below may turn this into an error response.
        result = printer.print_ticket(ticket, branch_name=_branch_name(server, settings.branch))
        return {"ticket": ticket, "print": result.as_dict()}

    @app.post("/kiosk/check-in", status_code=status.HTTP_201_CREATED)
    def check_in(request: Request, body: CheckInRequest) -> dict[str, Any]:
        """Check in a booking by its code or manage link, then print its ticket like any other."""
        language = i18n.screen_language(body.language)
        request.state.language = language
        code, manage_token = appointment_reference(body.code.strip())
        if manage_token is not None:
            try:
                code = str(server.appointment(manage_token)["code"])
            except ServerRejectedError as error:
                if error.status_code == 404:
                    raise KioskError(404, "appointment_not_found", "No booking has this link.") from None
                raise
        if code is None:
            raise KioskError(422, "invalid_code", "A booking code is letters and digits, e.g. K7Q3X9.")
        try:
            ticket = server.check_in(code, language=language)
        except ServerRejectedError as error:
            if error.status_code == 404 and error.code not in {"branch_not_found", "appointment_not_found"}:
                raise KioskError(404, "appointment_not_found", "No booking has this code.") from None
            raise
        # From here on the ticket exists: nothing below may turn this into an error response.
        result = printer.print_ticket(ticket, branch_name=_branch_name(server, settings.branch))
        return {"ticket": ticket, "print": result.as_dict()}

    @app.post("/kiosk/tickets/reprint")
    def reprint_own_ticket(request: Request, body: ReprintRequest) -> dict[str, Any]:
        """The citizen on the result screen tries to print their own slip again."""
        request.state.language = i18n.screen_language(body.language)
        try:
            result = printer.reprint_for_citizen(body.status_token)
        except SlipNotPendingError:
            raise KioskError(409, "nothing_to_reprint", "No unprinted slip for this ticket.") from None
        except ReprintExpiredError:
            raise KioskError(409, "reprint_expired", "Too long after issue; staff can reprint it.") from None
        return {"print": result.as_dict()}

    @app.get("/kiosk/status")
    def kiosk_status() -> dict[str, Any]:
        """Printer state (asked now) and whether the server answers."""
        state = printer.refresh()
        reachable = server.is_reachable()
        if state.status.is_fault:
            reporter.report_soon()
        return {
            "server": {"reachable": reachable},
            "printer": {
                "status": state.status.value,
                "detail": state.detail,
                "can_print": state.status.can_print or state.status is PrinterStatus.UNKNOWN,
                "pending_prints": state.pending,
            },
        }

    @app.post("/kiosk/help", status_code=status.HTTP_202_ACCEPTED)
    def call_concierge(request: Request, body: HelpRequest) -> dict[str, Any]:
        """Alert the floor concierge that someone here needs help."""
        language = i18n.screen_language(body.language)
        request.state.language = language
        if not help_throttle.allow():
            return {"already_requested": True}
        try:
            accepted = server.request_help(language=language)
        except (ServerUnreachableError, ServerRejectedError):
            help_throttle.forget()  # let the next press try again
            raise
        return {"already_requested": False, **accepted}

    @app.get("/kiosk/speech")
    def speech_languages() -> dict[str, Any]:
        """The voice guide's languages (asked after the page has started: the first answer
        may wait for the server's speech process to start)."""
        return {"languages": server.speech_languages()}

    @app.post("/kiosk/speech", responses={200: {"content": {"audio/wav": {}}}})
    def speak(request: Request, body: SpeechAsk) -> Response:
        """The voice guide: one part of the screen, read aloud by the server's offline voices."""
        request.state.language = i18n.screen_language(body.lang)
        try:
            audio = server.speech(text=body.text, language=body.lang)
        except ServerUnreachableError:
            # Not "no ticket was handed out": here only the voice is missing.
            raise KioskError(503, "speech_unavailable", "The voice guide is not available now.") from None
        except ServerRejectedError as error:
            if error.status_code >= 500:
                raise KioskError(503, "speech_unavailable", "The voice guide is not available now.") from None
            raise
        return Response(audio, media_type="audio/wav", headers={"Cache-Control": "no-store"})

    @app.get("/kiosk/qr", responses={200: {"content": {"image/png": {}}}})
    def qr_code(data: Annotated[str, Query(min_length=1, max_length=MAX_QR_DATA_LENGTH)]) -> Response:
        """A QR code of `data` as PNG, so the page needs no QR library of its own."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=2)
        code.add_data(data)
        buffer = io.BytesIO()
        code.make_image(fill_color="black", back_color="white").save(buffer)
        # The status link is as good as the ticket: keep it out of caches on a shared PC.
        return Response(buffer.getvalue(), media_type="image/png", headers={"Cache-Control": "no-store"})

    # -- staff ----------------------------------------------------------------------------------

    @app.post("/kiosk/staff/login")
    def staff_login(body: StaffLogin) -> dict[str, Any]:
        """Sign in with a staff account of the server (for the kiosk's staff page)."""
        session = server.login(username=body.username, password=body.password)
        return {"access_token": session["access_token"], "role": session.get("role")}

    @app.get("/kiosk/print-jobs")
    def pending_slips(_: StaffDep) -> list[PendingSlip]:
        """Slips that could not be printed, oldest first (staff)."""
        return printer.pending()

    @app.post("/kiosk/print-jobs/{job_id}/print")
    def reprint_slip(job_id: str, _: StaffDep) -> dict[str, Any]:
        """Print a spooled slip now, for staff to hand over in person."""
        try:
            result = printer.reprint_for_staff(job_id)
        except SlipNotPendingError:
            raise KioskError(404, "nothing_to_reprint", f"No pending slip {job_id!r}.") from None
        return {"print": result.as_dict()}

    @app.delete("/kiosk/print-jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
    def discard_slip(job_id: str, _: StaffDep) -> None:
        """Forget a spooled slip (the citizen got their number another way)."""
        try:
            printer.discard(job_id)
        except SlipNotPendingError:
            raise KioskError(404, "nothing_to_reprint", f"No pending slip {job_id!r}.") from None

    return app


def _branch_name(server: ServerClient, fallback: str) -> str:
    try:
        return server.branch_names()["ja"]
    except (ServerUnreachableError, ServerRejectedError) as error:
        logger.warning("printing without the branch name: %s", error)
        return fallback


def _language(request: Request) -> str:
    return getattr(request.state, "language", i18n.DEFAULT_LANGUAGE)


def _error(
    request: Request, status_code: int, code: str, detail: Any, extra: dict[str, Any] | None = None
) -> JSONResponse:
    message = i18n.error_message(code, _language(request), detail)
    content = {**(extra or {}), "detail": detail, "code": code, "message": message}
    return JSONResponse(status_code=status_code, content=content)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServerUnreachableError)
    async def server_unreachable(request: Request, error: ServerUnreachableError) -> JSONResponse:
        logger.warning("server unreachable: %s", error)
        return _error(request, 503, "server_unreachable", "The server did not answer; no ticket was handed out.")

    @app.exception_handler(ServerRejectedError)
    async def server_rejected(request: Request, error: ServerRejectedError) -> JSONResponse:
        if error.status_code >= 500:
            logger.error("server error: %s", error)
            return _error(request, 503, "server_error", "The server failed; nothing was issued.")
        # The citizen's page maps the server's code to a message in the screen language.
        return _error(request, error.status_code, error.code, error.detail, error.extra)

    @app.exception_handler(KioskError)
    async def kiosk_error(request: Request, error: KioskError) -> JSONResponse:
        return _error(request, error.status_code, error.code, error.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
        details = [{key: item.get(key) for key in ("loc", "msg", "type")} for item in error.errors()]
        return _error(request, 422, "validation_error", details)
