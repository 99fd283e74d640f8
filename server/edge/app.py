"""The edge's web app: the holder's paths, congestion and forwarded public routes, nothing else.

Each city hall (tenant) lives under its own URL prefix ("" for a single one) and is told apart on
the link by its key. Per tenant the edge answers exactly:
  GET  {prefix}/t/{token}                          the status page (the server's own files)
  GET  {prefix}/api/v1/tickets/{token}             the holder's view
  WS   {prefix}/api/v1/tickets/{token}/events      its live stream, as the server sends it
  GET  {prefix}/queues/{branch}                    the congestion page (and remote queueing)
  GET  {prefix}/api/v1/branches/{branch}/queues    public congestion (neutral labels only)
  POST|DELETE {prefix}/api/v1/tickets/{token}/push  "your turn is near" by Web Push
  GET  {prefix}/api/v1/push/key · {prefix}/sw.js   the VAPID key and the service worker
  …    FORWARDED_ROUTES (protocol.py), asked of the city hall over the link
and, for every tenant, the static files those pages load and the link endpoint. Any other path,
among them every staff, admin and device route of the server, is 404.
"""

import asyncio
import base64
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketDisconnect, WebSocketState

from server.edge.protocol import (
    FORWARDED_REQUEST_HEADERS,
    HEALTH_PATH,
    LINK_PATH,
    MAX_FORWARDED_BODY_BYTES,
    is_forwarded,
)
from server.edge.state import Tenant, Watcher, encode
from server.pages.router import DISPLAY_DIR, PAGE_HEADERS
from server.push.webpush import (
    DEFAULT_PUSH_HOSTS,
    PushEndpointRefused,
    PushSender,
    PushSubscription,
    check_subscription,
)

logger = logging.getLogger("madoguchi.edge")

STATIC_DIR = Path(__file__).parent / "static"
# The server's status page and what it loads, served from the same files.
DISPLAY_FILES = frozenset(
    {"status.css", "status.js", "citizen_text.js", "live.js", "survey.js", "survey.css", "email_notice.js"}
)
EDGE_FILES = frozenset({"notify.js", "queues.html", "queues.js", "queues.css"})
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
NOTIFY_SCRIPT = '<script type="module" src="/static/edge/notify.js"></script>'

SYNC_WAIT_SECONDS = 10.0  # a page opened just after the edge started waits this long for the city hall
FORWARD_TIMEOUT_SECONDS = 15.0
PING_SECONDS = 20.0
CLOSE_NOT_FOUND = 4404
CLOSE_TRY_AGAIN = 1013

PAUSED = (
    "ただいま市役所のシステムとの接続が一時的に途切れています。しばらくしてから、もう一度お試しください。 "
    "The city hall cannot be reached right now; please try again shortly."
)
TICKET_NOT_FOUND = (
    "この番号札は見つかりません。番号札のQRコードをもう一度読み取ってください。 "
    "No ticket has this status link; check the QR code on your ticket."
)


def error(status: int, detail: str, code: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers={"Cache-Control": "no-store"})


@dataclass(frozen=True)
class EdgeConfig:
    public_url: str
    tenants: Sequence[Tenant]
    push: PushSender | None = None
    push_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)


