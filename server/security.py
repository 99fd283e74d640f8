"""Security headers on every HTTP response.

A pure ASGI middleware (no BaseHTTPMiddleware: it would buffer file responses and sit in the way
of WebSockets). Headers a route sets itself win: the board, status page and consoles send their
own Content-Security-Policy, and announcement audio its own Cache-Control.
"""

from collections.abc import Iterable

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/"

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    # Status URLs carry the ticket's token: a link followed from a page must not hand it on.
    "Referrer-Policy": "no-referrer",
    # The consoles act on a click; nobody may frame them (or anything else of ours).
    "X-Frame-Options": "DENY",
}
# For an HTML page that states no policy of its own: only this server's scripts, styles and
# connections (the pages need no build step and no CDN), and never inside a frame.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# An API answer is data: nothing in it may ever run, load or be framed if a browser renders it.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# API answers carry sign-in tokens, status tokens and the day's queue: no cache keeps them.
API_CACHE = "no-store"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, exempt_pages: Iterable[str] = ()) -> None:
        self.app = app
        self.exempt_pages = frozenset(exempt_pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, headers: MutableHeaders, path: str) -> None:
        for name, value in EVERY_RESPONSE.items():
            headers.setdefault(name, value)
        if path.startswith(API_PREFIX):
            headers.setdefault("Content-Security-Policy", API_POLICY)
            headers.setdefault("Cache-Control", API_CACHE)
        elif headers.get("content-type", "").startswith("text/html") and path not in self.exempt_pages:
            headers.setdefault("Content-Security-Policy", PAGE_POLICY)


def install_security_headers(app: FastAPI) -> None:
    # FastAPI's interactive docs load Swagger UI / ReDoc from a CDN with inline scripts; a
    # same-origin policy would only blank them, so they keep the browser defaults.
    docs = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.add_middleware(SecurityHeaders, exempt_pages={page for page in docs if page})
