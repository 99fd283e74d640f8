"""`madoguchi serve` logs JSON lines with a request id and never a token: not the board's
`?token=` (its URL is in uvicorn's access log), not a status page's token in its path, not a
Bearer header. The test drives a real server and scans every line it wrote."""

import io
import json
import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from server.config import Settings
from server.main import create_app
from server.observability.logs import redact
from tests.e2e.support import run_cli
from tests.realtime.live_server import live_server, server_environment
from tests.support import BRANCH, PG_URL

pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(PG_URL), reason="a server process on SQLite covers logging")]
PASSWORD = "correct-horse-42"


def test_no_log_line_carries_a_token(tmp_path: Path) -> None:
    environment = server_environment(f"sqlite:///{tmp_path / 'madoguchi.db'}", audio_cache_dir=str(tmp_path / "audio"))
    run_cli(environment, "init")
    run_cli(environment, "staff", "add", "shokuin", "--role", "municipal", "--password", PASSWORD, "--branch", BRANCH)
    display_token = run_cli(environment, "device", "add", "lobby-board", "--kind", "display")
    kiosk_token = run_cli(environment, "device", "add", "kiosk-1", "--kind", "kiosk")
    with live_server(environment, tmp_path, name="logs", production=True) as server:
        api = f"{server.base_url}/api/v1"
        staff_token = httpx.post(f"{api}/auth/login", json={"username": "shokuin", "password": PASSWORD}).json()[
            "access_token"
        ]
        ticket = httpx.post(
            f"{api}/branches/{BRANCH}/tickets",
            json={"service": "certificate"},
            headers={"Authorization": f"Bearer {kiosk_token}", "X-Request-ID": "kiosk-issue-1"},
        )
        assert ticket.status_code == 201
        assert ticket.headers["x-request-id"] == "kiosk-issue-1"
        status_token = ticket.json()["status_token"]
        assert httpx.get(f"{server.base_url}/t/{status_token}").status_code == 200
        assert httpx.get(f"{api}/tickets/{status_token}").status_code == 200
        with connect(f"{server.ws_url}/api/v1/branches/{BRANCH}/events?token={display_token}") as board:
            assert json.loads(board.recv(timeout=10))["type"] == "snapshot"
        with connect(f"{server.ws_url}/api/v1/tickets/{status_token}/events") as page:
            page.recv(timeout=10)
        # Refusals log too: a wrong board token, a wrong Bearer.
        wrong = f"{server.ws_url}/api/v1/branches/{BRANCH}/events?token=wrong-{display_token}"
        with connect(wrong) as refused, pytest.raises(ConnectionClosed):
            refused.recv(timeout=10)
        assert httpx.get(f"{api}/auth/me", headers={"Authorization": f"Bearer {staff_token}x"}).status_code == 401
        assert httpx.get(f"{api}/auth/me", headers={"Authorization": f"Bearer {staff_token}"}).status_code == 200
    log = server.log()

    lines = [line for line in log.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    for secret in (display_token, kiosk_token, staff_token, status_token):
        assert secret not in log, "a token reached the log"
    access = [entry for entry in entries if entry["logger"] == "uvicorn.access"]
    assert any("/events?token=[redacted]" in entry["message"] for entry in entries)
    assert any("/t/[redacted]" in entry["message"] for entry in access)
    assert any(entry["request_id"] == "kiosk-issue-1" and "/tickets" in entry["message"] for entry in access)
    assert all(entry["request_id"] for entry in access)


def test_redaction_covers_the_ways_a_token_travels() -> None:
    assert redact("GET /display/honcho?token=abc123&after=5") == "GET /display/honcho?token=[redacted]&after=5"
    assert redact("Authorization: Bearer eyJhbGciOi.x-y_z") == "Authorization: Bearer [redacted]"
    assert redact("{'authorization': 'k1-secret'}") == "{'authorization': '[redacted]'}"
    assert redact("GET /t/Zx9_abcdefgh12 HTTP/1.1") == "GET /t/[redacted] HTTP/1.1"
    assert redact("GET /api/v1/tickets/Zx9_abcdefgh12/qr.svg") == "GET /api/v1/tickets/[redacted]/qr.svg"
    # Numbers and ordinary paths stay readable.
    assert redact("GET /api/v1/branches/honcho/tickets/C001") == "GET /api/v1/branches/honcho/tickets/C001"
    assert redact("POST /api/v1/counters/7/call-next") == "POST /api/v1/counters/7/call-next"


def test_a_plain_uvicorn_start_gets_the_redaction_too(settings: Settings, engine: Engine) -> None:
    """`uvicorn server.main:create_app --factory` configures its own handlers before the app
    exists; the factory puts the redacting filter on them."""
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        create_app(settings, engine=engine)
        access.warning(
            '%s - "%s %s HTTP/1.1" %d', "127.0.0.1:5", "GET", "/api/v1/branches/honcho/events?token=s3cr3t", 101
        )
    finally:
        access.removeHandler(handler)
    assert "s3cr3t" not in captured.getvalue()
    assert "token=[redacted]" in captured.getvalue()
