"""A small real HTTP server on loopback that receives webhooks, for the tests."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from server.webhooks.signing import DELIVERY_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER, verify


@dataclass(frozen=True)
class Received:
    delivery_id: str
    key_id: str
    signature: str
    raw: bytes
    at: float = 0.0  # time.monotonic() of arrival

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw)
        return parsed


@dataclass
class Receiver:
    """Records every POST in arrival order; `status` is what it answers (e.g. 503 to fail)."""

    port: int
    secrets: dict[str, str] = field(default_factory=dict)  # key id → secret the receiver accepts
    status: int = 200
    delay_seconds: float = 0.0  # a slow receiver keeps deliveries in flight
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                if receiver.status == 200:
                    with receiver._lock:
                        receiver.received.append(
                            Received(
                                delivery_id=self.headers.get(DELIVERY_HEADER, ""),
                                key_id=self.headers.get(KEY_ID_HEADER, ""),
                                signature=self.headers.get(SIGNATURE_HEADER, ""),
                                raw=raw,
                                at=time.monotonic(),
                            )
                        )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True
            block_on_close = False  # stopping never waits for a slow request

        self._server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def verified(self, item: Received) -> bool:
        secret = self.secrets.get(item.key_id)
        return secret is not None and verify([secret], item.raw, item.signature)

    def unique(self) -> dict[str, Received]:
        """The first arrival of each delivery id (a repeat is what a receiver drops)."""
        first: dict[str, Received] = {}
        for item in self.snapshot():
            first.setdefault(item.delivery_id, item)
        return first
