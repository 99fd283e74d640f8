"""Driving the WebSocket endpoints in-process (starlette's TestClient)."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.server.api import API
from tests.support import BRANCH

Message = dict[str, Any]


def board_url(token: str | None, *, branch: str = BRANCH, after: int | None = None) -> str:
    query = [f"token={token}"] if token is not None else []
    if after is not None:
        query.append(f"after={after}")
    return f"{API}/branches/{branch}/events" + ("?" + "&".join(query) if query else "")


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@contextmanager
def connected(client: TestClient, url: str) -> Iterator[WebSocketTestSession]:
    """A WebSocket that leaves cleanly: the server has finished with it before the test moves on.

    (TestClient cancels the endpoint right after sending the close; an endpoint still tidying up
    at that moment would surface as a CancelledError in the test.)
    """
    app: FastAPI = client.app  # type: ignore[assignment]
    with client.websocket_connect(url) as websocket:
        try:
            yield websocket  # tests read at least the first message, so the server has subscribed
        finally:
            subscribed = app.state.bus.subscriber_count
            websocket.close()
            wait_until(lambda: app.state.bus.subscriber_count < subscribed)
            time.sleep(0.02)


def receive_until(websocket: WebSocketTestSession, predicate: Callable[[Message], bool], limit: int = 50) -> Message:
    """The first message matching predicate; log events before it are fine, pings are skipped."""
    for _ in range(limit):
        message: Message = websocket.receive_json()
        if predicate(message):
            return message
    raise AssertionError("no matching message")


def receive_events(websocket: WebSocketTestSession, count: int) -> list[Message]:
    """The next `count` log events (messages with an id), skipping summaries and pings."""
    events: list[Message] = []
    while len(events) < count:
        message: Message = websocket.receive_json()
        if "id" in message:
            events.append(message)
    return events
