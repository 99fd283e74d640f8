"""Who a bearer token belongs to, kept briefly per process so a request signs in without a
database round trip of its own.

Kept for a few seconds at most, and dropped at once when an `access.revoked` event says a sign-in
ended, an account was disabled or a device revoked: here when the change commits, in other
processes when the bus brings the event.
"""

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from server.auth.service import hash_token
from server.models import Device, Staff, StaffSession

PRINCIPALS_MAX_AGE_SECONDS = 10.0
MAX_PRINCIPALS = 10_000  # a flood of made-up tokens must not grow memory without bound
ACCESS_REVOKED = "access.revoked"
PRINCIPALS_KEY = "madoguchi_principals"

Principal = Staff | Device


class PrincipalCache:
    def __init__(self, *, max_age_seconds: float = PRINCIPALS_MAX_AGE_SECONDS) -> None:
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        # token hash → (kept since, principal, the staff sign-in's expiry)
        self._known: dict[str, tuple[float, Principal, datetime | None]] = {}
        self._generation = 0

    def get(self, token: str, *, now: datetime) -> Principal | None:
        known = self._known.get(hash_token(token))
        if known is None or time.monotonic() - known[0] >= self._max_age:
            return None
        _, principal, expires_at = known
        if expires_at is not None and expires_at <= now:
            return None
        return principal

    def generation(self) -> int:
        return self._generation

    def keep(self, token: str, principal: Principal, *, read_at_generation: int, record: StaffSession | None) -> None:
        """Remember a principal read from the database, unless a revocation came in meanwhile."""
        with self._lock:
            if read_at_generation != self._generation:
                return
            if len(self._known) >= MAX_PRINCIPALS:
                self._known.clear()
            self._known[hash_token(token)] = (time.monotonic(), principal, record.expires_at if record else None)

    def on_messages(self, messages: Iterable[Mapping[str, Any]]) -> None:
        for message in messages:
            if message.get("type") != ACCESS_REVOKED:
                continue
            matches = _revoked(message)
            with self._lock:
                self._generation += 1
                for key in [key for key, (_, principal, _) in self._known.items() if matches(principal)]:
                    del self._known[key]


def _revoked(message: Mapping[str, Any]) -> Callable[[Principal], bool]:
    staff_id, device_id = message.get("staff"), message.get("device")

    def matches(principal: Principal) -> bool:
        if isinstance(principal, Staff):
            return staff_id is not None and principal.id == staff_id
        return device_id is not None and principal.id == device_id

    return matches
