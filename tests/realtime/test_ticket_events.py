"""One ticket's stream for its status page: its view, its own events, a live "people ahead"."""

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.realtime.helpers import connected, receive_until
from tests.server.api import API, act, counter_ids, issue

Headers = dict[str, str]


def ticket_url(status_token: str) -> str:
    return f"{API}/tickets/{status_token}/events"


def test_the_snapshot_is_the_ticket_view(client: TestClient, kiosk: Headers) -> None:
    ticket = issue(client, kiosk, service="certificate")
    with connected(client, ticket_url(ticket["status_token"])) as page:
        snapshot = page.receive_json()
    assert snapshot["type"] == "snapshot"
    assert snapshot["ticket"] == client.get(f"{API}/tickets/{ticket['status_token']}").json()


def test_a_call_sends_the_event_then_the_fresh_view(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers]
) -> None:
    ticket = issue(client, kiosk, service="certificate")
    counter = counter_ids(client)["7"]
    with connected(client, ticket_url(ticket["status_token"])) as page:
        page.receive_json()
        act(client, auth["shokuin"], counter, "open")
        act(client, auth["shokuin"], counter, "call-next")
        called = receive_until(page, lambda message: message["type"] == "ticket.called")
        assert called["ticket"]["number"] == ticket["number"]
        assert called["counter"]["name"] == "7"
        view = page.receive_json()
        assert view["type"] == "ticket"
        assert view["ticket"]["status"] == "called"
        assert view["ticket"]["stops"][0]["counter"] == "7"


def test_people_ahead_falls_when_someone_ahead_is_called_without_their_events(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers]
) -> None:
    first = issue(client, kiosk, service="certificate")
    second = issue(client, kiosk, service="certificate")
    assert second["position"] == 1
    counter = counter_ids(client)["7"]
    with connected(client, ticket_url(second["status_token"])) as page:
        page.receive_json()
        act(client, auth["shokuin"], counter, "open")
        act(client, auth["shokuin"], counter, "call-next")
        update = receive_until(page, lambda message: message["type"] == "ticket" and message["ticket"]["position"] == 0)
        assert update["ticket"]["number"] == second["number"]
    # Another citizen's events never reach this page, only this ticket's refreshed view.
    assert first["number"] != second["number"]


def test_an_unknown_status_token_is_refused(client: TestClient) -> None:
    with client.websocket_connect(ticket_url("no-such-token")) as page, pytest.raises(WebSocketDisconnect) as refused:
        page.receive_json()
    assert refused.value.code == 4404
