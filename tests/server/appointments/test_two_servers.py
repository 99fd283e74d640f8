"""Never overbooked across processes: two real server processes on one PostgreSQL database take
50 bookings at once for a slot of two places; exactly two are booked. (SQLite serializes writes
in one file; its threads test is in test_booking.py.)"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.kiosk.servers import free_port, spawn, stop, wait_for_http
from tests.server.appointments.conftest import TOMORROW_9, written
from tests.support import BRANCH, PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="two processes on one database: the PostgreSQL run only")


@pytest.fixture
def two_servers(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[list[str]]:
    # Both on the fixed clock's morning (Wednesday 2026-04-01 10:00 JST), the day before the slot.
    drill = f"2026-04-01T10:00:00+09:00,{time.time()!r},1"
    with ExitStack() as stack:
        started = []
        for index in range(2):  # both start at once, then each is waited for
            port = free_port()
            log = tmp_path / f"server-{index}.log"
            process, output = spawn(
                ["-m", "server.cli", "serve", "--port", str(port)],
                log,
                MADOGUCHI_DATABASE_URL=database_url,
                MADOGUCHI_DRILL_CLOCK=drill,
                MADOGUCHI_BOOKING_LIMIT="1000",
                MADOGUCHI_ANNOUNCEMENT_PREFETCH="false",
            )
            stack.callback(stop, process, output)
            started.append((f"http://127.0.0.1:{port}", process, log))
        for url, process, log in started:
            wait_for_http(f"{url}/healthz", process, log)
        yield [url for url, _, _ in started]


def test_fifty_bookings_through_two_server_processes_book_exactly_two(two_servers: list[str], engine: Engine) -> None:
    body = {"service": "mynumber_pickup", "start": TOMORROW_9}

    def attempt(index: int) -> tuple[int, str | None]:
        url = two_servers[index % 2]
        response = httpx.post(f"{url}/api/v1/branches/{BRANCH}/appointments", json=body, timeout=30)
        return response.status_code, None if response.status_code == 201 else response.json().get("code")

    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count((201, None)) == 2, outcomes
    assert outcomes.count((409, "slot_full")) == 48, outcomes
    assert written(engine) == (2, 2)
