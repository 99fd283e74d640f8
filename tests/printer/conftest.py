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
            {
                "service": "moving_in",
                "label": "届出",
                "label_en": "Notifications",
                "status": "waiting",
                "counter": "1–5",
                "citizen_present": True,
            },
            {
                "service": "civil_entry",
                "label": "届出",
                "label_en": "Notifications",
                "status": "pending",
                "counter": None,
                "citizen_present": False,
            },
            {
                "service": "nhi_enroll",
                "label": "保険・年金",
                "label_en": "Insurance / pension",
                "status": "pending",
                "counter": "10・11",
                "citizen_present": True,
            },
        ],
        "visits": [
            {
                "kind": "counter",
                "counters": "1–5",
                "labels": ["転入届"],
                "labels_en": ["Moving-in notification"],
                "status": "current",
                "stops": [0],
            },
            {
                "kind": "back_office",
                "counters": None,
                "labels": ["書類の準備"],
                "labels_en": ["Preparing your documents"],
                "status": "upcoming",
                "stops": [1],
            },
            {
                "kind": "counter",
                "counters": "10・11",
                "labels": ["国民健康保険の加入"],
                "labels_en": ["Join National Health Insurance"],
                "status": "upcoming",
                "stops": [2],
            },
        ],
        "position": 3,
        "estimated_wait_minutes": 15,
    }
    ticket.update(changes)
    return ticket


@pytest.fixture
def ticket() -> dict[str, Any]:
    return make_ticket()
