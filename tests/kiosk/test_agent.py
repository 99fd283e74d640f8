"""The kiosk agent's other endpoints: menu, status, help, QR, staff sign-in, and its boundaries."""

from __future__ import annotations

import ast
import io
import json
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import Session, col, select
from websockets.sync.client import connect

from kiosk import i18n
from kiosk.cli import main as kiosk_main
from kiosk.demo import main as kiosk_demo
from printer.simulator import PrinterSimulator
from server.models import Event
from tests.kiosk.conftest import Agent, MakeAgent
from tests.kiosk.servers import API, LiveServer, free_port, wait_until
from tests.support import BRANCH, PASSWORD

KIOSK_PACKAGE = Path(__file__).resolve().parents[2] / "kiosk"


def test_the_menu_comes_from_the_server_in_the_screen_language(agent: Agent) -> None:
    japanese = agent.client.get("/kiosk/menu?lang=ja").json()
    english = agent.client.get("/kiosk/menu?lang=en").json()
    vietnamese = agent.client.get("/kiosk/menu?lang=vi").json()

    move_in = {event["id"]: event for event in japanese["life_events"]}["move_in"]
    assert move_in["name"].startswith("転入")
    assert move_in["icon"] == "🏠"
    assert move_in["questions"], "the questions come with the menu"
    assert english["life_events"][0]["name"].startswith("Moving in")
    # Every kiosk language has the city's own words (config/demo_city_hall.i18n/vi.yaml).
    assert vietnamese["life_events"][0]["name"] == "Chuyển đến từ thành phố khác"
    assert vietnamese["life_events"][0]["name_lang"] == "vi"
    assert japanese["issuing_open"] is True


def test_status_tells_printer_and_server_state(agent: Agent, simulator: PrinterSimulator) -> None:
    healthy = agent.client.get("/kiosk/status").json()
    simulator.set_state("cover_open")
    faulty = agent.client.get("/kiosk/status").json()

    assert healthy["server"] == {"reachable": True}
    assert healthy["printer"]["status"] == "ok"
    assert healthy["printer"]["can_print"] is True
    assert faulty["printer"]["status"] == "cover_open"
    assert faulty["printer"]["can_print"] is False


def _events(server: LiveServer, kind: str, device_id: int) -> list[dict[str, Any]]:
    with Session(server.engine) as session:
        rows = session.exec(select(Event).where(Event.type == kind).order_by(col(Event.id))).all()
    return [row.payload for row in rows if row.payload["device"]["id"] == device_id]


def test_help_reaches_the_concierge_live_once_per_burst_of_presses(agent: Agent, server: LiveServer) -> None:
    token = server.staff_headers["Authorization"].removeprefix("Bearer ")
    stream = f"{server.url.replace('http', 'ws')}{API}/branches/{BRANCH}/events?token={token}"
    with connect(stream, open_timeout=5) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "snapshot"

        first = agent.client.post("/kiosk/help", json={"language": "en"})
        second = agent.client.post("/kiosk/help", json={"language": "en"})

        message: dict[str, Any] = {}
        while message.get("type") != "kiosk.help_requested":
            message = json.loads(socket.recv(timeout=5))
    assert first.status_code == 202
    assert first.json()["already_requested"] is False
    assert second.json() == {"already_requested": True}
    assert message["device"]["id"] == agent.device_id
    assert message["language"] == "en"
    assert message["ticket"] is None, "a help call carries nothing about anybody"
    assert len(_events(server, "kiosk.help_requested", agent.device_id)) == 1


