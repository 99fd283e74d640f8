"""Lobby boards report in through their WebSocket: the admin console sees each one as live, silent
(last seen …) or never connected, and a silent board raises the same device.health fault as a
printer out of paper — once, and an ok when it is back."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.models import Device, DeviceKind, Event
from server.operations.liveness import SILENT_AFTER, raise_board_alerts
from server.realtime.events import EventType
from tests.realtime.helpers import board_url, connected
from tests.server.api import API
from tests.support import BRANCH, FixedClock, make_device


def _boards(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = client.get(f"{API}/admin/branches/{BRANCH}/devices", headers=headers)
    assert response.status_code == 200, response.text
    return {device["name"]: device for device in response.json() if device["kind"] == "display"}


def _health_events(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        events = session.exec(select(Event).where(Event.type == EventType.device_health).order_by(col(Event.id))).all()
    return [event.payload for event in events]


def test_a_board_is_live_while_connected_and_silent_after_it_goes_away(
    client: TestClient, engine: Engine, clock: FixedClock, auth: dict[str, dict[str, str]]
) -> None:
    token, _ = make_device(engine, DeviceKind.display, clock(), name="lobby-1f")
    make_device(engine, DeviceKind.display, clock(), name="lobby-2f")  # never switched on
    admin = auth["admin"]

    with connected(client, board_url(token)) as board:
        board.receive_json()
        boards = _boards(client, admin)
    assert boards["lobby-1f"]["online"] is True
    assert boards["lobby-1f"]["level"] == "ok"  # not 「不明」: a board has no printer
    assert boards["lobby-1f"]["last_seen_at"] is not None
    assert boards["lobby-2f"]["online"] is False
    assert boards["lobby-2f"]["last_seen_at"] is None

    clock.advance(seconds=SILENT_AFTER.total_seconds() + 1)
    assert raise_board_alerts(engine, now=clock()) == ["lobby-1f"]
    assert raise_board_alerts(engine, now=clock()) == []  # said once, not every minute
    (alert,) = _health_events(engine)
    assert alert["level"] == "fault"  # the same alert as a printer out of paper
    assert alert["board"] == "silent"
    assert alert["device"]["name"] == "lobby-1f"
    silent = _boards(client, admin)["lobby-1f"]
    assert silent["online"] is False
    assert silent["level"] == "fault"

    with connected(client, board_url(token)) as board:  # switched back on
        board.receive_json()
    back = _health_events(engine)[-1]
    assert (back["board"], back["level"]) == ("live", "ok")
    assert _boards(client, admin)["lobby-1f"]["online"] is True


def test_a_board_that_never_connected_raises_nothing(engine: Engine, clock: FixedClock) -> None:
    make_device(engine, DeviceKind.display, clock(), name="spare")
    clock.advance(hours=5)
    assert raise_board_alerts(engine, now=clock()) == []
    with Session(engine) as session:
        assert session.exec(select(Device).where(Device.name == "spare")).one().last_seen_at is None
