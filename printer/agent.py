"""Print tickets without ever losing one.

Each print opens one connection (network printers serve one client at a time), asks the
printer's real-time status first, and only then sends the raster and the cut. Printer faults
come back as a PrintResult, never as an exception, because the ticket already exists on the
server and the kiosk must keep working. PrintQueue writes every job to a small on-disk spool
before printing and removes it only after the printer took it, so a fault or a crash means a
late (at worst, a repeated) print, never a missing one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import File, Network, Serial, Usb
from PIL import Image

from printer.connection import PrinterAddress, PrinterDriverMissingError, create_printer
from printer.fonts import FontMissingError
from printer.render import (
    DEFAULT_TIME_ZONE,
    PaperProfile,
    get_paper_profile,
    render_test_slip,
    render_ticket,
)
from printer.status import PrinterStatus, close_quietly, read_status

logger = logging.getLogger(__name__)

STATUS_TIMEOUT_SECONDS = 1.0
JOB_TIMEOUT_SECONDS = 10.0
# How long to wait for a network printer to confirm it read the whole job by closing its end.
DELIVERY_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    error: str | None
    status: PrinterStatus
    warning: str | None = None
    # For logs and operators; `error` stays a short machine code.
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The kiosk's `"print"` object: the contract's ok/error plus status and warning."""
        return {
            "ok": self.ok,
            "error": self.error,
            "warning": self.warning,
            "status": self.status.value,
        }


def _failed(error: str, status: PrinterStatus, detail: str | None = None) -> PrintResult:
    return PrintResult(ok=False, error=error, status=status, detail=detail)


def _set_io_timeout(printer: Escpos, seconds: float) -> None:
    # The status query deserves a short timeout; sending a long raster to a printer that
    # prints while it receives does not.
    if isinstance(printer, Network) and printer.device is not None:
        printer.device.settimeout(seconds)
    elif isinstance(printer, Usb):
        printer.timeout = max(1, round(seconds * 1000))
    elif isinstance(printer, Serial) and printer.device is not None:
        printer.device.timeout = seconds


def _wait_for_delivery(printer: Escpos, timeout_seconds: float) -> None:
    """Half-close and wait for the printer to close too, so the job is known to be received.

    Closing outright could also reset the connection and drop the tail of the job if the
    printer had sent anything we did not read.
    """
    if not isinstance(printer, Network) or printer.device is None:
        return
    sock: socket.socket = printer.device
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + timeout_seconds
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            if not sock.recv(256):
                return
    except TimeoutError:
        # Some printers keep the socket open; TCP already delivered the bytes.
        logger.info("printer at %s:%s did not close after the job", printer.host, printer.port)


def print_image(
    url: str | PrinterAddress,
    image: Image.Image,
    *,
    profile: PaperProfile | str | int = "80",
    status_timeout_seconds: float = STATUS_TIMEOUT_SECONDS,
    job_timeout_seconds: float = JOB_TIMEOUT_SECONDS,
) -> PrintResult:
    """Check status, then print `image` and cut. Never raises for printer or URL problems."""
    paper = get_paper_profile(profile)
    if image.width > paper.width_dots:
        raise ValueError(f"image is {image.width} dots wide; the paper has {paper.width_dots}")
    try:
        printer = create_printer(url, profile=paper, timeout_seconds=status_timeout_seconds)
    except ValueError as error:
        return _failed("invalid_printer_url", PrinterStatus.UNKNOWN, str(error))
    except PrinterDriverMissingError as error:
        return _failed("driver_missing", PrinterStatus.UNKNOWN, str(error))
    try:
        try:
            printer.open()
        except (OSError, EscposError) as error:
            return _failed("offline", PrinterStatus.OFFLINE, str(error))
        warning = None
        if isinstance(printer, File):
            # A device file cannot be read back; printing blind is all we can do.
            status = PrinterStatus.UNKNOWN
            warning = "status_unknown"
        else:
            status = read_status(printer)
            if not status.can_print:
                return _failed(status.value, status, status.label)
            if status is PrinterStatus.PAPER_NEAR_END:
                warning = PrinterStatus.PAPER_NEAR_END.value
        _set_io_timeout(printer, job_timeout_seconds)
        printer.hw("INIT")
        printer.image(image, impl="bitImageRaster")
        printer.cut()
        _wait_for_delivery(printer, min(job_timeout_seconds, DELIVERY_TIMEOUT_SECONDS))
    except (OSError, EscposError) as error:
        return _failed("offline", PrinterStatus.OFFLINE, f"connection lost while printing: {error}")
    finally:
        close_quietly(printer)
    return PrintResult(ok=True, error=None, status=status, warning=warning)


