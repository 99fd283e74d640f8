"""Slows down password guessing: too many failed logins for one account or one address → 429.

Kept in memory per process; with several workers each keeps its own count, which still caps
a guesser at a small multiple of the limit.
"""

import threading
from collections import deque
from datetime import datetime, timedelta

from server.errors import DomainError


class TooManyAttempts(DomainError):
    status_code = 429
    code = "too_many_attempts"


class LoginThrottle:
    # One address may be a whole floor behind a proxy, so it gets a larger allowance.
    def __init__(
        self, *, per_account: int = 10, per_address: int = 50, window: timedelta = timedelta(minutes=5)
    ) -> None:
        self.limits = {"user": per_account, "addr": per_address}
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def check(self, *, username: str, address: str, now: datetime) -> None:
        with self._lock:
            for kind, key in (("user", f"user:{username.lower()}"), ("addr", f"addr:{address}")):
                failures = self._recent(key, now)
                if len(failures) >= self.limits[kind]:
                    wait = int((failures[0] + self.window - now).total_seconds()) + 1
                    raise TooManyAttempts(
                        f"Too many failed sign-ins; try again in {wait} seconds. "
                        f"ログインの失敗が続いたため、{wait}秒後にもう一度お試しください。"
                    )

    def record_failure(self, *, username: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in (f"user:{username.lower()}", f"addr:{address}"):
                self._recent(key, now).append(now)

    def record_success(self, *, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username.lower()}", None)
