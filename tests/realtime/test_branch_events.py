"""The branch event stream, in-process: snapshot, live calls, replay with after=, refusals."""

import json
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.websockets import WebSocketDisconnect

from server.config import Settings
from server.deps import request_session
from server.main import create_app
from server.models import Counter, DeviceKind, Event
from server.realtime.events import EventType, record_event
from tests.realtime.helpers import board_url, connected, receive_events, receive_until
from tests.server.api import act, counter_ids, issue
from tests.support import BRANCH, FixedClock, demo_config, make_device

Headers = dict[str, str]


def open_and_call(client: TestClient, staff: Headers, counter: str) -> dict[str, Any]:
    ids = counter_ids(client)
    act(client, staff, ids[counter], "open")
    ticket: dict[str, Any] = act(client, staff, ids[counter], "call-next")["ticket"]
    return ticket


def test_snapshot_shows_public_counters_and_waiting_counts_but_no_personal_data(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers], display_token: str
) -> None:
    death = next(event for event in demo_config().life_events if event.id == "death")
    tickets = [
        issue(client, kiosk, service="certificate"),
        issue(client, kiosk, life_event="death", answers=dict.fromkeys(death.questions, True)),
    ]
    called = open_and_call(client, auth["shokuin"], "1")  # the death registration's counter
    assert called["number"] == tickets[1]["number"]

    with connected(client, board_url(display_token)) as board:
        snapshot = board.receive_json()

    assert snapshot["type"] == "snapshot"
    assert snapshot["last_event_id"] >= 3
    counters = {counter["name"]: counter for counter in snapshot["counters"]}
    public = {counter.id for counter in demo_config().counters if counter.public}
    assert set(counters) == public
    assert counters["1"]["ticket"]["number"] == called["number"]
    assert counters["1"]["ticket"]["label_ja"] == "届出"  # the neutral label, never 死亡届
    assert [call["number"] for call in snapshot["recent_calls"]] == [called["number"]]
    waiting = {row["label_ja"]: row["waiting"] for row in snapshot["waiting"]}
    assert waiting["証明書"] == 1

    text = json.dumps(snapshot, ensure_ascii=False)
    for ticket in tickets:
        assert ticket["status_token"] not in text
    labels = {queue.label_ja for queue in demo_config().queues} | {queue.label_en for queue in demo_config().queues}
    for service in demo_config().services:
        for name in (service.name_ja, service.name_en):
            assert name in labels or name not in text, f"procedure name {name!r} on the board"


def test_a_number_is_in_one_place_on_the_board_by_its_newest_event(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers], display_token: str
) -> None:
    """Sent on to window 9, a ticket is in the guidance, not in the "called" list at window 1 where
    it no longer belongs; transferred, it is in neither; a number finished stays as called."""
    ids = counter_ids(client)
    staff = auth["shokuin"]
    routed = issue(client, kiosk, life_event="move_in", answers={"has_mynumber_card": True})
    for code in ("1", "R1", "B1"):
        act(client, staff, ids[code], "open")
        assert act(client, staff, ids[code], "call-next")["ticket"]["number"] == routed["number"]
        act(client, staff, ids[code], "complete")
    finished = issue(client, kiosk, service="certificate")
    act(client, staff, ids["7"], "open")
    act(client, staff, ids["7"], "call-next")
    act(client, staff, ids["7"], "complete")
    transferred = issue(client, kiosk, service="moving_within")
    assert act(client, staff, ids["1"], "call-next")["ticket"]["number"] == transferred["number"]
    act(client, staff, ids["1"], "transfer", service="certificate")

    with connected(client, board_url(display_token)) as board:
        snapshot = board.receive_json()

    assert [(row["number"], row["next_counters"]) for row in snapshot["guidance"]] == [(routed["number"], "9")]
    called = [call["number"] for call in snapshot["recent_calls"]]
    assert finished["number"] in called
    assert routed["number"] not in called
    assert transferred["number"] not in called


def test_a_call_reaches_every_connected_display_and_staff_client(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers], display_token: str, engine: Engine, clock: FixedClock
) -> None:
    second_display, _ = make_device(engine, DeviceKind.display, clock())
    staff_token = auth["shokuin"]["Authorization"].split()[1]
    ticket = issue(client, kiosk, service="certificate")
    with (
        connected(client, board_url(display_token)) as first,
        connected(client, board_url(second_display)) as second,
        connected(client, board_url(staff_token)) as staff,
    ):
        boards = [first, second, staff]
        for board in boards:
            assert board.receive_json()["type"] == "snapshot"
        open_and_call(client, auth["shokuin"], "7")
        for board in boards:
            called = receive_until(board, lambda message: message.get("type") == "ticket.called")
            assert called["ticket"]["number"] == ticket["number"]
            assert called["counter"]["name"] == "7"
            assert called["audio_url"] == f"/api/v1/announcements/{called['id']}.wav"
            assert "status_token" not in json.dumps(called)


