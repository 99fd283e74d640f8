"""Device liveness: is each lobby board and kiosk still there?

Kiosks report in over HTTP every half minute (server/devices). A lobby board says nothing of its
own: its open WebSocket is its report. While a board is connected to this process, its
`last_seen_at` is refreshed every TOUCH_SECONDS; a board unseen for SILENT_AFTER is *silent* and
raises the same alert as a printer out of paper (a `device.health` event at level fault), once;
when it comes back, an `ok` event clears it. Every process refreshes its own boards, and the
row lock keeps two processes from raising one alert twice.
"""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, update
from sqlmodel import col, select

from server.db import write_session
from server.devices.printing import locked_device
from server.devices.service import device_ref
from server.models import Device, DeviceKind
from server.realtime.events import EventType, record_event

logger = logging.getLogger("madoguchi.liveness")

SILENT_AFTER = timedelta(seconds=90)  # three missed refreshes, as for kiosks (admin console)
TOUCH_SECONDS = 30.0
BOARD_KEY = "board"  # in Device.health: "live" or "silent", so each change is said once


class Liveness(StrEnum):
    live = "live"
    silent = "silent"
    never = "never"  # registered, never connected


def liveness(device: Device, *, now: datetime, silent_after: timedelta = SILENT_AFTER) -> Liveness:
    if device.last_seen_at is None:
        return Liveness.never
    return Liveness.live if now - device.last_seen_at <= silent_after else Liveness.silent


def touch(engine: Engine, device_ids: list[int], *, now: datetime) -> None:
    if not device_ids:
        return
    with write_session(engine) as session:
        session.exec(update(Device).where(col(Device.id).in_(device_ids)).values(last_seen_at=now))
        session.commit()


def raise_board_alerts(engine: Engine, *, now: datetime, silent_after: timedelta = SILENT_AFTER) -> list[str]:
    """Say once when a board falls silent (fault) and once when it is back (ok); returns the names."""
    changed: list[str] = []
    with write_session(engine) as session:
        boards = session.exec(
            select(Device.id).where(
                Device.kind == DeviceKind.display,
                col(Device.revoked_at).is_(None),
                col(Device.last_seen_at).is_not(None),
            )
        ).all()
        for device_id in boards:
            assert device_id is not None
            device = locked_device(session, device_id)
            if device is None:
                continue
            state = liveness(device, now=now, silent_after=silent_after)
            said = device.health.get(BOARD_KEY, Liveness.live)
            if state == said:
                continue
            device.health = {**device.health, BOARD_KEY: str(state)}
            session.add(device)
            record_event(
                session,
                type=EventType.device_health,
                branch_id=device.branch_id,
                now=now,
                device=device_ref(device),
                printer=None,
                board=str(state),
                previous=str(said),
                level="fault" if state == Liveness.silent else "ok",
            )
            changed.append(device.name)
        session.commit()
    return changed


class BoardLiveness:
    """This process's connected boards, refreshed and watched in the background."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock
        self._connected: Counter[int] = Counter()
        self._task: asyncio.Task[None] | None = None

    @property
    def connected_count(self) -> int:
        return len(self._connected)

    async def enter(self, device_id: int | None) -> None:
        """A display's WebSocket opened (staff following the stream pass None); pair with leave."""
        if device_id is None:
            return
        self._connected[device_id] += 1
        try:
            await asyncio.to_thread(self._refresh, [device_id])
        except Exception:  # the board is shown all the same; the next refresh tries again
            logger.exception("could not note that board %s connected", device_id)

    def leave(self, device_id: int | None) -> None:
        if device_id is None or device_id not in self._connected:
            return
        self._connected[device_id] -= 1
        if self._connected[device_id] <= 0:
            del self._connected[device_id]

    def _refresh(self, device_ids: list[int]) -> None:
        now = self.clock()
        touch(self.engine, device_ids, now=now)
        raise_board_alerts(self.engine, now=now)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(TOUCH_SECONDS)
            try:
                await asyncio.to_thread(self._refresh, list(self._connected))
            except Exception:
                logger.exception("could not refresh the boards' liveness")
