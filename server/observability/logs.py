"""Logs an IT department can ship and search: one JSON object per line, with the request id, and
never a token.

Display boards pass `?token=` in their WebSocket URL (DESIGN.md), status pages carry the holder's
token in the path, staff send `Authorization: Bearer …`: any of them may reach a log line through
uvicorn's access log, a warning or a traceback. Redaction therefore sits on the *handlers* (every
record that is written passes one), not on our own loggers only, and it is installed both by
`madoguchi serve` and by the application factory (for a plain `uvicorn server.main:create_app`).
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REDACTED = "[redacted]"
REQUEST_ID_HEADER = "x-request-id"

request_id: ContextVar[str | None] = ContextVar("madoguchi_request_id", default=None)

_SECRETS = (
    # ?token=…, &access_token=…, key=… in any URL or text
    (re.compile(r"(?i)\b((?:access_)?token|key|secret|password)=([^&\s\"'#]+)"), rf"\1={REDACTED}"),
    # Authorization: Bearer …  /  Bearer …  /  Basic …
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?!bearer|basic)[^\s'\",}]+"), rf"\1{REDACTED}"),
    # Capability tokens in paths: a ticket's status page and API, a booking's manage page and API.
    (
        re.compile(r"(/(?:t|a|api/v1/tickets|api/v1/appointments)/)(?!\d+(?:[/?\s\"']|$))([A-Za-z0-9_-]{8,})"),
        rf"\1{REDACTED}",
    ),
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    """Rewrites each record's message with tokens removed (and adds the request id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        record.redacted = True
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            # Redacted once: by the handler's filter, or here for a handler without one.
            "message": record.getMessage() if getattr(record, "redacted", False) else redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = redact(record.exc_text)
        return json.dumps(entry, ensure_ascii=False)


def log_config(*, json_lines: bool = True, level: str = "INFO") -> dict[str, Any]:
    """A logging.config dictionary for uvicorn and the application: every line through one
    redacting handler on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactTokens}},
        "formatters": {
            "json": {"()": JsonLines},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json" if json_lines else "text",
                "filters": ["redact"],
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def install_redaction() -> None:
    """Put the redacting filter on every handler already configured (uvicorn's own, a test's)."""
    loggers = [
        logging.getLogger(),
        *(logging.getLogger(name) for name in ("uvicorn", "uvicorn.access", "uvicorn.error")),
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(existing, RedactTokens) for existing in handler.filters):
                handler.addFilter(RedactTokens())


class RequestIds:
    """ASGI middleware: each request and WebSocket gets an id (the caller's X-Request-ID when it
    is sane), visible to every log line written while it is handled and echoed in the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        current = given if _SAFE_REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        reset = request_id.set(current)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), current.encode())]
            await send(message)

        try:
            # A WebSocket keeps the server's own send: the hub writes board frames through it
            # (server/realtime/wire.py).
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            request_id.reset(reset)
