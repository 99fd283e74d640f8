"""The kiosk's printer: print each new slip once, and decide who may print a spooled one again.

Retry policy. A slip that failed stays in printer.PrintQueue's spool, but the kiosk never
prints that backlog on its own when the printer comes back: by then its owner has left with
the number from the screen, and the next person at the kiosk would take a stranger's slip
(and perhaps think it is theirs). So a spooled slip prints again only when
- the citizen asks on their own result screen ("Try printing again"), proving it is theirs with
  the ticket's unguessable status token, and only shortly after issue; or
- staff reprint it (or discard it) from the kiosk's staff page, handing it over in person.
New tickets print as usual as soon as the printer works again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from printer.agent import PrintQueue, PrintResult, SpooledJob
from printer.connection import PrinterDriverMissingError
from printer.status import PrinterStatus, query_printer_status

logger = logging.getLogger(__name__)

DEFAULT_CITIZEN_REPRINT_SECONDS = 300.0


class SlipNotPendingError(Exception):
    """Nothing is waiting to be printed for this ticket or job (it printed, or never failed)."""


class ReprintExpiredError(Exception):
    """Too long after issue for the person at the kiosk to still be the ticket's owner."""


@dataclass(frozen=True)
class PendingSlip:
    """A slip that could not be printed, as staff see it (number and times, nothing else)."""

    job_id: str
    number: str
    queued_at: str
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, job: SpooledJob) -> PendingSlip:
        return cls(
            job_id=job.job_id,
            number=str(job.ticket.get("number", "")),
            queued_at=job.queued_at,
            attempts=job.attempts,
            last_error=job.last_error,
        )


@dataclass(frozen=True)
class PrinterState:
    status: PrinterStatus
    detail: str | None
    pending: int


class KioskPrinter:
    """Prints through one PrintQueue and remembers what the printer last said.

    Printing and status queries share one lock: many printers serve a single connection, and a
    status query racing a print would see a busy port and report the printer offline.
    """

    def __init__(
        self,
        queue: PrintQueue,
        *,
        citizen_reprint_seconds: float = DEFAULT_CITIZEN_REPRINT_SECONDS,
        on_change: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.queue = queue
        self.citizen_reprint_window = timedelta(seconds=citizen_reprint_seconds)
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._status = PrinterStatus.UNKNOWN
        self._detail: str | None = None

    def set_listener(self, on_change: Callable[[], None]) -> None:
        """Called after every print attempt, so health reaches staff without waiting."""
        self._on_change = on_change

    def print_ticket(self, ticket: Mapping[str, Any], *, branch_name: str) -> PrintResult:
        """Spool and print a newly issued ticket. Never raises: the ticket already exists."""
        with self._lock:
            try:
                result = self.queue.submit(ticket, branch_name=branch_name)
            except Exception as error:  # the citizen must still get their number on screen
                logger.exception("printing ticket %s failed unexpectedly", ticket.get("number"))
                result = PrintResult(ok=False, error="print_error", status=PrinterStatus.UNKNOWN, detail=repr(error))
            self._remember(result)
        self._changed()
        return result

    def reprint_for_citizen(self, status_token: str) -> PrintResult:
        """Print again the slip of the ticket on screen, while its owner is still there."""
        job = self._pending_job(lambda job: job.ticket.get("status_token") == status_token)
        if self._clock() - datetime.fromisoformat(job.queued_at) > self.citizen_reprint_window:
            raise ReprintExpiredError(job.job_id)
        return self._reprint(job)

    def reprint_for_staff(self, job_id: str) -> PrintResult:
        return self._reprint(self._pending_job(lambda job: job.job_id == job_id))

    def discard(self, job_id: str) -> None:
        """Staff gave the citizen their number another way: forget the slip."""
        if not self.queue.discard(job_id):
            raise SlipNotPendingError(job_id)
        self._changed()

    def pending(self) -> list[PendingSlip]:
        return [PendingSlip.of(job) for job in self.queue.pending()]

    def refresh(self) -> PrinterState:
        """Ask the printer how it is now (a short connection)."""
        with self._lock:
            try:
                status = query_printer_status(self.queue.printer_url, timeout_seconds=self.queue.status_timeout_seconds)
                detail = None if status is PrinterStatus.OK else status.label
            except (ValueError, PrinterDriverMissingError) as error:
                status, detail = PrinterStatus.UNKNOWN, str(error)
            self._status, self._detail = status, detail
        return self.state()

    def state(self) -> PrinterState:
        """What the printer last said, without asking it again."""
        return PrinterState(self._status, self._detail, len(self.queue.pending()))

    # -- internals ------------------------------------------------------------------------------

    def _pending_job(self, matches: Callable[[SpooledJob], bool]) -> SpooledJob:
        for job in self.queue.pending():
            if matches(job):
                return job
        raise SlipNotPendingError

    def _reprint(self, job: SpooledJob) -> PrintResult:
        # Submitting the same ticket again replaces its pending job, so it prints at most once.
        return self.print_ticket(job.ticket, branch_name=job.branch_name)

    def _remember(self, result: PrintResult) -> None:
        if result.ok and result.status is PrinterStatus.UNKNOWN and result.warning is None:
            return  # "another thread printed it already" says nothing about the printer
        self._status = result.status
        self._detail = result.detail or result.warning

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()