def test_events_arrive_in_log_order_and_a_waiting_summary_follows(
    client: TestClient, kiosk: Headers, display_token: str, engine: Engine
) -> None:
    with connected(client, board_url(display_token)) as board:
        last_id = board.receive_json()["last_event_id"]
        for _ in range(3):
            issue(client, kiosk, service="certificate")
        events = receive_events(board, 3)
        with Session(engine) as session:
            logged = list(session.exec(select(Event.id).where(col(Event.id) > last_id).order_by(col(Event.id))))
        assert [event["id"] for event in events] == logged
        summary = receive_until(board, lambda message: message["type"] == "waiting")
        assert {row["label_ja"]: row["waiting"] for row in summary["waiting"]}["証明書"] >= 1


def test_after_replays_exactly_the_missed_events_in_order_then_goes_live(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers], display_token: str, engine: Engine
) -> None:
    with connected(client, board_url(display_token)) as board:
        seen = board.receive_json()["last_event_id"]
    # While the board is away: three issues, a counter opening and a call.
    for _ in range(3):
        issue(client, kiosk, service="certificate")
    open_and_call(client, auth["shokuin"], "7")
    with Session(engine) as session:
        missed = [row.id for row in session.exec(select(Event).where(col(Event.id) > seen).order_by(col(Event.id)))]
    assert len(missed) == 5

    with connected(client, board_url(display_token, after=seen)) as board:
        replayed = receive_events(board, len(missed))
        assert [event["id"] for event in replayed] == missed
        assert replayed[-1]["type"] == "ticket.called"
        assert replayed[-1]["audio_url"].endswith(f"/{missed[-1]}.wav")  # same link as live
        issue(client, kiosk, service="certificate")
        (live,) = receive_events(board, 1)
        assert live["type"] == "ticket.issued"  # the next event: no duplicate of the backlog
        assert live["id"] > missed[-1]


def test_after_beyond_the_log_gets_a_fresh_snapshot(client: TestClient, display_token: str) -> None:
    # The database was reset under a board that remembers a later id: it must not go silent.
    with connected(client, board_url(display_token, after=10_000)) as board:
        assert board.receive_json()["type"] == "snapshot"


def test_a_rolled_back_change_emits_nothing(
    client: TestClient, kiosk: Headers, display_token: str, app: Any, clock: FixedClock, engine: Engine
) -> None:
    with connected(client, board_url(display_token)) as board:
        last_id = board.receive_json()["last_event_id"]
        # A request's write session, wired to the bus exactly as the routers get it.
        request = cast(Request, SimpleNamespace(app=app))
        with request_session(request, write=True) as session:
            counter = session.exec(select(Counter).where(Counter.code == "7")).one()
            record_event(session, type=EventType.counter_opened, branch_id=BRANCH, now=clock(), counter=counter)
            session.rollback()

        ticket = issue(client, kiosk, service="certificate")
        (next_event,) = receive_events(board, 1)
        assert next_event["type"] == "ticket.issued"
        assert next_event["ticket"]["number"] == ticket["number"]
    with Session(engine) as session:
        assert session.exec(select(Event).where(Event.type == "counter.opened")).all() == []
        assert next_event["id"] > last_id


@pytest.mark.parametrize(
    ("token_kind", "code"),
    [("none", 4401), ("garbage", 4401), ("kiosk", 4403)],
)
def test_a_bad_token_is_refused_with_a_close_code_and_reason(
    client: TestClient, kiosk: Headers, token_kind: str, code: int
) -> None:
    token = {"none": None, "garbage": "not-a-token", "kiosk": kiosk["Authorization"].split()[1]}[token_kind]
    with client.websocket_connect(board_url(token)) as board, pytest.raises(WebSocketDisconnect) as refused:
        board.receive_json()
    assert refused.value.code == code
    assert refused.value.reason


def test_an_unknown_branch_is_refused(client: TestClient, display_token: str) -> None:
    with (
        client.websocket_connect(board_url(display_token, branch="nowhere")) as board,
        pytest.raises(WebSocketDisconnect) as refused,
    ):
        board.receive_json()
    assert refused.value.code == 4404


def test_heartbeat_pings_and_the_lifetime_cap_closes_cleanly(
    database_url: str, engine: Engine, clock: FixedClock, display_token: str, tmp_path: Any
) -> None:
    settings = Settings(
        database_url=database_url,
        audio_cache_dir=tmp_path,
        websocket_heartbeat_seconds=0.2,
        websocket_max_lifetime_seconds=1.0,
    )
    with (
        TestClient(create_app(settings, engine=engine, clock=clock)) as client,
        client.websocket_connect(board_url(display_token)) as board,
    ):
        assert board.receive_json()["type"] == "snapshot"
        pings = [board.receive_json() for _ in range(3)]  # every 0.2 s
        with pytest.raises(WebSocketDisconnect) as closed:
            receive_until(board, lambda message: message["type"] != "ping")
    assert pings == [{"type": "ping"}] * 3
    assert closed.value.code == 4000
    assert "reconnect" in closed.value.reason
