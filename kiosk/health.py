"""Keeps the server told how this kiosk's printer is, so staff learn of a paper-out at once.

A background thread reports after every print attempt (woken by KioskPrinter) and otherwise
checks the printer and reports every `interval_seconds`. The server turns a change of state
into an event for the staff console; repeating an unchanged state costs nothing there.
"""

from __future__ import annotations

import logging
import threading

from kiosk.api_client import ServerClient, ServerRejectedError, ServerUnreachableError
from kiosk.printing import KioskPrinter

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 30.0


class HealthReporter:
    def __init__(
        self,
        *,
        server: ServerClient,
        printer: KioskPrinter,
        interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    ) -> None:
        self.server = server
        self.printer = printer
        self.interval_seconds = interval_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        printer.set_listener(self.report_soon)

    def report_soon(self) -> None:
        """Report what the printer just said, without asking it again."""
        self._wake.set()

    def report(self, *, ask_printer: bool) -> bool:
        """One report; False when the server did not take it (it is retried next round)."""
        state = self.printer.refresh() if ask_printer else self.printer.state()
        try:
            self.server.report_health(printer=state.status.value, detail=state.detail, pending_prints=state.pending)
        except ServerUnreachableError as error:
            logger.warning("cannot report printer health: %s", error)
            return False
        except ServerRejectedError as error:
            logger.error("server refused the health report: %s", error)
            return False
        return True

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        ask_printer = True
        while not self._stop.is_set():
            try:
                self.report(ask_printer=ask_printer)
            except Exception:  # a bug here must not silence health reports for good
                logger.exception("health report failed")
            woken = self._wake.wait(self.interval_seconds)
            self._wake.clear()
            # Woken by a print: its result is fresher than anything a new query would say.
            ask_printer = not woken
