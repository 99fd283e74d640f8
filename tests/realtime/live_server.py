"""Real server processes (uvicorn) for multi-process, browser and benchmark runs."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import stop_process
from server.config import PROJECT_ROOT

STARTUP_SECONDS = 90  # generous: CI machines run other suites alongside


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url[len("http") :]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(database_url: str, **settings: str) -> dict[str, str]:
    """MADOGUCHI_* settings for a child process; office hours off, since it runs on real time."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MADOGUCHI_")}
    environment.update({"MADOGUCHI_DATABASE_URL": database_url, "MADOGUCHI_IGNORE_HOURS": "true"})
    environment.update({f"MADOGUCHI_{key.upper()}": value for key, value in settings.items()})
    return environment


@contextmanager
def live_server(
    environment: Mapping[str, str], log_dir: Path, *, name: str = "server", production: bool = False
) -> Iterator[LiveServer]:
    """A server process: plain uvicorn, or with `production` the `madoguchi serve` a city hall runs."""
    port = free_port()
    log_path = log_dir / f"{name}-{port}.log"
    if production:
        command = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "uvicorn", "server.main:create_app", "--factory", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--log-level", "warning"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=dict(environment),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(base_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        stop_process(process)


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited during startup:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not healthy after {STARTUP_SECONDS}s:\n{server.log()}")
