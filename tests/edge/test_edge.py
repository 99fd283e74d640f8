"""The public edge with a real city-hall server linked out to it, both processes on loopback."""

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, WebSocketRoute
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.edge.protocol import LINK_PATH, is_forwarded
from server.push.standin import PushServiceStandIn
from tests.e2e.support import BRANCH
from tests.edge.support import EDGE_KEY, LinkedHall, call_ticket, finish_current, linked_hall
from tests.security.test_roles import EVERYONE
from tests.security.test_roles import TABLE as ROLE_TABLE
from tests.support import create_database, drop_database

pytestmark = pytest.mark.slow

OTHER_KEY = "other-city-hall-key-987654321"
REMOTE_QUOTA = 2
# Every way a sensitive procedure could be named: its service keys and its names, ja and en.
SENSITIVE = re.compile(
    r"divorce|death|welfare_consult|heir|funeral|single_parent|離婚|死亡|生活保護|相続|葬祭|ひとり親", re.IGNORECASE
)


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushServiceStandIn]:
    with PushServiceStandIn() as service:
        yield service


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory, push_service: PushServiceStandIn) -> Iterator[LinkedHall]:
    folder = tmp_path_factory.mktemp("edge")
    database_url = create_database(str(folder))
    edge_args = ("--key", EDGE_KEY, "--tenant", f"other:{OTHER_KEY}", "--push-hosts", "127.0.0.1")
    try:
        with linked_hall(
            folder, *edge_args, database_url=database_url, remote_queueing=f"{BRANCH}:certificate={REMOTE_QUOTA}"
        ) as linked:
            linked.wait_linked()
            yield linked
    finally:
        drop_database(database_url)


def edge_view(hall: LinkedHall, token: str, *, until: Any = None, timeout: float = 10) -> dict[str, Any]:
    """The holder's view at the edge, once `until(view)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{hall.edge.base_url}/api/v1/tickets/{token}", timeout=5)
        if response.status_code == 200:
            view: dict[str, Any] = response.json()
            if until is None or until(view):
                return view
        if time.monotonic() > deadline:
            raise AssertionError(f"edge never showed it: {response.status_code} {response.text}")
        time.sleep(0.05)


def test_status_link_points_at_the_edge_which_shows_the_holders_view(hall: LinkedHall) -> None:
    ticket = hall.issue()
    assert ticket["status_url"] == f"{hall.edge.base_url}/t/{ticket['status_token']}"
    view = edge_view(hall, str(ticket["status_token"]))
    direct = httpx.get(f"{hall.server.base_url}/api/v1/tickets/{ticket['status_token']}", timeout=5).json()
    assert view["id"] is None
    assert (view["number"], view["status"], view["stops"]) == (direct["number"], direct["status"], direct["stops"])
    page = httpx.get(str(ticket["status_url"]), timeout=5)
    assert page.status_code == 200
    assert "/static/display/status.js" in page.text
    assert httpx.get(f"{hall.edge.base_url}/static/display/status.js", timeout=5).status_code == 200


def test_a_call_on_the_server_reaches_the_status_stream_at_the_edge(hall: LinkedHall) -> None:
    ticket = hall.issue()
    token = ticket["status_token"]
    edge_view(hall, str(token))
    with connect(f"ws://127.0.0.1:{hall.edge.port}/api/v1/tickets/{token}/events", open_timeout=10) as socket:
        snapshot = json.loads(socket.recv(timeout=10))
        assert snapshot["type"] == "snapshot"
        assert snapshot["ticket"]["status"] == "waiting"
        call_ticket(hall, str(ticket["number"]))
        seen: list[dict[str, Any]] = []
        while not any(m.get("type") == "ticket" and m["ticket"]["status"] == "called" for m in seen):
            seen.append(json.loads(socket.recv(timeout=10)))
    called = [m for m in seen if m.get("type") == "ticket.called"]
    assert called, seen
    assert called[0]["id"] > snapshot["last_event_id"]
    assert called[0]["counter"] == {"name": "1"}
    assert "audio_url" not in called[0]
    finish_current(hall)


def test_a_sensitive_visit_is_never_named_at_the_edge(hall: LinkedHall) -> None:
    ticket = hall.issue("divorce_reg")
    token = str(ticket["status_token"])
    view = edge_view(hall, token)
    assert view["stops"][0]["service"] == "notification"
    with connect(f"ws://127.0.0.1:{hall.edge.port}/api/v1/tickets/{token}/events", open_timeout=10) as socket:
        opening = socket.recv(timeout=10)
        call_ticket(hall, str(ticket["number"]))
        stream = [opening]
        while '"status":"called"' not in stream[-1] or '"type":"ticket"' not in stream[-1]:
            stream.append(str(socket.recv(timeout=10)))
    finish_current(hall)
    congestion = httpx.get(f"{hall.edge.base_url}/api/v1/branches/{BRANCH}/queues", timeout=5)
    server_congestion = httpx.get(f"{hall.server.base_url}/api/v1/branches/{BRANCH}/queues", timeout=5)
    for text in (json.dumps(view, ensure_ascii=False), *stream, congestion.text, server_congestion.text):
        assert not SENSITIVE.search(text), text
    assert any(row["service"] == "notification" for row in congestion.json())


def test_a_wrong_key_sees_nothing(hall: LinkedHall) -> None:
    link = f"ws://127.0.0.1:{hall.edge.port}{LINK_PATH}"
    for headers in ({"Authorization": "Bearer not-the-key-at-all-000"}, {}):
        with pytest.raises(InvalidStatus) as refused, connect(link, additional_headers=headers, open_timeout=10):
            pass
        assert refused.value.response.status_code == 403
    # Another city hall's prefix on the same edge knows nothing of this one's tickets.
    token = hall.issue()["status_token"]
    edge_view(hall, str(token))
    other = httpx.get(f"{hall.edge.base_url}/other/api/v1/tickets/{token}", timeout=5)
    assert other.status_code in (404, 503)
    assert token not in other.text


def _example_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def server_routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method or "WS", path template) of every route of the server app, included routers too."""
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            original = getattr(context, "original_route", context)
            if isinstance(original, Mount):
                yield "MOUNT", context.path
            elif isinstance(original, WebSocketRoute) or not getattr(context, "methods", None):
                yield "WS", context.path
            else:
                for method in sorted(set(context.methods) - {"HEAD", "OPTIONS"}):
                    yield method, context.path