def test_a_printer_state_change_is_one_event_not_one_per_report(
    agent: Agent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    wait_until(lambda: [e["printer"] for e in _events(server, "device.health", agent.device_id)] == ["ok"])
    simulator.set_state("paper_out")
    wait_until(lambda: len(_events(server, "device.health", agent.device_id)) == 2)
    reported_at = server.device(agent.device_id)["health"]["reported_at"]
    wait_until(lambda: server.device(agent.device_id)["health"]["reported_at"] != reported_at)

    events = _events(server, "device.health", agent.device_id)

    assert [(event["previous"], event["printer"], event["level"]) for event in events] == [
        (None, "ok", "ok"),
        ("ok", "paper_out", "fault"),
    ]


def test_the_qr_code_is_made_on_the_kiosk(agent: Agent) -> None:
    link = "http://city.example/t/Qx7vJk2mN9pL4rT8sW1yZ3bC"

    response = agent.client.get("/kiosk/qr", params={"data": link})
    too_long = agent.client.get("/kiosk/qr", params={"data": "x" * 600})

    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "no-store"
    image = Image.open(io.BytesIO(response.content)).convert("L")
    assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [link]
    assert too_long.status_code == 422


def test_the_voice_guide_is_the_servers_speech_forwarded(agent: Agent) -> None:
    languages = agent.client.get("/kiosk/speech")
    spoken = agent.client.post("/kiosk/speech", json={"lang": "en", "text": "Please take your ticket."})
    tagalog = agent.client.post("/kiosk/speech", json={"lang": "tl", "text": "Kunin ang tiket"})

    assert languages.status_code == 200
    assert languages.json()["languages"]["en"] is True
    assert languages.json()["languages"]["tl"] is False
    assert spoken.status_code == 200
    assert spoken.headers["content-type"] == "audio/wav"
    assert spoken.headers["cache-control"] == "no-store"
    assert spoken.content[:4] == b"RIFF"
    assert len(spoken.content) > 20_000
    # The server's refusal keeps its code and words, for the page to act on.
    assert tagalog.status_code == 422
    assert tagalog.json()["code"] == "no_voice"
    assert "Tagalog" in tagalog.json()["message"] or "'tl'" in tagalog.json()["message"]


def test_staff_pages_need_a_staff_sign_in(make_agent: MakeAgent, server: LiveServer) -> None:
    # A quiet kiosk: the server's sign-in reads before it writes, and on SQLite a write committed
    # in between (a health report every 0.2 s) makes it fail; reported to the server's owner.
    agent = make_agent(health_interval_seconds=60)
    wait_until(lambda: server.device(agent.device_id)["health"] is not None)
    anonymous = agent.client.get("/kiosk/print-jobs")
    with_kiosk_token = agent.client.get(
        "/kiosk/print-jobs", headers={"Authorization": f"Bearer {agent.settings.token}"}
    )
    login = agent.client.post("/kiosk/staff/login", json={"username": "kiosk-test-staff", "password": PASSWORD})
    wrong = agent.client.post("/kiosk/staff/login", json={"username": "kiosk-test-staff", "password": "wrong-password"})
    signed_in = agent.client.get(
        "/kiosk/print-jobs", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )

    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "missing_token"
    assert with_kiosk_token.status_code == 401
    assert wrong.status_code == 401
    assert signed_in.status_code == 200
    assert signed_in.json() == []


def test_the_pages_are_served_without_any_outside_resource(agent: Agent) -> None:
    for path in ("/", "/staff"):
        page = agent.client.get(path)
        assert page.status_code == 200
        assert "//" not in "".join(line for line in page.text.splitlines() if "src=" in line or "href=" in line), (
            "no CDN: every script and style comes from the kiosk"
        )
    assert agent.client.get("/static/kiosk.js").status_code == 200
    assert agent.client.get("/favicon.ico").headers["content-type"].startswith("image/svg+xml")
    config = agent.client.get("/kiosk/config").json()
    assert config["idle_timeout_seconds"] == 60
    assert config["branch_name"]["ja"] == "サンプル市役所 本庁舎"


def test_every_screen_language_has_every_text() -> None:
    catalogue = i18n.catalogue()
    keys = set(catalogue["strings"]["ja"])
    for language in catalogue["languages"]:
        assert set(catalogue["strings"][language]) == keys, language
    for message in set(i18n.ERROR_MESSAGES.values()):
        assert f"error.{message}" in keys


def test_an_unknown_error_code_keeps_the_servers_words() -> None:
    assert i18n.error_message("brand_new_code", "en", "The server explains.") == "The server explains."
    assert i18n.error_message("brand_new_code", "xx", [{"msg": "list"}]) == i18n.text("error.unknown", "ja")


def test_the_kiosk_never_imports_the_server() -> None:
    for source in KIOSK_PACKAGE.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(name.split(".")[0] == "server" for name in names), source


@pytest.mark.parametrize(
    "arguments",
    [
        ["--server", "http://127.0.0.1:8000", "--branch", BRANCH, "--printer", "tcp://127.0.0.1:9100"],
        ["--server", "http://x", "--token", "t", "--branch", BRANCH, "--printer", "lpt://1"],
        ["--server", "http://x", "--token", "t", "--branch", BRANCH, "--printer", "tcp://h", "--idle-timeout", "1"],
    ],
    ids=["no token", "bad printer url", "idle timeout too short"],
)
def test_the_command_line_refuses_a_bad_setup(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MADOGUCHI_KIOSK_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        kiosk_main(arguments)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_the_demo_kiosk_waits_for_its_server_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"

    assert kiosk_demo(["--server", nowhere, "--wait", "0"]) == 1
    assert "no server answered" in capsys.readouterr().err
