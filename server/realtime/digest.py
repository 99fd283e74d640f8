"""Waiting counts pushed to boards: computed once per burst of events, not once per board.

Events say what happened to one ticket; a board also shows how many people wait per label.
Rather than every board polling, each process recomputes the summary shortly after events that
can change it, for the branches it has clients for, and broadcasts it as `{"type": "waiting"}`.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from server.realtime import service
from server.realtime.bus import Delivery, EventHub
from server.realtime.events import WAITING_CHANGES

logger = logging.getLogger("madoguchi.realtime")


class WaitingDigest:
    def __init__(
        self,
        hub: EventHub,
        engine: Engine,
        clock: Callable[[], datetime],
        *,
        sample: int,
        settle_seconds: float = 1.0,
        caches: Mapping[str, Any] | None = None,
    ) -> None:
        self._hub = hub
        self._caches = caches
        self._engine = engine
        self._clock = clock
        self._sample = sample
        self._settle_seconds = settle_seconds
        self._scheduled: dict[str, asyncio.Task[None]] = {}
        self._last_sent: dict[str, list[dict[str, Any]]] = {}
        hub.add_fan_out_listener(self.on_deliveries)

    def on_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            branch_id = delivery.message.get("branch")
            if delivery.message.get("type") not in WAITING_CHANGES or not isinstance(branch_id, str):
                continue
            if branch_id in self._scheduled or not self._hub.has_subscribers(branch_id):
                continue
            self._scheduled[branch_id] = asyncio.get_running_loop().create_task(self._recompute(branch_id))

    async def stop(self) -> None:
        tasks = list(self._scheduled.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _recompute(self, branch_id: str) -> None:
        try:
            # Let the burst settle (a completion is followed by its routing) and count once.
            await asyncio.sleep(self._settle_seconds)
        finally:
            # From here on, a new event schedules a new count: this one may not see it.
            self._scheduled.pop(branch_id, None)
        try:
            waiting = await asyncio.to_thread(self._read, branch_id)
        except Exception:
            logger.exception("could not recompute waiting counts for %s", branch_id)
            return
        if waiting != self._last_sent.get(branch_id):
            self._last_sent[branch_id] = waiting
            self._hub.broadcast(branch_id, {"type": "waiting", "branch": branch_id, "waiting": waiting})

    def _read(self, branch_id: str) -> list[dict[str, Any]]:
        with service.consistent_read(self._engine, self._caches) as session:
            return service.waiting_by_label(session, branch_id=branch_id, now=self._clock(), sample=self._sample)
