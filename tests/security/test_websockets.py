"""A WebSocket with no valid token is closed before a single message of data.

The branch stream admits a display board of the branch or a signed-in staff member; the ticket
stream only the exact status token. Every other key is refused with a close code and reason.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.realtime.helpers import board_url, connected
from tests.server.api import API, issue
from tests.support import BRANCH, FixedClock

Headers = dict[str, str]
Credentials = dict[str, Any]


def _refused(client: TestClient, url: str) -> WebSocketDisconnect:
    with client.websocket_connect(url) as socket, pytest.raises(WebSocketDisconnect) as closed:
        socket.receive_json()  # the first thing a refused client gets is the close, never data
    assert closed.value.reason
    return closed.value


def _bearer(headers: Headers) -> str:
    return headers["Authorization"].split()[1]


@pytest.fixture
def credentials(client: TestClient, auth: dict[str, Headers], kiosk: Headers, display_token: str) -> Credentials:
    return {
        "auth": auth,
        "kiosk": _bearer(kiosk),
        "display": display_token,
        "status": issue(client, kiosk, service="certificate")["status_token"],
    }


# Each case: a key that must not open the branch stream, and the close code it gets.
CASES = {
    "no token": 4401,
    "made-up token": 4401,
    "a status link's token": 4401,
    "a kiosk's token": 4403,
    "a display token cut short": 4401,
    "a revoked display": 4401,
    "a signed-out staff token": 4401,
    "an expired staff token": 4401,
}


def _spoiled_key(case: str, client: TestClient, credentials: Credentials, clock: FixedClock) -> str | None:
    admin, staff = credentials["auth"]["admin"], credentials["auth"]["shokuin"]
    match case:
        case "no token":
            return None
        case "made-up token":
            return "made-up-token"
        case "a status link's token":
            return str(credentials["status"])
        case "a kiosk's token":
            return str(credentials["kiosk"])
        case "a display token cut short":
            return str(credentials["display"])[:-1]
        case "a revoked display":
            for device in client.get(f"{API}/admin/branches/{BRANCH}/devices", headers=admin).json():
                revoke = f"{API}/admin/branches/{BRANCH}/devices/{device['id']}/revoke"
                assert client.post(revoke, headers=admin).status_code == 200
            return str(credentials["display"])
        case "a signed-out staff token":
            assert client.post(f"{API}/auth/logout", headers=staff).status_code == 204
            return _bearer(staff)
        case "an expired staff token":
            clock.advance(hours=13)  # sign-ins last 12 hours
            return _bearer(staff)
    raise AssertionError(case)


@pytest.mark.parametrize("case", list(CASES))
def test_the_branch_stream_refuses_a_bad_key(
    client: TestClient, credentials: Credentials, clock: FixedClock, case: str
) -> None:
    token = _spoiled_key(case, client, credentials, clock)
    assert _refused(client, board_url(token)).code == CASES[case]


def test_the_branch_stream_admits_its_display_and_staff(client: TestClient, credentials: Credentials) -> None:
    for token in (credentials["display"], _bearer(credentials["auth"]["itaku"])):
        with connected(client, board_url(token)) as board:
            assert board.receive_json()["type"] == "snapshot"


def test_the_branch_stream_of_an_unknown_branch_is_refused(client: TestClient, credentials: Credentials) -> None:
    assert _refused(client, board_url(credentials["display"], branch="nowhere")).code == 4404


def test_the_ticket_stream_needs_the_exact_status_token(client: TestClient, credentials: Credentials) -> None:
    token = credentials["status"]
    for guess in ("no-such-ticket", token[:-1], token + "A", token.swapcase(), credentials["display"]):
        assert _refused(client, f"{API}/tickets/{guess}/events").code == 4404
    with connected(client, f"{API}/tickets/{token}/events") as page:
        assert page.receive_json()["type"] == "snapshot"
