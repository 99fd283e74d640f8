from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from printer.simulator import PrinterSimulator

# Generous for localhost, yet short enough that the silent-printer tests stay quick.
FAST_TIMEOUT_SECONDS = 0.3

BRANCH_NAME = "鳥取市役所 本庁舎"
STATUS_URL = "https://madoguchi.example.lg.jp/t/Qx7vJk2mN9pL4rT8sW1yZ3bC"


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as running:
        yield running


def make_ticket(**changes: Any) -> dict[str, Any]:
    ticket: dict[str, Any] = {
        "id": 42,
        "number": "A012",
        "status": "waiting",
        "language": "ja",
        "priority": None,
        "issued_at": "2026-04-01T09:05:00+09:00",
        "status_token": "Qx7vJk2mN9pL4rT8sW1yZ3bC",
        "status_url": STATUS_URL,
        "current_stop": 0,
        "stops": [
            {"service": 1, "label": "住民異動届", "status": "waiting", "counter": "1番窓口"},
            {"service": 4, "label": "国民健康保険", "status": "pending", "counter": None},
        ],
        "position": 3,
        "estimated_wait_minutes": 15,
    }
    ticket.update(changes)
    return ticket


@pytest.fixture
def ticket() -> dict[str, Any]:
    return make_ticket()