def print_ticket(
    url: str | PrinterAddress,
    ticket: Mapping[str, Any],
    branch_name: str,
    profile: PaperProfile | str | int = "80",
    *,
    notice_ja: str | None = None,
    notice_en: str | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
    status_timeout_seconds: float = STATUS_TIMEOUT_SECONDS,
    job_timeout_seconds: float = JOB_TIMEOUT_SECONDS,
) -> PrintResult:
    """Render and print one ticket; ok=False with a short error code on any fault."""
    try:
        image = render_ticket(
            ticket,
            branch_name=branch_name,
            profile=profile,
            notice_ja=notice_ja,
            notice_en=notice_en,
            time_zone=time_zone,
        )
    except FontMissingError as error:
        return _failed("font_missing", PrinterStatus.UNKNOWN, str(error))
    except (KeyError, TypeError, ValueError) as error:
        # Bad ticket data is no reason to take the kiosk down; the spool keeps it for a person.
        return _failed("invalid_ticket", PrinterStatus.UNKNOWN, f"cannot render ticket: {error!r}")
    return print_image(
        url,
        image,
        profile=profile,
        status_timeout_seconds=status_timeout_seconds,
        job_timeout_seconds=job_timeout_seconds,
    )


def print_test_slip(
    url: str | PrinterAddress,
    *,
    profile: PaperProfile | str | int = "80",
    branch_name: str = "Madoguchi",
    printed_at: datetime | None = None,
    status_timeout_seconds: float = STATUS_TIMEOUT_SECONDS,
) -> PrintResult:
    try:
        image = render_test_slip(branch_name=branch_name, profile=profile, printed_at=printed_at)
    except FontMissingError as error:
        return _failed("font_missing", PrinterStatus.UNKNOWN, str(error))
    return print_image(url, image, profile=profile, status_timeout_seconds=status_timeout_seconds)


# -- durable spool ------------------------------------------------------------------------------


@dataclass
class SpooledJob:
    job_id: str
    ticket: dict[str, Any]
    branch_name: str
    queued_at: str
    notice_ja: str | None = None
    notice_en: str | None = None
    attempts: int = 0
    last_error: str | None = None

    @property
    def ticket_id(self) -> Any:
        return self.ticket.get("id")