class SubscriptionBody(BaseModel):
    """PushSubscription.toJSON() from the browser."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(max_length=1000)
    keys: SubscriptionKeys


class Unsubscribe(BaseModel):
    endpoint: str = Field(max_length=1000)


def _status_page() -> str:
    html = (DISPLAY_DIR / "status.html").read_text(encoding="utf-8")
    # The one difference from the server's page: the opt-in for Web Push, which needs the edge.
    return html.replace("</head>", f"  {NOTIFY_SCRIPT}\n</head>", 1)


def tenant_router(tenant: Tenant, config: EdgeConfig) -> APIRouter:
    router = APIRouter(prefix=tenant.prefix, include_in_schema=False)
    status_html = _status_page()

    @router.get("/t/{status_token}")
    def status_page(status_token: str) -> HTMLResponse:
        return HTMLResponse(status_html, headers=PAGE_HEADERS)

    @router.get("/queues/{branch}")
    def queues_page(branch: str) -> FileResponse:
        return FileResponse(STATIC_DIR / "queues.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    @router.get("/api/v1/tickets/{status_token}")
    async def holder_view(status_token: str) -> Response:
        if not tenant.synced.is_set():
            return error(503, PAUSED, "edge_paused")
        held = tenant.tickets.get(status_token)
        if held is None:
            return error(404, TICKET_NOT_FOUND, "ticket_not_found")
        return JSONResponse(held.view, headers={"Cache-Control": "no-store", **_paused_header(tenant)})

    @router.get("/api/v1/branches/{branch}/queues")
    async def congestion(branch: str) -> Response:
        if not tenant.synced.is_set():
            return error(503, PAUSED, "edge_paused")
        rows = tenant.queues.get(branch)
        if rows is None:
            return error(404, f"Unknown branch {branch!r}.", "branch_not_found")
        remote = tenant.remote.get(branch, set())
        body = [{**row, "remote": row["service"] in remote} for row in rows]
        return JSONResponse(body, headers={"Cache-Control": "no-store", **_paused_header(tenant)})

    @router.websocket("/api/v1/tickets/{status_token}/events")
    async def holder_events(websocket: WebSocket, status_token: str) -> None:
        await websocket.accept()
        if not tenant.synced.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tenant.synced.wait(), timeout=SYNC_WAIT_SECONDS)
        if not tenant.synced.is_set():
            await websocket.close(CLOSE_TRY_AGAIN, "updating paused")
            return
        if status_token not in tenant.tickets:
            await websocket.close(CLOSE_NOT_FOUND, "ticket not found")
            return
        watcher = tenant.watch(status_token)
        try:
            held = tenant.tickets[status_token]
            opening = [{"type": "snapshot", "last_event_id": tenant.last_event_id or 0, "ticket": held.view}]
            if tenant.paused:
                opening.append({"type": "link", "state": "paused"})
            await _stream(websocket, watcher, [encode(message) for message in opening])
        finally:
            tenant.unwatch(status_token, watcher)

    @router.get("/api/v1/push/key")
    def push_key() -> Response:
        if config.push is None:
            return error(404, "Web Push is not offered here.", "push_off")
        return JSONResponse({"public_key": config.push.public_key, "ahead": tenant.notify_ahead})

    @router.get("/sw.js")
    def service_worker() -> FileResponse:
        return FileResponse(STATIC_DIR / "sw.js", media_type="text/javascript; charset=utf-8")

    @router.post("/api/v1/tickets/{status_token}/push", status_code=201)
    async def subscribe(status_token: str, body: SubscriptionBody) -> Response:
        if config.push is None:
            return error(404, "Web Push is not offered here.", "push_off")
        if status_token not in tenant.tickets:
            return error(404, TICKET_NOT_FOUND, "ticket_not_found")
        subscription = PushSubscription(body.endpoint, body.keys.p256dh, body.keys.auth)
        try:
            check_subscription(subscription, config.push_hosts)
        except PushEndpointRefused as refused:
            return error(422, f"この通知の登録は受け付けられません。 {refused}", "push_subscription_refused")
        tenant.subscribe(status_token, subscription)
        return JSONResponse({"ahead": tenant.notify_ahead}, status_code=201)

    @router.delete("/api/v1/tickets/{status_token}/push", status_code=204)
    async def unsubscribe(status_token: str, body: Unsubscribe) -> Response:
        if status_token in tenant.tickets:
            tenant.unsubscribe(status_token, body.endpoint)
        return Response(status_code=204)

    return router


def _paused_header(tenant: Tenant) -> dict[str, str]:
    return {"Madoguchi-Updating": "paused" if tenant.paused else "live"}


async def _stream(websocket: WebSocket, watcher: Watcher, opening: list[str]) -> None:
    """Send the opening, then what the watcher receives, until the page leaves or falls behind."""

    async def until_page_leaves() -> None:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass

    leaving = asyncio.create_task(until_page_leaves())
    dropped = asyncio.create_task(watcher.dropped.wait())
    try:
        for text in opening:
            await websocket.send_text(text)
        while True:
            getting = asyncio.create_task(watcher.queue.get())
            done, _ = await asyncio.wait(
                {getting, leaving, dropped}, timeout=PING_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if getting not in done:
                getting.cancel()
            if leaving in done:
                return
            if dropped in done:
                await websocket.close(CLOSE_TRY_AGAIN, "fell behind")
                return
            await websocket.send_text(getting.result() if getting in done else '{"type":"ping"}')
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        leaving.cancel()
        dropped.cancel()


def _tenant_for_key(tenants: Sequence[Tenant], authorization: str) -> Tenant | None:
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key:
        return None
    found = None
    for tenant in tenants:  # every key compared, in constant time each
        if hmac.compare_digest(tenant.key.encode(), key.encode()):
            found = tenant
    return found


def create_edge_app(config: EdgeConfig) -> FastAPI:
    tenants = list(config.tenants)
    for tenant in tenants:
        tenant.push = config.push

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if config.push is not None:
            await config.push.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.tenants = tenants
    # Longest prefix first, so "/kita" is not taken for the root city hall's path.
    by_prefix = sorted(tenants, key=lambda tenant: len(tenant.prefix), reverse=True)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, failure: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "not_found"}
        # Nothing here but the public paths: a wrong method is as unknown as a wrong path.
        status = 404 if failure.status_code == 405 else failure.status_code
        return error(status, "Not Found" if status == 404 else str(failure.detail), codes.get(status, "http_error"))

    @app.get(HEALTH_PATH, include_in_schema=False)
    def health() -> dict[str, Any]:
        return {"status": "ok", "tenants": {tenant.name: not tenant.paused for tenant in tenants}}

    @app.get("/static/display/{name}", include_in_schema=False)
    def display_file(name: str) -> Response:
        return _static(DISPLAY_DIR, DISPLAY_FILES, name)

    @app.get("/static/edge/{name}", include_in_schema=False)
    def edge_file(name: str) -> Response:
        return _static(STATIC_DIR, EDGE_FILES, name)

    @app.websocket(LINK_PATH)
    async def link(websocket: WebSocket) -> None:
        tenant = _tenant_for_key(tenants, websocket.headers.get("authorization", ""))
        if tenant is None:
            await websocket.close(4401, "unknown key")  # refused before accepting: HTTP 403
            return
        await websocket.accept()
        await websocket.send_text(encode({"type": "hello", "last_event_id": _resume_point(tenant)}))
        tenant.link_up(websocket)
        logger.info("link up for %s", tenant.name)
        try:
            while True:
                tenant.take(await websocket.receive_json())
        except (WebSocketDisconnect, RuntimeError, ValueError):
            pass
        except Exception:
            logger.exception("link for %s failed", tenant.name)
        finally:
            tenant.link_down(websocket)
            logger.info("link down for %s", tenant.name)
            if websocket.client_state == WebSocketState.CONNECTED:
                with contextlib.suppress(RuntimeError):
                    await websocket.close()

    for tenant in by_prefix:
        app.include_router(tenant_router(tenant, config))

    forward = _forwarder(by_prefix)
    app.add_api_route(
        "/{path:path}", forward, methods=["GET", "POST", "DELETE"], include_in_schema=False, response_model=None
    )
    return app


def _resume_point(tenant: Tenant) -> int | None:
    """Where the edge's memory stands, so the city hall resumes from its log; None: send everything."""
    return tenant.last_event_id if tenant.synced.is_set() else None


