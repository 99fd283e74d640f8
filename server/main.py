"""The application factory: engine and event bus in the lifespan, routers, one error shape."""

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy import exc as database_errors
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.admin.router import router as admin_router
from server.appointments.admin import router as appointments_admin_router
from server.appointments.router import router as appointments_router
from server.auth.principals import PrincipalCache
from server.auth.router import router as auth_router
from server.auth.throttle import LoginThrottle
from server.branches.router import router as branches_router
from server.catalog.snapshot import Catalogs
from server.config import Settings, get_settings
from server.consoles import install_consoles
from server.counters.router import router as counters_router
from server.db import create_db_engine
from server.deps import process_caches
from server.devices.router import router as devices_router
from server.drill_clock import drill_clock_or
from server.edge.link import start_edge_links
from server.edge.remote import router as remote_tickets_router
from server.errors import ERROR_RESPONSES, DomainError
from server.notices.router import router as notices_router
from server.notices.runtime import NoticeChecker
from server.observability.logs import RequestIds, install_redaction
from server.observability.metrics import install_metrics
from server.operations.api_docs import install_api_docs
from server.operations.liveness import BoardLiveness
from server.outbox.runtime import Outbox
from server.pages.router import install_pages
from server.realtime.announcing import CallAnnouncements
from server.realtime.audio_router import router as audio_router
from server.realtime.bus import create_bus
from server.realtime.digest import WaitingDigest
from server.realtime.router import router as realtime_router
from server.realtime.wire import RawSendCapture
from server.reports.router import router as reports_router
from server.satisfaction.router import router as satisfaction_router
from server.security import install_security_headers
from server.tickets.estimates import OpenCountersCache, ServiceTimes
from server.tickets.router import router as tickets_router
from server.tickets.waiting_tally import WaitingTally
from server.visits.router import router as visits_router
from server.voice_guide.router import router as voice_guide_router
from server.webhooks.router import router as webhooks_router

logger = logging.getLogger("madoguchi")

BUSY_MESSAGE = (
    "ただいま混み合っています。少し待ってから、もう一度お試しください。 "
    "The system is busy; please try again in a moment."
)
RETRY_AFTER_SECONDS = 2

