"""What state the printer is in, from ESC/POS real-time status (DLE EOT n).

Every reply byte has bits 1 and 4 set and bits 0 and 7 clear (0b0xx1xx10). python-escpos's
own paper_status() reports "paper adequate" when the printer says nothing at all, which is
exactly when we must not print; so we decode the bytes ourselves and treat silence as offline.
"""

from __future__ import annotations

import contextlib
from enum import StrEnum

from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import File

from printer.connection import PrinterAddress, create_printer

DLE_EOT = b"\x10\x04"
PRINTER_STATUS = 1  # n=1: online / offline
OFFLINE_CAUSE = 2  # n=2: cover open, paper end, error
ERROR_CAUSE = 3  # n=3: cutter, unrecoverable, auto-recoverable errors
PAPER_SENSOR = 4  # n=4: roll paper near-end / end sensors

_FIXED_MASK = 0b1001_0011
_FIXED_BITS = 0b0001_0010
_OFFLINE_BIT = 0b0000_1000
_COVER_OPEN_BIT = 0b0000_0100
_STOPPED_BY_PAPER_END_BIT = 0b0010_0000
_NEAR_END_BITS = 0b0000_1100
_PAPER_END_BITS = 0b0110_0000


class PrinterStatus(StrEnum):
    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    # The reply was not a status byte, or the connection (file://) cannot be read at all.
    UNKNOWN = "unknown"

    @property
    def can_print(self) -> bool:
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_NEAR_END)

    @property
    def is_fault(self) -> bool:
        return self in (PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN, PrinterStatus.OFFLINE)

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    PrinterStatus.OK: "online, paper OK",
    PrinterStatus.PAPER_NEAR_END: "online, paper near end (replace the roll soon)",
    PrinterStatus.PAPER_OUT: "paper out",
    PrinterStatus.COVER_OPEN: "cover open",
    PrinterStatus.OFFLINE: "offline (not reachable or not answering)",
    PrinterStatus.UNKNOWN: "unknown (the printer's answer could not be read)",
}


class StatusUnreadableError(Exception):
    """This kind of connection cannot read anything back from the printer."""


def _is_status_byte(value: int) -> bool:
    return value & _FIXED_MASK == _FIXED_BITS


def decode_status(
    printer_status: int, offline_cause: int | None = None, paper_sensor: int | None = None
) -> PrinterStatus:
    """Combine DLE EOT 1, 2 and 4 replies (None = not asked) into one status."""
    replies = [printer_status, offline_cause, paper_sensor]
    if not all(_is_status_byte(reply) for reply in replies if reply is not None):
        return PrinterStatus.UNKNOWN
    if printer_status & _OFFLINE_BIT:
        # Cover first: the cover is often open *because* someone is changing the roll.
        if offline_cause is not None and offline_cause & _COVER_OPEN_BIT:
            return PrinterStatus.COVER_OPEN
        if offline_cause is not None and offline_cause & _STOPPED_BY_PAPER_END_BIT:
            return PrinterStatus.PAPER_OUT
    if paper_sensor is not None and paper_sensor & _PAPER_END_BITS:
        return PrinterStatus.PAPER_OUT
    if printer_status & _OFFLINE_BIT:
        return PrinterStatus.OFFLINE
    if paper_sensor is not None and paper_sensor & _NEAR_END_BITS:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.OK


def _ask(printer: Escpos, n: int) -> int | None:
    try:
        reply = bytes(printer.query_status(DLE_EOT + bytes([n])))
    except NotImplementedError:
        raise StatusUnreadableError from None
    # A late answer to an earlier query may arrive in the same read; the newest byte is ours.
    return reply[-1] if reply else None


def read_status(printer: Escpos) -> PrinterStatus:
    """Query an open connection. Never raises for printer or connection faults."""
    try:
        printer_status = _ask(printer, PRINTER_STATUS)
        if printer_status is None:
            return PrinterStatus.OFFLINE
        offline_cause = None
        if printer_status & _OFFLINE_BIT and _is_status_byte(printer_status):
            offline_cause = _ask(printer, OFFLINE_CAUSE)
            if offline_cause is None:
                return PrinterStatus.OFFLINE
        paper_sensor = _ask(printer, PAPER_SENSOR)
        if paper_sensor is None:
            return PrinterStatus.OFFLINE
    except StatusUnreadableError:
        return PrinterStatus.UNKNOWN
    except (OSError, EscposError):
        return PrinterStatus.OFFLINE
    return decode_status(printer_status, offline_cause, paper_sensor)


def query_printer_status(url: str | PrinterAddress, *, timeout_seconds: float = 1.0) -> PrinterStatus:
    """Connect, ask, disconnect.

    Raises only for configuration mistakes: ValueError (bad URL), PrinterDriverMissingError.
    """
    printer = create_printer(url, timeout_seconds=timeout_seconds)
    if isinstance(printer, File):
        # Opening a device file tells nothing about the printer behind it.
        return PrinterStatus.UNKNOWN
    try:
        printer.open()
        return read_status(printer)
    except (OSError, EscposError):
        return PrinterStatus.OFFLINE
    finally:
        close_quietly(printer)


def close_quietly(printer: Escpos) -> None:
    # RuntimeError: python-escpos's Usb/Serial close() when their driver is not installed.
    with contextlib.suppress(OSError, EscposError, RuntimeError):
        printer.close()
