"""Scale-out on PostgreSQL: two server processes, clients on both, LISTEN/NOTIFY between them."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from server.models import Event, Role
from server.realtime.bus import LISTENER_APPLICATION_NAME, Delivery, PgNotifyBus
from server.realtime.events import NOTIFY_CHANNEL, event_message, message_of
from tests.realtime.live_server import LiveServer, live_server, server_environment
from tests.support import BRANCH, PASSWORD, PG_URL, FixedClock, make_staff

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set MADOGUCHI_TEST_DATABASE_URL"),
]

Message = dict[str, Any]
CLIENTS_PER_SERVER = 2
RECEIVE_TIMEOUT = 10


@pytest.fixture
def servers(engine: Engine, database_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    environment = server_environment(database_url, audio_cache_dir=str(tmp_path / "audio"))
    with live_server(environment, tmp_path, name="a") as first, live_server(environment, tmp_path, name="b") as second:
        yield first, second


class Api:
    """The HTTP side of the test, spread over both processes."""

    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.http = http
        self.headers = headers

    async def issue(self, server: LiveServer, service: str) -> Message:
        response = await self.http.post(
            f"{server.base_url}/api/v1/branches/{BRANCH}/tickets", json={"service": service}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        ticket: Message = response.json()
        return ticket

    async def counter(self, server: LiveServer, counter_id: int, action: str) -> Message | None:
        response = await self.http.post(
            f"{server.base_url}/api/v1/counters/{counter_id}/{action}", headers=self.headers
        )
        assert response.status_code in (200, 204), response.text
        return response.json() if response.content else None


async def log_events_after(engine: Engine, after: int) -> list[int]:
    def read() -> list[int]:
        with Session(engine) as session:
            return [i for i in session.exec(select(Event.id).where(col(Event.id) > after).order_by(col(Event.id))) if i]

    return await asyncio.to_thread(read)


def log_messages(engine: Engine, ids: list[int]) -> list[Message]:
    with Session(engine) as session:
        rows = session.exec(select(Event).where(col(Event.id).in_(ids)).order_by(col(Event.id))).all()
        return [event_message(row) for row in rows]


async def events_until(client: Any, count: int) -> list[Message]:
    """The next `count` log events on this client (pings and summaries skipped)."""
    events: list[Message] = []
    while len(events) < count:
        message = json.loads(await asyncio.wait_for(client.recv(), RECEIVE_TIMEOUT))
        if "id" in message:
            events.append(message)
    return events


async def message_of_type(client: Any, kind: str) -> Message:
    while True:
        message: Message = json.loads(await asyncio.wait_for(client.recv(), RECEIVE_TIMEOUT))
        if message["type"] == kind:
            return message


async def login(http: httpx.AsyncClient, server: LiveServer, username: str) -> dict[str, str]:
    response = await http.post(
        f"{server.base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def counter_id(http: httpx.AsyncClient, server: LiveServer, code: str) -> int:
    counters = (await http.get(f"{server.base_url}/api/v1/branches/{BRANCH}/counters")).json()
    return int(next(counter["id"] for counter in counters if counter["name"] == code))


def board_url(server: LiveServer, token: str) -> str:
    return f"{server.ws_url}/api/v1/branches/{BRANCH}/events?token={token}"


def test_clients_on_either_process_receive_every_event_from_either_process(
    servers: tuple[LiveServer, LiveServer], engine: Engine, clock: FixedClock, display_token: str
) -> None:
    make_staff(engine, "shokuin", Role.municipal, clock())

    async def scenario() -> None:
        first, second = servers
        async with httpx.AsyncClient(timeout=10) as http:
            api = Api(http, await login(http, first, "shokuin"))
            window = await counter_id(http, first, "7")
            clients = [
                await websockets.connect(board_url(server, display_token))
                for server in servers
                for _ in range(CLIENTS_PER_SERVER)
            ]
            try:
                starts = {json.loads(await client.recv())["last_event_id"] for client in clients}
                assert len(starts) == 1
                (start,) = starts
                # Changes alternate between the processes.
                await api.issue(first, "certificate")
                await api.issue(second, "certificate")
                await api.counter(second, window, "open")
                await api.counter(first, window, "call-next")
                await api.counter(second, window, "complete")
                await api.counter(first, window, "call-next")
                expected = await log_events_after(engine, start)
                assert len(expected) == 6
                logged = await asyncio.to_thread(log_messages, engine, expected)
                for client in clients:
                    received = await events_until(client, len(expected))
                    assert [event["id"] for event in received] == expected
                    assert [event["type"] for event in received][-1] == "ticket.called"
                    # What NOTIFY carried (the id filled in by the database) is what the log replays.
                    assert received == logged
                    assert received[-1]["audio_url"].endswith(f"/{expected[-1]}.wav")
            finally:
                for client in clients:
                    await client.close()

    asyncio.run(scenario())


def test_a_dropped_listener_connection_leads_to_resync_and_correct_state(
    servers: tuple[LiveServer, LiveServer], engine: Engine, clock: FixedClock, display_token: str
) -> None:
    make_staff(engine, "shokuin", Role.municipal, clock())

    async def scenario() -> None:
        first, second = servers
        async with httpx.AsyncClient(timeout=10) as http:
            api = Api(http, await login(http, first, "shokuin"))
            window = await counter_id(http, first, "7")
            await api.issue(first, "certificate")
            await api.counter(first, window, "open")
            clients = [await websockets.connect(board_url(server, display_token)) for server in servers]
            try:
                for client in clients:
                    assert json.loads(await client.recv())["type"] == "snapshot"

                terminated = await asyncio.to_thread(terminate_listeners, engine)
                assert terminated == len(servers)  # one listener per process
                # A call while the listeners may still be reconnecting: it must not be lost.
                called = await api.counter(second, window, "call-next")
                assert called is not None

                for client in clients:
                    await message_of_type(client, "resync")
                    with pytest.raises(websockets.ConnectionClosed) as closed:
                        await message_of_type(client, "never")
                    assert closed.value.rcvd is not None
                    assert closed.value.rcvd.code == 4000
            finally:
                for client in clients:
                    await client.close()

            # Fresh snapshots show the call made during the outage, and events flow again.
            clients = [await websockets.connect(board_url(server, display_token)) for server in servers]
            try:
                for client in clients:
                    snapshot = json.loads(await client.recv())
                    counters = {counter["name"]: counter for counter in snapshot["counters"]}
                    assert counters["7"]["ticket"]["number"] == called["ticket"]["number"]
                fresh = await api.issue(second, "certificate")
                for client in clients:
                    (event,) = await events_until(client, 1)
                    assert event["ticket"]["number"] == fresh["number"]
            finally:
                for client in clients:
                    await client.close()

    asyncio.run(scenario())


def terminate_listeners(engine: Engine) -> int:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": LISTENER_APPLICATION_NAME},
        ).all()
        return len(rows)


def test_a_sign_out_in_one_process_ends_the_token_in_the_other_at_once(
    servers: tuple[LiveServer, LiveServer], engine: Engine, clock: FixedClock
) -> None:
    """Each process keeps who a token belongs to for a few seconds; a sign-out reaches the other
    process through NOTIFY, well before that memory would have run out."""
    make_staff(engine, "shokuin", Role.municipal, clock())

    async def scenario() -> None:
        first, second = servers
        async with httpx.AsyncClient(timeout=10) as http:
            headers = await login(http, first, "shokuin")
            # The second process now remembers the token.
            assert (await http.get(f"{second.base_url}/api/v1/auth/me", headers=headers)).status_code == 200
            assert (await http.post(f"{first.base_url}/api/v1/auth/logout", headers=headers)).status_code == 204
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 2  # well under the 10 s a remembered token is kept
            while (await http.get(f"{second.base_url}/api/v1/auth/me", headers=headers)).status_code != 401:
                assert loop.time() < deadline, "the other process still accepts a signed-out token"
                await asyncio.sleep(0.05)

    asyncio.run(scenario())


def test_the_listener_reads_notifications_of_this_release_and_the_one_before(engine: Engine) -> None:
    """During a rolling upgrade, a process of the release before sends the message whole; this
    release sends the id and the stored payload. Both reach clients as the same message; a
    malformed one between them is skipped and the listener goes on."""
    payload = {"type": "ticket.called", "at": "2026-04-01T09:00:00+09:00", "branch": BRANCH, "ticket": None}
    notifications = [
        json.dumps({"ticket_id": 7, "message": message_of(41, payload)}),
        "not json",
        json.dumps({"id": 42, "ticket_id": 7, "payload": payload}),
    ]

    async def scenario() -> list[Delivery]:
        bus = PgNotifyBus(engine)
        delivered: list[Delivery] = []
        bus.add_fan_out_listener(delivered.extend)
        await bus.start()
        try:
            with engine.begin() as connection:
                for notification in notifications:
                    connection.execute(
                        text("SELECT pg_notify(:channel, :text)"), {"channel": NOTIFY_CHANNEL, "text": notification}
                    )
            for _ in range(100):
                if len(delivered) == 2:
                    break
                await asyncio.sleep(0.05)
        finally:
            await bus.stop()
        return delivered

    delivered = asyncio.run(scenario())
    assert [(delivery.message, delivery.ticket_id) for delivery in delivered] == [
        (message_of(41, payload), 7),
        (message_of(42, payload), 7),
    ]
