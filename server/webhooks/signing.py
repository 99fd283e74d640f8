"""The webhook signature (DESIGN.md, "Hand-off to other systems").

`Madoguchi-Signature: t=<unix time>,v1=<hex of HMAC-SHA256(key, "<t>.<body>")>`, the key being the
secret's UTF-8 bytes. A receiver recomputes it over the raw body and compares in constant time,
and refuses a `t` too far from its own clock (a replayed old request).
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Madoguchi-Signature"
KEY_ID_HEADER = "Madoguchi-Key-Id"
DELIVERY_HEADER = "Madoguchi-Delivery"
EVENT_HEADER = "Madoguchi-Event"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secrets: list[str],
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True when the header carries a fresh signature of the body by one of the secrets."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    given = parts.get("v1", "")
    return any(hmac.compare_digest(signature(secret, body, timestamp).split("v1=", 1)[1], given) for secret in secrets)
