"""A push service on loopback, standing in for the browser vendor's in tests and drills.

It hands out subscriptions as a browser would (a P-256 key pair and an auth secret per
subscription; it keeps the private halves) and decrypts each message posted to an endpoint with
that subscription's keys, checking the VAPID header is there. Run it in a thread: `with
PushServiceStandIn() as service: ...`.
"""

import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType

import http_ece
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.push.webpush import PushSubscription, b64url_encode


@dataclass
class Received:
    subscription: str  # the endpoint's id
    payload: bytes  # decrypted
    headers: dict[str, str]


@dataclass
class PushServiceStandIn:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    _keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = field(default_factory=dict)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def subscription(self) -> PushSubscription:
        """What pushManager.subscribe() would give a page."""
        name = secrets.token_urlsafe(12)
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self._keys[name] = (private_key, auth)
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return PushSubscription(f"{self.base_url}/push/{name}", b64url_encode(public), b64url_encode(auth))

    async def _receive(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self._keys:
            return Response(status_code=410)
        if not request.headers.get("authorization", "").startswith("vapid t="):
            return Response(status_code=401)
        private_key, auth = self._keys[name]
        body = await request.body()
        payload = http_ece.decrypt(body, private_key=private_key, auth_secret=auth, version="aes128gcm")
        self.received.append(Received(name, payload, dict(request.headers)))
        return Response(status_code=201)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.received)

    def __enter__(self) -> "PushServiceStandIn":
        with socket.socket() as probe:
            probe.bind((self.host, self.port))
            self.port = probe.getsockname()[1]
        app = Starlette(routes=[Route("/push/{name}", self._receive, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host=self.host, port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.should_exit = True
        self._thread.join(timeout=10)
