"""SIGKILL the real server while tickets are issued: every acknowledged ticket survives, no number is reused."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.models import DeviceKind, Ticket
from tests.support import BRANCH, FixedClock, make_device

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, port: int, **settings: str) -> subprocess.Popen[bytes]:
    """`madoguchi serve` as a real process; `settings`: more MADOGUCHI_* variables."""
    env = {**os.environ, "MADOGUCHI_DATABASE_URL": database_url, "MADOGUCHI_IGNORE_HOURS": "true", **settings}
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


@pytest.mark.slow
def test_acknowledged_tickets_survive_sigkill_and_numbering_follows_on(
    engine: Engine, database_url: str, clock: FixedClock
) -> None:
    token, _ = make_device(engine, DeviceKind.kiosk, clock())
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/branches/{BRANCH}/tickets"
    server = start_server(database_url, port)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def keep_issuing() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                try:
                    response = client.post(url, json={"service": "certificate"}, headers=headers)
                except httpx.HTTPError:
                    return  # the server died mid-request: that ticket was never acknowledged
                if response.status_code == 201:
                    with lock:
                        acknowledged.append(response.json()["number"])

    issuers = [threading.Thread(target=keep_issuing) for _ in range(4)]
    for thread in issuers:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    for thread in issuers:
        thread.join()
    assert len(acknowledged) >= 40

    server = start_server(database_url, port)
    try:
        after = httpx.post(url, json={"service": "certificate"}, headers=headers, timeout=5)
        assert after.status_code == 201
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    with Session(engine) as session:
        stored = set(session.exec(select(Ticket.number)).all())
    assert set(acknowledged) <= stored, "an acknowledged ticket was lost"
    highest = max(int(number[1:]) for number in stored - {after.json()["number"]})
    assert int(after.json()["number"][1:]) == highest + 1, "the next number must follow on, never reuse"
