"""A real server and kiosk agent for the kiosk tests: processes on free ports, own database.

The server runs as `madoguchi serve` in a subprocess (real HTTP, real clock, hours ignored);
tests write devices and staff straight into its database, which it reads like any other row.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import Engine

from bench.harness import stop_process
from server.config import DEFAULT_CONFIG_PATH
from server.database_setup import initialise
from server.db import create_db_engine
from server.models import DeviceKind, Role
from tests.support import BRANCH, create_database, drop_database, make_device, make_staff, staff_token

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
STARTUP_SECONDS = 30.0


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{url} did not start:\n{log.read_text(errors='replace')[-3000:]}")


def spawn(arguments: list[str], log: Path, **environment: str) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    output = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, *arguments],
        cwd=ROOT,
        env={**os.environ, **environment},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    return process, output


def stop(process: subprocess.Popen[bytes], output: IO[bytes]) -> None:
    stop_process(process)
    output.close()


@dataclass
class LiveServer:
    url: str
    engine: Engine
    staff_headers: dict[str, str]

    def new_kiosk(self) -> tuple[str, int]:
        """A fresh kiosk device (token, id), so each test reads its own health."""
        token, device = make_device(self.engine, DeviceKind.kiosk, datetime.now(UTC))
        assert device.id is not None
        return token, device.id

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{API}{path}", headers=self.staff_headers, timeout=5, **kwargs)

    def device(self, device_id: int) -> dict[str, Any]:
        response = self.get(f"/branches/{BRANCH}/devices")
        assert response.status_code == 200, response.text
        (device,) = [row for row in response.json() if row["id"] == device_id]
        return dict(device)

    def ticket(self, status_token: str) -> httpx.Response:
        return httpx.get(f"{self.url}{API}/tickets/{status_token}", timeout=5)


@contextmanager
def live_server(tmp_dir: Path, *, now: datetime | None = None, **environment: str) -> Iterator[LiveServer]:
    """`now`: the server's time when it runs on a drill clock (MADOGUCHI_DRILL_CLOCK in `environment`)."""
    database_url = create_database(str(tmp_dir))
    engine = create_db_engine(database_url)
    initialise(engine, DEFAULT_CONFIG_PATH)
    now = now or datetime.now(UTC)
    staff = make_staff(engine, "kiosk-test-staff", Role.municipal, now)
    headers = {"Authorization": f"Bearer {staff_token(engine, staff, now)}"}
    port = free_port()
    log = tmp_dir / "server.log"
    process, output = spawn(
        ["-m", "server.cli", "serve", "--port", str(port)],
        log,
        MADOGUCHI_DATABASE_URL=database_url,
        MADOGUCHI_IGNORE_HOURS="true",
        **environment,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/healthz", process, log)
        yield LiveServer(url=url, engine=engine, staff_headers=headers)
    finally:
        stop(process, output)
        engine.dispose()
        drop_database(database_url)


@contextmanager
def kiosk_agent(server_url: str, token: str, printer_url: str, tmp_dir: Path, *extra: str) -> Iterator[str]:
    """`madoguchi kiosk …` as an operator starts it; yields the touch screen's URL."""
    port = free_port()
    log = tmp_dir / f"kiosk-{port}.log"
    process, output = spawn(
        [
            "-m",
            "server.cli",
            "kiosk",
            "--server",
            server_url,
            "--branch",
            BRANCH,
            "--printer",
            printer_url,
            "--port",
            str(port),
            "--spool",
            str(tmp_dir / f"spool-{port}.json"),
            *extra,
        ],
        log,
        MADOGUCHI_KIOSK_TOKEN=token,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/kiosk/config", process, log)
        yield url
    finally:
        stop(process, output)
