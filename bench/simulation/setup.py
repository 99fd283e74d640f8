"""A fresh database with the (possibly extended) demo city hall, accounts, devices, and real
`madoguchi serve` processes on the drill clock that can be killed and restarted."""

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlmodel import Session

from bench.harness import PROJECT_DIR, free_port, madoguchi_command
from server.auth import service as auth_service
from server.catalog.loader import check_rules
from server.catalog.schemas import CityHallConfig
from server.catalog.service import apply_config
from server.database_setup import migrate
from server.drill_clock import DrillClock
from server.models import DeviceKind, Role, Staff

# Throwaway accounts in a throwaway database.
PASSWORD = "simulation-password-42"


@dataclass(frozen=True)
class Accounts:
    kiosk_token: str
    display_tokens: list[str]
    staff: dict[str, tuple[str, str]]  # counter id (or "concierge") -> (username, role)


def prepare(engine: Engine, config: CityHallConfig, roles: dict[str, str], *, displays: int, now: object) -> Accounts:
    """Schema, configuration, one account per counter and a concierge, a kiosk and the displays."""
    problems = list(check_rules(config))
    if problems:
        raise RuntimeError(f"the simulated configuration is invalid: {problems}")
    migrate(engine)
    password_hash = auth_service.hash_password(PASSWORD)  # once: hashing is slow on purpose
    branch = config.branch.id
    staff: dict[str, tuple[str, str]] = {}
    with Session(engine, expire_on_commit=False) as session:
        apply_config(session, config)
        session.commit()
        for counter_id, role in [*roles.items(), ("concierge", "contractor")]:
            username = f"sim-{counter_id.lower()}"
            session.add(
                Staff(username=username, password_hash=password_hash, role=Role(role), branch_id=branch, created_at=now)
            )
            staff[counter_id] = (username, role)
        session.commit()
        kiosk_token, _ = auth_service.create_device(
            session, name="sim-kiosk", kind=DeviceKind.kiosk, branch_id=branch, now=now
        )
        display_tokens = [
            auth_service.create_device(
                session, name=f"sim-display-{n + 1}", kind=DeviceKind.display, branch_id=branch, now=now
            )[0]
            for n in range(displays)
        ]
    return Accounts(kiosk_token=kiosk_token, display_tokens=display_tokens, staff=staff)


@dataclass
class ServerProcess:
    """One `madoguchi serve` on a fixed port, so a restart comes back where clients expect it."""

    name: str
    database_url: str
    clock: DrillClock
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.name}.log"

    def start(self, *, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "MADOGUCHI_DATABASE_URL": self.database_url,
            "MADOGUCHI_DRILL_CLOCK": self.clock.encode(),
            # The drill clock keeps real opening hours; this only spares a request that left the
            # simulator at 16:59:59.9 from arriving after the 17:00 cut-off.
            "MADOGUCHI_IGNORE_HOURS": "true",
            "MADOGUCHI_AUDIO_CACHE_DIR": str(self.workdir / "audio"),
            **self.extra_env,
        }
        command = [madoguchi_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server {self.name} did not answer /healthz within {timeout:.0f} s")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as in a power cut of the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def stop_all(servers: Sequence[ServerProcess]) -> None:
    for server in servers:
        server.stop()