@dataclass
class _SpoolFile:
    path: Path
    jobs: list[SpooledJob] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> _SpoolFile:
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError):
            # Writes are atomic, so this is a hand-edited or foreign file. Keep it for a
            # person to look at rather than overwrite it, and carry on printing new tickets.
            broken = path.with_name(f"{path.name}.broken-{uuid.uuid4().hex[:8]}")
            os.replace(path, broken)
            logger.error("print spool %s was unreadable; moved it to %s", path, broken)
            return cls(path)
        return cls(path, [SpooledJob(**job) for job in content.get("jobs", [])])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f"{self.path.name}.tmp")
        payload = {"version": 1, "jobs": [asdict(job) for job in self.jobs]}
        with temporary.open("w", encoding="utf-8") as stream:
            json.dump(payload, stream, ensure_ascii=False, indent=1)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, self.path)
        _fsync_directory(self.path.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself survive a power cut; not possible (nor needed) on Windows.
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# Failures that say nothing about the printer, so the next job may well print.
_ERRORS_OF_ONE_JOB = frozenset({"invalid_ticket"})


class PrintQueue:
    """Print with a write-ahead spool: a job leaves the spool only once it printed.

    One PrintQueue per spool file and process; its methods are safe to call from threads.
    """

    def __init__(
        self,
        spool_path: str | Path,
        *,
        printer_url: str | PrinterAddress,
        profile: PaperProfile | str | int = "80",
        status_timeout_seconds: float = STATUS_TIMEOUT_SECONDS,
        job_timeout_seconds: float = JOB_TIMEOUT_SECONDS,
        time_zone: str = DEFAULT_TIME_ZONE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.spool_path = Path(spool_path)
        self.printer_url = printer_url
        self.profile = get_paper_profile(profile)
        self.status_timeout_seconds = status_timeout_seconds
        self.job_timeout_seconds = job_timeout_seconds
        self.time_zone = time_zone
        self._clock = clock
        self._spool_lock = threading.Lock()
        # One job at a time: the printer serves a single connection anyway.
        self._print_lock = threading.Lock()

    def pending(self) -> list[SpooledJob]:
        """Unprinted jobs, oldest first."""
        with self._spool_lock:
            return _SpoolFile.load(self.spool_path).jobs

    def submit(
        self,
        ticket: Mapping[str, Any],
        *,
        branch_name: str,
        notice_ja: str | None = None,
        notice_en: str | None = None,
    ) -> PrintResult:
        """Spool, print now, and keep the job spooled if printing failed.

        The new ticket goes before older pending ones: its owner is standing at the kiosk.
        A second submit for the same ticket id replaces its pending job (a reprint).
        """
        job = SpooledJob(
            job_id=uuid.uuid4().hex,
            ticket=dict(ticket),
            branch_name=branch_name,
            queued_at=self._clock().isoformat(),
            notice_ja=notice_ja,
            notice_en=notice_en,
        )
        with self._spool_lock:
            spool = _SpoolFile.load(self.spool_path)
            if job.ticket_id is not None:
                spool.jobs = [old for old in spool.jobs if old.ticket_id != job.ticket_id]
            spool.jobs.append(job)
            spool.save()
        return self._print(job)

    def retry_pending(self) -> list[PrintResult]:
        """Print spooled jobs oldest first; stop at the first printer failure.

        A job that can never print (bad ticket data) stays spooled for a person to look at,
        but does not hold up the jobs behind it.
        """
        results: list[PrintResult] = []
        for job in self.pending():
            result = self._print(job)
            results.append(result)
            if not result.ok and result.error not in _ERRORS_OF_ONE_JOB:
                break
        return results

    def discard(self, job_id: str) -> bool:
        """Drop a pending job (for example after staff handed out a number by hand)."""
        with self._spool_lock:
            spool = _SpoolFile.load(self.spool_path)
            remaining = [job for job in spool.jobs if job.job_id != job_id]
            if len(remaining) == len(spool.jobs):
                return False
            spool.jobs = remaining
            spool.save()
            return True

    def retry_until(self, stop: threading.Event, *, interval_seconds: float = 15.0) -> None:
        """Run in a background thread: retry pending jobs until `stop` is set."""
        while not stop.wait(interval_seconds):
            if self.pending():
                self.retry_pending()

    def _print(self, job: SpooledJob) -> PrintResult:
        with self._print_lock:
            if not self._still_pending(job.job_id):
                # Another thread printed or replaced it meanwhile; nothing is left to do.
                return PrintResult(
                    ok=True,
                    error=None,
                    status=PrinterStatus.UNKNOWN,
                    detail="already printed or replaced by a reprint",
                )
            result = print_ticket(
                self.printer_url,
                job.ticket,
                job.branch_name,
                self.profile,
                notice_ja=job.notice_ja,
                notice_en=job.notice_en,
                time_zone=self.time_zone,
                status_timeout_seconds=self.status_timeout_seconds,
                job_timeout_seconds=self.job_timeout_seconds,
            )
            self._record(job.job_id, result)
        if not result.ok:
            logger.warning(
                "ticket %s not printed (%s): %s; kept in %s",
                job.ticket.get("number"),
                result.error,
                result.detail,
                self.spool_path,
            )
        return result

    def _still_pending(self, job_id: str) -> bool:
        return any(job.job_id == job_id for job in self.pending())

    def _record(self, job_id: str, result: PrintResult) -> None:
        with self._spool_lock:
            spool = _SpoolFile.load(self.spool_path)
            if result.ok:
                spool.jobs = [job for job in spool.jobs if job.job_id != job_id]
            else:
                for job in spool.jobs:
                    if job.job_id == job_id:
                        job.attempts += 1
                        job.last_error = result.error
            spool.save()
