"""A city hall and its public edge as real processes on loopback."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import stop_process
from server.config import PROJECT_ROOT
from server.edge.protocol import HEALTH_PATH
from tests.e2e.support import BRANCH, PASSWORD, run_cli
from tests.realtime.live_server import LiveServer, free_port, live_server, server_environment

EDGE_KEY = "edge-key-for-tests-0123456789"
STARTUP_SECONDS = 60


@dataclass
class EdgeProcess:
    port: int
    args: list[str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "server.cli", "edge", "--listen", f"127.0.0.1:{self.port}", *self.args]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"edge exited:\n{self.log_path.read_text()}")
            try:
                if httpx.get(self.base_url + HEALTH_PATH, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"edge not up:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def linked(self, tenant: str = "default") -> bool:
        return bool(httpx.get(self.base_url + HEALTH_PATH, timeout=2).json()["tenants"].get(tenant))


@contextmanager
def edge_process(folder: Path, *args: str) -> Iterator[EdgeProcess]:
    edge = EdgeProcess(free_port(), list(args), folder / "edge.log")
    edge.start()
    try:
        yield edge
    finally:
        edge.stop()


@dataclass(frozen=True)
class LinkedHall:
    server: LiveServer
    edge: EdgeProcess
    kiosk_token: str
    staff_token: str
    environment: dict[str, str]

    def issue(self, service: str = "moving_in", language: str = "ja") -> dict[str, object]:
        response = httpx.post(
            f"{self.server.base_url}/api/v1/branches/{BRANCH}/tickets",
            json={"service": service, "language": language},
            headers={"Authorization": f"Bearer {self.kiosk_token}"},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        ticket: dict[str, object] = response.json()
        return ticket

    def staff(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.staff_token}"}
        return httpx.request(method, f"{self.server.base_url}/api/v1{path}", headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]

    def wait_linked(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.edge.linked():
                return
            time.sleep(0.1)
        raise AssertionError(f"the server never linked to the edge:\n{self.server.log()}")


def hall_environment(folder: Path, database_url: str, **settings: str) -> dict[str, str]:
    environment = server_environment(database_url, audio_cache_dir=str(folder / "audio"), **settings)
    run_cli(environment, "init")
    run_cli(environment, "staff", "add", "shokuin", "--role", "municipal", "--password", PASSWORD, "--branch", BRANCH)
    return environment


@contextmanager
def linked_hall(
    folder: Path, *edge_args: str, database_url: str | None = None, prefix: str = "", **settings: str
) -> Iterator[LinkedHall]:
    """The demo city hall (SQLite in `folder` unless a database is given) and an edge it links out
    to, with a kiosk and a signed-in member of staff."""
    database_url = database_url or f"sqlite:///{folder / 'madoguchi.db'}"
    with edge_process(folder, "--public-url", "http://edge.invalid", *edge_args) as edge:
        environment = hall_environment(
            folder,
            database_url,
            edge_url=f"{edge.base_url}{prefix}",
            edge_key=settings.pop("edge_key", EDGE_KEY),
            **settings,
        )
        kiosk_token = run_cli(environment, "device", "add", "kiosk-1", "--kind", "kiosk")
        with live_server(environment, folder, name="hall") as server:
            login = httpx.post(
                f"{server.base_url}/api/v1/auth/login", json={"username": "shokuin", "password": PASSWORD}, timeout=10
            )
            yield LinkedHall(server, edge, kiosk_token, login.json()["access_token"], environment)


def call_ticket(hall: LinkedHall, number: str, counter: int = 1) -> dict[str, object]:
    """Call at `counter` until `number` is called (finishing whoever comes before it)."""
    hall.staff("POST", f"/counters/{counter}/open")
    for _ in range(200):
        response = hall.staff("POST", f"/counters/{counter}/call-next")
        assert response.status_code == 200, response.text
        ticket: dict[str, object] = response.json()["ticket"]
        if ticket["number"] == number:
            return ticket
        finish_current(hall, counter)
    raise AssertionError(f"{number} was never called")


def finish_current(hall: LinkedHall, counter: int = 1) -> None:
    for step in ("start", "complete"):
        response = hall.staff("POST", f"/counters/{counter}/{step}")
        assert response.status_code == 200, response.text
