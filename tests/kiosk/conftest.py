"""A real server per module, a simulated network printer per test, and the kiosk agent app."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from kiosk.app import KioskSettings, create_app
from printer.simulator import PrinterSimulator
from tests.kiosk.servers import LiveServer, live_server
from tests.support import BRANCH


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as running:
        yield running


@dataclass
class Agent:
    """The kiosk agent under test, with the kiosk device it signs in as."""

    client: TestClient
    device_id: int
    settings: KioskSettings

    def issue(self, **body: Any) -> httpx.Response:
        return self.client.post("/kiosk/tickets", json=body)

    def spooled_numbers(self) -> list[str]:
        path = self.settings.spool_path
        if not path.exists():
            return []
        return [job["ticket"]["number"] for job in json.loads(path.read_text())["jobs"]]


MakeAgent = Callable[..., Agent]


@pytest.fixture
def make_agent(server: LiveServer, simulator: PrinterSimulator, tmp_path: Path) -> Iterator[MakeAgent]:
    """Start a kiosk agent; keyword arguments override its settings."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> Agent:
            token, device_id = server.new_kiosk()
            settings = KioskSettings(
                server_url=server.url,
                token=token,
                branch=BRANCH,
                printer_url=simulator.url,
                spool_path=tmp_path / f"spool-{device_id}.json",
                profile="58",
                # Fast, so tests see reports and recoveries without long sleeps.
                health_interval_seconds=0.2,
            )
            settings = replace(settings, **overrides)
            client = stack.enter_context(TestClient(create_app(settings)))
            return Agent(client=client, device_id=device_id, settings=settings)

        yield make


@pytest.fixture
def agent(make_agent: MakeAgent) -> Agent:
    return make_agent()
