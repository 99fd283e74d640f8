"""Public bookings per client address: a bounded sliding window in each process's memory."""

import math
import threading
from collections import OrderedDict, deque
from datetime import datetime, timedelta

from server.errors import DomainError


class TooManyBookings(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BookingThrottle:
    """Tries per address within `window`; beyond `max_keys` the addresses that tried longest ago
    are forgotten first, so a flood of addresses cannot grow it without limit (like
    server/auth/throttle.py)."""

    def __init__(self, *, limit: int = 10, window: timedelta = timedelta(minutes=10), max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._tries: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tries)

    def attempt(self, *, address: str, now: datetime) -> None:
        """Count one try, or raise TooManyBookings (429) when the address has used its allowance."""
        with self._lock:
            tries = self._tries.get(address)
            if tries is not None:
                while tries and now - tries[0] > self.window:
                    tries.popleft()
            if tries and len(tries) >= self.limit:
                wait = max(math.ceil((tries[0] + self.window - now).total_seconds()), 1)
                raise TooManyBookings(
                    f"予約の操作が続いたため、{wait}秒後にもう一度お試しください。 "
                    f"Too many booking attempts; try again in {wait} seconds.",
                    retry_after=wait,
                )
            if tries is None:
                tries = self._tries[address] = deque()
            tries.append(now)
            self._tries.move_to_end(address)
            while len(self._tries) > self.max_keys:
                self._tries.popitem(last=False)
