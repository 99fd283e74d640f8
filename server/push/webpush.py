"""Sending one Web Push message: encrypted for the subscription (RFC 8291, aes128gcm), signed with
the edge's VAPID key (RFC 8292), posted to the subscription's push service.

Subscriptions live in the edge's memory beside the ticket they follow (server/edge/state.py): a
push endpoint and its keys for a ticket of today, gone with the ticket or a restart. The payload
is the number and the counter only: {"number": "A-012", "counter": "3"}; no counter means "near".
"""

import base64
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

# Push services of the browsers people carry; an endpoint elsewhere is refused, so a page can
# never make the edge post to an address of its choosing.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.services.mozilla.com",
    "web.push.apple.com",
    "notify.windows.com",
)
TIME_TO_LIVE_SECONDS = 300  # a "your turn" notice is worth nothing an hour late


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class PushSubscription:
    endpoint: str
    p256dh: str  # the browser's public key (base64url, uncompressed P-256 point)
    auth: str  # its 16-byte auth secret (base64url)


class PushEndpointRefused(ValueError):
    pass


def check_subscription(subscription: PushSubscription, allowed_hosts: tuple[str, ...]) -> None:
    """A usable subscription at a known push service, or PushEndpointRefused with the reason."""
    parts = urlsplit(subscription.endpoint)
    host = parts.hostname or ""
    known = any(host == allowed or host.endswith("." + allowed) for allowed in allowed_hosts)
    loopback = host in ("127.0.0.1", "localhost") and known
    if not known or (parts.scheme != "https" and not loopback):
        raise PushEndpointRefused("This push service is not one this server sends to.")
    try:
        key = b64url_decode(subscription.p256dh)
        secret = b64url_decode(subscription.auth)
    except ValueError as error:
        raise PushEndpointRefused("The subscription's keys are not base64url.") from error
    if len(key) != 65 or key[0] != 4 or len(secret) != 16:
        raise PushEndpointRefused("The subscription's keys are not a P-256 key and a 16-byte secret.")


class PushSender:
    """The edge's VAPID identity and an HTTP client to the push services."""

    def __init__(self, vapid: Vapid02, *, contact: str, client: httpx.AsyncClient | None = None) -> None:
        self.vapid = vapid
        self.contact = contact
        self.client = client or httpx.AsyncClient(timeout=10)

    @classmethod
    def from_key_file(cls, path: Path | None, *, contact: str) -> "PushSender":
        """The key every replica shares (a PEM file); without one, a key for this process only."""
        if path is not None:
            return cls(Vapid02.from_file(str(path)), contact=contact)
        vapid = Vapid02()
        vapid.generate_keys()
        return cls(vapid, contact=contact)

    @property
    def public_key(self) -> str:
        """applicationServerKey for pushManager.subscribe()."""
        raw = self.vapid.public_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(raw)

    def encrypt(self, subscription: PushSubscription, payload: bytes) -> bytes:
        sender_key = ec.generate_private_key(ec.SECP256R1())  # a fresh key per message
        encrypted: bytes = http_ece.encrypt(
            payload,
            salt=os.urandom(16),
            private_key=sender_key,
            dh=b64url_decode(subscription.p256dh),
            auth_secret=b64url_decode(subscription.auth),
            version="aes128gcm",
        )
        return encrypted

    async def send(self, subscription: PushSubscription, notice: dict[str, str | None]) -> int:
        """Post one notice; the push service's status (201 delivered, 404/410 the subscription is gone)."""
        body = self.encrypt(subscription, json.dumps(notice, ensure_ascii=False).encode())
        parts = urlsplit(subscription.endpoint)
        claims = {"aud": f"{parts.scheme}://{parts.netloc}", "exp": int(time.time()) + 12 * 3600, "sub": self.contact}
        headers = {
            **self.vapid.sign(claims),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TIME_TO_LIVE_SECONDS),
            "Urgency": "high",
        }
        response = await self.client.post(subscription.endpoint, content=body, headers=headers)
        return response.status_code

    async def close(self) -> None:
        await self.client.aclose()
