"""The e-mail notices in a server process: after committed events that move a queue, a thread of
its own checks the branch's notices and queues those that became due (server/notices/service.py).
The bus listener only marks the branch (on the loop, never waiting), so issuing and calling never
wait for it. A sweep every minute also catches what a restart or another process left."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from server.db import read_session, write_session
from server.notices.service import any_notices, send_due_notices
from server.realtime.bus import Delivery

logger = logging.getLogger("madoguchi.notices")

SWEEP_SECONDS = 60.0
ROUND_GAP_SECONDS = 0.3
STOP_GRACE_SECONDS = 5.0


class NoticeChecker:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.engine = app.state.engine
        self.clock = app.state.clock
        self.notify_ahead: int = app.state.settings.notify_ahead
        self._branches: set[str] = set()
        # Made in start(): an asyncio.Event belongs to the loop that first waits on it, and an
        # app may be started again under another loop (tests do).
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._stopping = False
        self._starts = 0
        app.state.bus.add_fan_out_listener(self.on_deliveries)

    def on_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            kind = str(delivery.message.get("type", ""))
            if kind.startswith(("ticket.", "counter.")):
                self._branches.add(str(delivery.message.get("branch")))
        if self._branches and self._wake is not None:
            self._wake.set()

    async def start(self) -> None:
        # One checker per app, also when its lifespan runs twice at once (two test clients on
        # one app): the first start runs it, the last stop ends it.
        self._starts += 1
        if self._starts > 1:
            return
        self._stopping = False
        self._wake = asyncio.Event()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="madoguchi-notices")
        self._task = asyncio.create_task(self._run(self._wake, self._thread), name="madoguchi-notices")

    async def stop(self) -> None:
        self._starts -= 1
        if self._starts > 0:
            return
        if self._task is not None:
            self._stopping = True
            if self._wake is not None:
                self._wake.set()
            try:
                # The round in progress ends by itself; one stuck in the database is cut off.
                await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_GRACE_SECONDS)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        if self._thread is not None:
            self._thread.shutdown(wait=False)
        self._wake = self._thread = None

    async def _run(self, wake: asyncio.Event, thread: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        # A flag, not only a cancel, ends the loop: Python 3.11's wait_for can swallow a
        # cancellation that arrives as its timeout fires, and the loop would never end.
        while not self._stopping:
            swept = False
            try:
                async with asyncio.timeout(SWEEP_SECONDS):
                    await wake.wait()
            except TimeoutError:
                swept = True
            if self._stopping:
                return
            # A busy hall commits events by the dozen each second: one check takes them all.
            await asyncio.sleep(ROUND_GAP_SECONDS)
            wake.clear()
            if self._stopping:
                return
            branches, self._branches = self._branches, set()
            try:
                queued = await loop.run_in_executor(thread, self._check, None if swept else branches)
            except Exception:
                logger.exception("checking e-mail notices failed; the next change or sweep retries")
                continue
            if queued:
                self.app.state.outbox.wake()

    def _check(self, branches: set[str] | None) -> int:
        # Most mornings nobody has asked: then the write lock is never taken.
        with read_session(self.engine) as session:
            if not any_notices(session, branch_ids=branches):
                return 0
        with write_session(self.engine) as session:
            return send_due_notices(session, branch_ids=branches, notify_ahead=self.notify_ahead, now=self.clock())
