"""Slips staff ask this kiosk to print (the concierge hands a citizen their slip).

The server never connects to the kiosk: this thread asks it for work with the kiosk's device
token (a long poll), fetches the ticket as its holder sees it (numbers, counters, neutral
labels: nothing personal) and prints it through the kiosk's own print path, so a failed slip is
spooled for staff exactly like one issued here. It then tells the server how it went, so the
tablet that asked can say "printed" or "paper out".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from kiosk.api_client import ServerClient, ServerRejectedError, ServerUnreachableError
from kiosk.printing import KioskPrinter

logger = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 25.0
MAX_BACKOFF_SECONDS = 30.0


class RemotePrints:
    def __init__(
        self,
        *,
        server: ServerClient,
        printer: KioskPrinter,
        branch_name: Callable[[], str],
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
    ) -> None:
        self.server = server
        self.printer = printer
        self.branch_name = branch_name
        self.wait_seconds = wait_seconds
        self._stop = threading.Event()
        self._printing = threading.Event()
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None

    def start(self) -> None:
        self._stop.clear()
        self._http = self.server.long_poll_client(self.wait_seconds)
        self._thread = threading.Thread(target=self._run, name="kiosk-remote-prints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._http is not None:
            self._http.close()
        if self._thread is not None:
            # A slip being printed is let finish. A long poll is left behind: closing its client
            # does not end a read in flight, and the thread is a daemon (waiting for it made every
            # stop take 5 s).
            self._thread.join(timeout=5 if self._printing.is_set() else 0.1)

    def handle(self, job: dict[str, str]) -> None:
        """Print one requested slip and report the outcome; never raises."""
        try:
            ticket = self.server.holder_ticket(job["status_token"])
        except (ServerUnreachableError, ServerRejectedError) as error:
            logger.warning("print request %s: cannot read the ticket: %s", job.get("id"), error)
            self._report(job["id"], ok=False, error="ticket_unavailable")
            return
        result = self.printer.print_ticket(ticket, branch_name=self.branch_name())
        self._report(job["id"], ok=result.ok, error=result.error)

    def _report(self, request_id: str, *, ok: bool, error: str | None) -> None:
        try:
            self.server.report_print_result(request_id, ok=ok, error=error)
        except (ServerUnreachableError, ServerRejectedError) as error_reported:
            logger.warning("print request %s: result not reported: %s", request_id, error_reported)

    def _run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            try:
                jobs = self.server.collect_print_requests(wait_seconds=self.wait_seconds, http=self._http)
            except (ServerUnreachableError, ServerRejectedError, RuntimeError) as error:
                if self._stop.is_set():
                    return
                logger.warning("cannot collect print requests: %s", error)
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_BACKOFF_SECONDS)
                continue
            except Exception:  # a bug here must not end remote printing for good
                if self._stop.is_set():
                    return
                logger.exception("collecting print requests failed")
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_BACKOFF_SECONDS)
                continue
            pause = 1.0
            self._printing.set()
            try:
                for job in jobs:
                    self.handle(job)
            finally:
                self._printing.clear()
