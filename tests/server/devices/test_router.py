"""Device health reports and help requests: auth, stored health, one event per change."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.models import Device, Event
from tests.support import BRANCH, FixedClock

API = "/api/v1"


def _events(engine: Engine, kind: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [row.payload for row in session.exec(select(Event).where(Event.type == kind).order_by(col(Event.id)))]


def _report(client: TestClient, headers: dict[str, str], printer: str, **extra: Any) -> Any:
    response = client.post(f"{API}/devices/health", json={"printer": printer, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_health_is_stored_and_only_a_change_is_an_event(
    client: TestClient, kiosk: dict[str, str], engine: Engine, clock: FixedClock
) -> None:
    first = _report(client, kiosk, "ok")
    clock.advance(seconds=30)
    _report(client, kiosk, "ok")
    clock.advance(seconds=30)
    fault = _report(client, kiosk, "paper_out", detail="paper out", pending_prints=2)

    assert first["level"] == "ok"
    assert fault["level"] == "fault"
    assert fault["health"] == {
        "printer": "paper_out",
        "detail": "paper out",
        "pending_prints": 2,
        "reported_at": clock().isoformat().replace("+00:00", "Z"),
    }
    assert [(e["previous"], e["printer"], e["level"]) for e in _events(engine, "device.health")] == [
        (None, "ok", "ok"),
        ("ok", "paper_out", "fault"),
    ]
    with Session(engine) as session:
        device = session.exec(select(Device).where(Device.id == fault["id"])).one()
    assert device.last_seen_at == clock()


def test_staff_see_warnings_and_faults(
    client: TestClient, kiosk: dict[str, str], display_token: str, auth: dict[str, dict[str, str]]
) -> None:
    _report(client, kiosk, "paper_near_end")

    devices = client.get(f"{API}/branches/{BRANCH}/devices", headers=auth["itaku"])

    assert devices.status_code == 200
    by_kind = {row["kind"]: row for row in devices.json()}
    assert by_kind["kiosk"]["level"] == "warning"
    assert by_kind["kiosk"]["health"]["printer"] == "paper_near_end"
    assert by_kind["display"]["level"] == "unknown"
    assert by_kind["display"]["health"] is None


def test_only_kiosks_report_and_only_staff_list(client: TestClient, kiosk: dict[str, str], display_token: str) -> None:
    display = {"Authorization": f"Bearer {display_token}"}

    assert client.post(f"{API}/devices/health", json={"printer": "ok"}, headers=display).status_code == 403
    assert client.post(f"{API}/devices/help", json={}, headers=display).status_code == 403
    assert client.get(f"{API}/branches/{BRANCH}/devices", headers=kiosk).status_code == 401
    bad = client.post(f"{API}/devices/health", json={"printer": "on_fire"}, headers=kiosk)
    assert bad.status_code == 422


def test_a_help_request_is_an_event_with_nothing_personal(
    client: TestClient, kiosk: dict[str, str], engine: Engine
) -> None:
    response = client.post(f"{API}/devices/help", json={"language": "vi"}, headers=kiosk)

    assert response.status_code == 202
    (event,) = _events(engine, "kiosk.help_requested")
    assert event["language"] == "vi"
    assert event["ticket"] is None
    assert set(event["device"]) == {"id", "name", "kind"}