API_PREFIX = "/api/v1"


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utc_now,
    freeze_heap: bool = False,
) -> FastAPI:
    """`freeze_heap`: once started, set the heap built so far (modules, schemas, routes: ~190,000
    objects for the demo city hall) apart from the garbage collector. A full collection of it
    stops the process for 120–140 ms, every board and request with it; frozen, it is never
    scanned again. Only for a served process (`create_served_app`): a test process that builds
    app after app would keep each one's garbage for good."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.bus.start()
        await app.state.board_liveness.start()
        edge_links = start_edge_links(app)  # only with MADOGUCHI_EDGE_URL/_KEY (server/edge/link.py)
        await app.state.outbox.start()  # mail and webhooks, sent after the commit (server/outbox/)
        await app.state.notices.start()  # "your turn is near" by e-mail (server/notices/)
        if freeze_heap:
            gc.collect()
            gc.freeze()
        yield
        await app.state.notices.stop()
        await app.state.outbox.stop()
        if edge_links is not None:
            await edge_links.stop()
        await app.state.board_liveness.stop()
        await app.state.waiting_digest.stop()
        await app.state.bus.stop()
        app.state.announcements.close()
        if owns_engine:
            app.state.engine.dispose()

    owns_engine = engine is None
    app = FastAPI(
        title="Madoguchi",
        version="1.0.0",
        summary="Queue ticketing and call display for city-hall one-stop counters (総合窓口)",
        lifespan=lifespan,
        docs_url=None,  # served from the package by install_api_docs, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or create_db_engine(settings.database_url)
    if clock is utc_now:  # an explicit clock (tests) always wins
        clock = drill_clock_or(clock, settings.drill_clock)
    app.state.clock = clock
    app.state.login_throttle = LoginThrottle()
    app.state.bus = create_bus(
        app.state.engine,
        queue_size=settings.websocket_queue_size,
        heartbeat_seconds=settings.websocket_heartbeat_seconds,
        poll_seconds=settings.event_poll_seconds,
        reconnect_max_seconds=settings.listener_reconnect_max_seconds,
    )
    # What each process keeps in memory, dropped when a committed event says it changed.
    app.state.catalogs = Catalogs(app.state.engine)
    app.state.service_times = ServiceTimes()
    app.state.open_counters = OpenCountersCache()
    app.state.waiting_tally = WaitingTally()
    app.state.principals = PrincipalCache()
    app.state.waiting_digest = WaitingDigest(
        app.state.bus,
        app.state.engine,
        clock,
        sample=settings.estimate_sample_size,
        caches=process_caches(app.state),
    )
    app.state.announcements = CallAnnouncements(
        app.state.engine, settings.audio_cache_dir, prefetch=settings.announcement_prefetch
    )
    app.state.announcements.attach(app.state.bus)
    for cache in process_caches(app.state).values():
        app.state.bus.add_fan_out_listener(
            lambda deliveries, cache=cache: cache.on_messages(delivery.message for delivery in deliveries)
        )

    app.state.board_liveness = BoardLiveness(app.state.engine, clock)
    app.state.outbox = Outbox(app)
    app.state.notices = NoticeChecker(app)
    if settings.metrics:
        install_metrics(app, lambda: app.state.board_liveness.connected_count)

    _install_error_handlers(app)
    install_security_headers(app)
    # Lets the hub write board frames straight to the socket (server/realtime/wire.py).
    app.add_middleware(RawSendCapture)
    app.add_middleware(RequestIds)  # outermost: every log line of a request carries its id
    install_redaction()
    for router in (
        auth_router,
        branches_router,
        tickets_router,
        counters_router,
        realtime_router,
        audio_router,
        devices_router,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    install_pages(app)
    app.include_router(admin_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(reports_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(satisfaction_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(notices_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(remote_tickets_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(appointments_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(appointments_admin_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(webhooks_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(visits_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    app.include_router(voice_guide_router, prefix=API_PREFIX, responses=ERROR_RESPONSES)
    install_consoles(app)
    if settings.api_docs:
        install_api_docs(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """200 when the database answers."""
        with app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app


def create_served_app() -> FastAPI:
    """The app `madoguchi serve` runs, in each worker process."""
    return create_app(freeze_heap=True)


def _error(
    status: int, detail: object, code: str, headers: dict[str, str] | None = None, facts: dict[str, Any] | None = None
) -> JSONResponse:
    content = {**(facts or {}), "detail": detail, "code": code}
    return JSONResponse(status_code=status, content=jsonable_encoder(content), headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, error: DomainError) -> JSONResponse:
        retry_after = getattr(error, "retry_after", None)  # a throttle's 429
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return _error(error.status_code, error.message, error.code, headers=headers, facts=error.facts)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        details = [
            {key: value for key, value in item.items() if key in ("loc", "msg", "type")} for item in error.errors()
        ]
        return _error(422, details, "validation_error")

    # Overload or outage, not a bug: every pooled connection in use (sqlalchemy's TimeoutError) or
    # this process's writers queued past WRITER_WAIT_SECONDS (TimeoutError), both before anything
    # is written; or the database locked or unreachable (OperationalError). A 503 with Retry-After
    # tells a client to come back; a 500 would read as a defect.
    async def database_busy(request: Request, error: Exception) -> JSONResponse:
        logger.warning("503 for %s %s: %s", request.method, request.url.path, error)
        return _error(503, BUSY_MESSAGE, "busy", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    for busy in (database_errors.TimeoutError, database_errors.OperationalError, TimeoutError):
        app.add_exception_handler(busy, database_busy)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        return _error(error.status_code, error.detail, codes.get(error.status_code, "http_error"))
