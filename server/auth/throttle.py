"""Slows down password guessing: too many failed logins for one account or one address → 429.

Kept in memory per process; with several workers each keeps its own count, which still caps
a guesser at a small multiple of the limit.
"""

import threading
from collections import OrderedDict, deque
from datetime import datetime, timedelta

from server.errors import DomainError


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"


class LoginThrottle:
    """Failed sign-ins per key ("user:…", "addr:…"), in the order the keys last failed.

    Memory is bounded: a key whose failures have all left the window is forgotten, and beyond
    `max_keys` the keys that failed longest ago go first, so a flood of made-up usernames or
    addresses cannot grow it without limit. Checking never adds a key; only failures do.
    """

    # One address may be a whole floor behind a proxy, so it gets a larger allowance.
    def __init__(
        self,
        *,
        per_account: int = 10,
        per_address: int = 50,
        window: timedelta = timedelta(minutes=5),
        max_keys: int = 10_000,
    ) -> None:
        self.limits = {"user": per_account, "addr": per_address}
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Keys remembered now."""
        with self._lock:
            return len(self._failures)

    def _recent(self, key: str, now: datetime) -> deque[datetime] | None:
        """This key's failures within the window; None (and the key forgotten) when there are none."""
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def _forget_old(self, now: datetime) -> None:
        # Oldest last failure first, so this stops at the first key still within the window.
        while self._failures:
            key, failures = next(iter(self._failures.items()))
            if len(self._failures) <= self.max_keys and failures and now - failures[-1] <= self.window:
                break
            del self._failures[key]

    def check(self, *, username: str, address: str, now: datetime) -> None:
        with self._lock:
            for kind, key in (("user", f"user:{username.lower()}"), ("addr", f"addr:{address}")):
                failures = self._recent(key, now)
                if failures is not None and len(failures) >= self.limits[kind]:
                    wait = int((failures[0] + self.window - now).total_seconds()) + 1
                    raise TooManyAttempts(
                        f"サインインの失敗が続いたため、{wait}秒後にもう一度お試しください。"
                        f" Too many failed sign-ins; try again in {wait} seconds."
                    )

    def record_failure(self, *, username: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in (f"user:{username.lower()}", f"addr:{address}"):
                failures = self._recent(key, now)
                if failures is None:
                    failures = self._failures[key] = deque()
                failures.append(now)
                self._failures.move_to_end(key)
            self._forget_old(now)

    def record_success(self, *, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username.lower()}", None)
