"""A client that stops reading is dropped with 1013; the others get every event, undelayed."""

import asyncio
import json
import time

from server.realtime.bus import Delivery, EventHub
from server.realtime.stream import ClientStream, CloseCode, StreamLimits

LIMITS = StreamLimits(lifetime_seconds=60)
EVENTS = 200
QUEUE_SIZE = 64  # roomy enough that a busy test machine never drops the fast client


class FakeSocket:
    """The server side of a WebSocket; a stuck one never completes a send (a full TCP window)."""

    def __init__(self, *, stuck: bool) -> None:
        self.stuck = stuck
        self.sent: list[dict[str, object]] = []
        self.closed_with: int | None = None
        self._never = asyncio.Event()

    async def send_text(self, text: str) -> None:
        if self.stuck:
            await self._never.wait()
        self.sent.append(json.loads(text))

    async def receive(self) -> dict[str, str]:
        await self._never.wait()  # clients never speak
        return {"type": "websocket.disconnect"}

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = code
        if self.stuck:
            await self._never.wait()  # it will not read our close frame either


async def scenario() -> tuple[FakeSocket, FakeSocket, float, float]:
    hub = EventHub(queue_size=QUEUE_SIZE)
    await hub.start()
    slow_socket, fast_socket = FakeSocket(stuck=True), FakeSocket(stuck=False)
    slow = ClientStream(slow_socket, hub.subscribe("honcho"), LIMITS)  # type: ignore[arg-type]
    fast = ClientStream(fast_socket, hub.subscribe("honcho"), LIMITS)  # type: ignore[arg-type]
    runs = [asyncio.create_task(slow.run([])), asyncio.create_task(fast.run([]))]
    await asyncio.sleep(0)

    longest_fan_out = 0.0
    for event_id in range(1, EVENTS + 1):
        started = time.perf_counter()
        hub.fan_out([Delivery({"id": event_id, "type": "ticket.called", "branch": "honcho"})])
        longest_fan_out = max(longest_fan_out, time.perf_counter() - started)
        if event_id % 2 == 0:
            await asyncio.sleep(0)  # the loop turns, as it does between real commits

    dropped_at = time.perf_counter()
    await asyncio.wait_for(runs[0], timeout=5)  # the slow stream ends by itself
    slow_closed_after = time.perf_counter() - dropped_at
    for _ in range(100):
        if len(fast_socket.sent) == EVENTS:
            break
        await asyncio.sleep(0.01)
    runs[1].cancel()
    await asyncio.gather(runs[1], return_exceptions=True)
    return slow_socket, fast_socket, longest_fan_out, slow_closed_after


def test_a_slow_client_is_dropped_and_does_not_delay_the_others() -> None:
    slow, fast, longest_fan_out, slow_closed_after = asyncio.run(scenario())

    assert [message["id"] for message in fast.sent] == list(range(1, EVENTS + 1))
    assert fast.closed_with is None
    assert slow.closed_with == CloseCode.try_again_later
    assert slow.sent == []
    assert longest_fan_out < 0.05  # publishing never waits on a client (synchronous, no await)
    assert slow_closed_after < 3  # a client that will not even read its close frame is abandoned