def test_the_edge_answers_no_staff_admin_or_device_route(hall: LinkedHall, app: Any) -> None:
    holder_routes = {
        ("GET", "/api/v1/tickets/{status_token}"),
        ("GET", "/api/v1/branches/{branch}/queues"),
        ("GET", "/t/{status_token}"),
        ("WS", "/api/v1/tickets/{status_token}/events"),
    }
    tried = 0
    with httpx.Client(base_url=hall.edge.base_url, timeout=10) as client:
        for method, path in server_routes(app):
            if (method, path) in holder_routes:
                continue
            tried += 1
            if method == "WS":
                with pytest.raises(InvalidStatus):
                    connect(f"ws://127.0.0.1:{hall.edge.port}{_example_path(path)}", open_timeout=10).close()
            elif method == "MOUNT":
                assert client.get(f"{path}/board.js").status_code == 404, path
            else:
                example = _example_path(path)
                # A forwarded public route (the survey, remote tickets, bookings, e-mail notices)
                # gets the city hall's own answer, but never with the caller's credentials: a
                # route that needs a role is refused for want of a token. All else is 404 here.
                response = client.request(method, example, headers={"Authorization": f"Bearer {hall.staff_token}"})
                if is_forwarded(method, example):
                    assert response.status_code < 500, (method, path, response.text)
                    # (A route for the edge link alone, frozenset(), is what the link exists for.)
                    if ROLE_TABLE.get((method, path), EVERYONE) not in (EVERYONE, frozenset()):
                        assert response.status_code == 401, (method, path, response.text)
                else:
                    assert response.status_code == 404, (method, path, response.text)
                    assert response.json()["code"] == "not_found", (method, path)
    assert tried > 60


def test_forwarded_public_route_is_answered_by_the_city_hall(hall: LinkedHall) -> None:
    ticket = hall.issue()
    token = str(ticket["status_token"])
    edge_view(hall, token)
    early = httpx.post(f"{hall.edge.base_url}/api/v1/tickets/{token}/satisfaction", json={"score": 5}, timeout=10)
    assert early.status_code == 409, early.text  # the city hall's own rule: not before the visit is done
    call_ticket(hall, str(ticket["number"]))
    finish_current(hall)
    while httpx.get(f"{hall.server.base_url}/api/v1/tickets/{token}", timeout=5).json()["status"] != "done":
        call_ticket(hall, str(ticket["number"]))
        finish_current(hall)
    answer = httpx.post(f"{hall.edge.base_url}/api/v1/tickets/{token}/satisfaction", json={"score": 4}, timeout=10)
    assert answer.status_code == 201, answer.text
    assert answer.json()["score"] == 4
    again = httpx.post(f"{hall.edge.base_url}/api/v1/tickets/{token}/satisfaction", json={"score": 1}, timeout=10)
    assert again.status_code == 409
    # Credentials never pass: a staff token sent to the edge is dropped on the way.
    staff_only = httpx.get(
        f"{hall.edge.base_url}/api/v1/counters/1", headers={"Authorization": f"Bearer {hall.staff_token}"}, timeout=5
    )
    assert staff_only.status_code == 404


