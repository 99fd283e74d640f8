"""Boards that keep up get each frame written straight to their socket, once encoded, in order;
a paused socket falls back to its queue without reordering anything."""

import asyncio
import json
from typing import Any

from websockets.protocol import State

from server.realtime.bus import Delivery, EventHub
from server.realtime.stream import ClientStream, StreamLimits
from server.realtime.wire import RAW_SEND_KEY, text_frame

LIMITS = StreamLimits(lifetime_seconds=60)


class FakeTransport:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)

    def is_closing(self) -> bool:
        return False


class FakeConnection:
    state = State.OPEN
    extensions: list[object] = []  # noqa: RUF012 - what uvicorn's sans-I/O connection offers


class FakeProtocol:
    """The parts of uvicorn's sans-I/O WebSocket protocol that a direct write looks at."""

    def __init__(self) -> None:
        self.transport = FakeTransport()
        self.conn = FakeConnection()
        self.writable = asyncio.Event()
        self.writable.set()
        self.close_sent = False
        self.disconnected = False

    async def send(self, message: dict[str, Any]) -> None:
        await self.writable.wait()
        self.transport.write(text_frame(message["text"]))


class FakeSocket:
    def __init__(self, protocol: FakeProtocol) -> None:
        self.protocol = protocol
        self.scope = {RAW_SEND_KEY: protocol.send}
        self._never = asyncio.Event()

    async def send_text(self, text: str) -> None:
        await self.protocol.send({"type": "websocket.send", "text": text})

    async def receive(self) -> dict[str, str]:
        await self._never.wait()
        return {"type": "websocket.disconnect"}


def event(event_id: int) -> Delivery:
    return Delivery({"id": event_id, "type": "ticket.called", "branch": "honcho"})


def sent_ids(transport: FakeTransport) -> list[int]:
    return [json.loads(frame[2:]).get("id", 0) for frame in transport.frames]


async def scenario() -> tuple[FakeProtocol, int, int]:
    hub = EventHub(queue_size=64)
    protocol = FakeProtocol()
    subscription = hub.subscribe("honcho")
    stream = ClientStream(FakeSocket(protocol), subscription, LIMITS)  # type: ignore[arg-type]
    stream.last_event_id = 2  # the snapshot already showed events 1 and 2
    hub.fan_out([event(2), event(3)])  # committed while the snapshot was read: queued
    run = asyncio.create_task(stream.run([{"type": "snapshot", "last_event_id": 2}]))
    for _ in range(10):
        await asyncio.sleep(0)
    hub.fan_out([event(4), event(5)])  # keeping up: written directly, nothing queued
    queued_while_direct = subscription.queue.qsize()
    protocol.writable.clear()  # the client stops reading for a while
    hub.fan_out([event(6), event(7)])
    queued_while_paused = subscription.queue.qsize()
    protocol.writable.set()
    for _ in range(10):
        await asyncio.sleep(0)
    hub.fan_out([event(8)])
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
    return protocol, queued_while_direct, queued_while_paused


def test_frames_go_straight_to_the_socket_and_a_paused_one_keeps_its_order() -> None:
    protocol, queued_while_direct, queued_while_paused = asyncio.run(scenario())

    assert sent_ids(protocol.transport) == [0, 3, 4, 5, 6, 7, 8]  # snapshot, then each event once
    assert queued_while_direct == 0
    assert queued_while_paused >= 1
    assert protocol.transport.frames[2] == event(4).frame == text_frame(event(4).text)
