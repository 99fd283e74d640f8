"""A fast-forward clock for day simulations and fault drills, never for a real city hall.

`MADOGUCHI_DRILL_CLOCK="<start ISO time>,<origin unix seconds>,<speed>"` makes the server's
clock read `start + (time.time() - origin) * speed`: a whole business day passes in minutes, yet
every timestamp, business day, opening hour and wait estimate stays in simulated time. Several
server processes given the same value share one clock, and a restarted process picks it up where
it was. A value that could be left over from an old drill is refused, so a production server
can't silently run on it: the origin must lie within the last day and the speed within 1000×.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

logger = logging.getLogger("madoguchi")

MAX_SPEED = 1000.0
# A drill lasts hours at most; an older origin means the variable was left behind.
MAX_ORIGIN_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class DrillClock:
    start: datetime
    origin: float
    speed: float

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.speed)

    def encode(self) -> str:
        return f"{self.start.isoformat()},{self.origin!r},{self.speed!r}"


def parse_drill_clock(value: str, *, wall_time: float | None = None) -> DrillClock:
    """The setting's value as a clock; ValueError says what is wrong with it."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 3:
        raise ValueError("MADOGUCHI_DRILL_CLOCK must be '<start ISO time>,<origin unix seconds>,<speed>'")
    start = datetime.fromisoformat(parts[0])
    if start.tzinfo is None:
        raise ValueError("the drill clock's start needs a time zone, e.g. 2026-04-01T08:30:00+09:00")
    origin, speed = float(parts[1]), float(parts[2])
    if not 0 < speed <= MAX_SPEED:
        raise ValueError(f"the drill clock's speed must be in (0, {MAX_SPEED:g}]")
    now = time.time() if wall_time is None else wall_time
    if not now - MAX_ORIGIN_AGE_SECONDS <= origin <= now + 3600:
        raise ValueError("the drill clock's origin is not within the last day: a stale setting, refused")
    return DrillClock(start=start.astimezone(UTC), origin=origin, speed=speed)


def drill_clock_or(clock: Callable[[], datetime], value: str | None) -> Callable[[], datetime]:
    """The drill clock when the setting is given (shouted in the log), else `clock` unchanged."""
    if not value:
        return clock
    drill = parse_drill_clock(value)
    logger.warning(
        "DRILL CLOCK ACTIVE (MADOGUCHI_DRILL_CLOCK): simulated time %s at %.0f× speed. "
        "For simulations and drills only; never set this on a real city hall's server.",
        drill().isoformat(timespec="seconds"),
        drill.speed,
    )
    return drill