def test_the_email_notice_is_asked_for_through_the_edge(hall: LinkedHall) -> None:
    token = str(hall.issue()["status_token"])
    edge_view(hall, token)
    url = f"{hall.edge.base_url}/api/v1/tickets/{token}/email-notice"
    asked = httpx.post(url, json={"email": "hanako@example.jp"}, timeout=10)
    assert asked.status_code == 201, asked.text
    assert asked.json()["email"] == "h***@example.jp"  # the address does not travel back in full
    stopped = forwarded(lambda: httpx.delete(url, timeout=10))
    assert stopped.status_code == 204, stopped.text


def forwarded(send: Any, timeout: float = 10) -> httpx.Response:
    """A forwarded request's answer; one that meets the link while it reconnects (a busy CI
    machine) is told 503 edge_paused, which the status page retries, and so do we."""
    deadline = time.monotonic() + timeout
    while True:
        response: httpx.Response = send()
        paused = response.status_code == 503 and response.json().get("code") == "edge_paused"
        if not paused or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_web_push_carries_the_number_and_counter_only(hall: LinkedHall, push_service: PushServiceStandIn) -> None:
    ticket = hall.issue()
    token = str(ticket["status_token"])
    edge_view(hall, token)
    subscription = push_service.subscription()
    body = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    refused = httpx.post(
        f"{hall.edge.base_url}/api/v1/tickets/{token}/push",
        json={**body, "endpoint": "https://attacker.invalid/push/1"},
        timeout=5,
    )
    assert refused.status_code == 422
    assert httpx.post(f"{hall.edge.base_url}/api/v1/tickets/{token}/push", json=body, timeout=5).status_code == 201
    before = len(push_service.received)
    call_ticket(hall, str(ticket["number"]))
    deadline = time.monotonic() + 10
    notices: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not any(notice.get("counter") for notice in notices):
        notices = [json.loads(item.payload) for item in push_service.received[before:]]
        time.sleep(0.05)
    finish_current(hall)
    assert notices, "no push arrived"
    for notice in notices:
        assert set(notice) == {"number", "counter"}
        assert notice["number"] == ticket["number"]
    assert notices[-1]["counter"] == "1"


def test_remote_quota_refuses_the_one_past_it(hall: LinkedHall) -> None:
    url = f"{hall.edge.base_url}/api/v1/branches/{BRANCH}/remote-tickets"
    taken = [httpx.post(url, json={"service": "certificate"}, timeout=10) for _ in range(REMOTE_QUOTA)]
    assert [response.status_code for response in taken] == [201] * REMOTE_QUOTA, taken[-1].text
    assert taken[0].json()["status_url"].startswith(hall.edge.base_url + "/t/")
    assert taken[0].json()["id"] is None
    refused = httpx.post(url, json={"service": "certificate"}, timeout=10)
    assert refused.status_code == 409
    assert refused.json()["code"] == "remote_quota_reached"
    assert refused.json()["detail"].startswith("本日のスマートフォンからの受付は終了しました")
    off = httpx.post(url, json={"service": "moving_in"}, timeout=10)
    assert off.status_code == 403
    assert off.json()["code"] == "remote_queueing_off"
    # Not from the edge (no link key): refused before anything is read.
    direct = httpx.post(
        f"{hall.server.base_url}/api/v1/branches/{BRANCH}/remote-tickets", json={"service": "certificate"}, timeout=10
    )
    assert (direct.status_code, direct.json()["code"]) == (401, "missing_token")
    rows = httpx.get(f"{hall.edge.base_url}/api/v1/branches/{BRANCH}/queues", timeout=5).json()
    assert [row["service"] for row in rows if row["remote"]] == ["certificate"]


def test_killing_the_edge_costs_the_city_hall_nothing_and_a_restart_catches_up(hall: LinkedHall) -> None:
    failures: list[str] = []
    issued: list[dict[str, Any]] = []
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            try:
                issued.append(hall.issue())
                response = hall.staff("POST", "/counters/2/call-next")
                if response.status_code == 200:
                    for step in ("start", "complete"):
                        done = hall.staff("POST", f"/counters/2/{step}")
                        if done.status_code != 200:
                            failures.append(done.text)
                elif response.status_code != 204:
                    failures.append(response.text)
            except httpx.HTTPError as error:
                failures.append(repr(error))

    hall.staff("POST", "/counters/2/open")
    worker = threading.Thread(target=busy)
    worker.start()
    time.sleep(1)
    hall.edge.kill()
    time.sleep(2)
    stop.set()
    worker.join(timeout=30)
    assert failures == []
    assert len(issued) > 3
    latest = hall.issue()
    restarted_at = time.monotonic()
    hall.edge.start()
    server_view = httpx.get(f"{hall.server.base_url}/api/v1/tickets/{latest['status_token']}", timeout=5).json()
    view = edge_view(
        hall,
        str(latest["status_token"]),
        until=lambda view: view["position"] == server_view["position"],
        timeout=10 - (time.monotonic() - restarted_at),
    )
    assert view["number"] == latest["number"]
    assert time.monotonic() - restarted_at < 10