def _static(folder: Path, allowed: frozenset[str], name: str) -> Response:
    if name not in allowed:
        return error(404, "Not Found", "not_found")
    media_type = MEDIA_TYPES.get(Path(name).suffix, "text/html; charset=utf-8")
    return FileResponse(folder / name, media_type=media_type, headers={"Cache-Control": "no-cache"})


def _forwarder(tenants: Sequence[Tenant]) -> Callable[[Request, str], Awaitable[Response]]:
    async def forward(request: Request, path: str) -> Response:
        """A public route the city hall answers (bookings, survey, remote tickets), over the link."""
        full_path = "/" + path
        tenant = next(
            (tenant for tenant in tenants if full_path.startswith(tenant.prefix + "/") or not tenant.prefix), None
        )
        if tenant is None:
            return error(404, "Not Found", "not_found")
        local_path = full_path[len(tenant.prefix) :]
        if not is_forwarded(request.method, local_path):
            return error(404, "Not Found", "not_found")
        body = await request.body()
        if len(body) > MAX_FORWARDED_BODY_BYTES:
            return error(413, "送信内容が大きすぎます。 The request is too large.", "too_large")
        headers = {name: value for name, value in request.headers.items() if name in FORWARDED_REQUEST_HEADERS}
        message = {
            "method": request.method,
            "path": local_path,
            "client": request.client.host if request.client else "",
            "query": request.url.query,
            "headers": headers,
            "body": base64.b64encode(body).decode("ascii"),
        }
        try:
            answer = await tenant.forward(message, wait_seconds=FORWARD_TIMEOUT_SECONDS)
        except (ConnectionError, RuntimeError):
            return error(503, PAUSED, "edge_paused")
        except TimeoutError:
            return error(504, PAUSED, "edge_timeout")
        response = Response(base64.b64decode(answer.get("body") or ""), status_code=int(answer["status"]))
        for name, value in answer.get("headers", []):
            response.headers.append(name, value)
        return response

    return forward
