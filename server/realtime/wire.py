"""One frame, encoded once, written straight to every idle socket: fan-out without a coroutine
per client.

`madoguchi serve` runs uvicorn's sans-I/O WebSocket protocol, which owns an asyncio transport. An
open connection without compression receives the same bytes as every other board, so the hub
may write a frame to its transport itself when nothing is queued for it. Anything else (a test
client, another server or protocol, a compressed or paused connection) returns False here and
takes the ordinary path: the client's bounded queue and its writer coroutine.
"""

from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.frames import Frame, Opcode
from websockets.protocol import State

# Where RawSendCapture leaves the server's own `send` in a WebSocket's scope (Starlette wraps
# the one the endpoint sees).
RAW_SEND_KEY = "madoguchi.raw_send"


class RawSendCapture:
    """Pure ASGI middleware: remembers the server's send callable of each WebSocket connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND_KEY] = send
        await self.app(scope, receive, send)


def text_frame(text: str) -> bytes:
    """A complete, unmasked, uncompressed text frame, as a server sends it."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


class _HasScope(Protocol):
    scope: Any


class DirectSocket:
    """Writes whole frames to one uvicorn connection's transport, while that is safe."""

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    @classmethod
    def of(cls, websocket: _HasScope) -> "DirectSocket | None":
        """The connection behind `websocket`, if it is one we know how to write to."""
        scope = getattr(websocket, "scope", None)
        send = scope.get(RAW_SEND_KEY) if isinstance(scope, dict) else None
        protocol = getattr(send, "__self__", None)
        needed = ("transport", "conn", "writable", "close_sent", "disconnected")
        if protocol is None or not all(hasattr(protocol, name) for name in needed):
            return None
        if getattr(protocol.conn, "extensions", None):
            return None  # per-message deflate: each connection compresses with its own state
        return cls(protocol)

    def try_write(self, frame: bytes) -> bool:
        """Write now if the connection is open and its buffer below the high-water mark."""
        protocol = self._protocol
        transport = protocol.transport
        if (
            protocol.close_sent
            or protocol.disconnected
            or not protocol.writable.is_set()  # paused: a slow reader; its queue takes over
            or protocol.conn.state is not State.OPEN
            or transport is None
            or transport.is_closing()
        ):
            return False
        transport.write(frame)
        return True
