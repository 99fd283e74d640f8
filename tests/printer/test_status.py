from __future__ import annotations

from pathlib import Path

import pytest
from escpos.escpos import Escpos

from printer.simulator import PrinterSimulator, PrinterState
from printer.status import PrinterStatus, decode_status, query_printer_status, read_status
from tests.printer.conftest import FAST_TIMEOUT_SECONDS


class ScriptedPrinter(Escpos):  # type: ignore[misc]
    """Answers status queries from a script: bytes, or an exception to raise."""

    def __init__(self, *replies: bytes | BaseException) -> None:
        super().__init__()
        self.replies = list(replies)
        self.sent: list[bytes] = []

    def _raw(self, msg: bytes) -> None:
        self.sent.append(msg)

    def _read(self) -> bytes:
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply


@pytest.mark.parametrize(
    ("printer_status", "offline_cause", "paper_sensor", "expected"),
    [
        (0x12, None, 0x12, PrinterStatus.OK),
        (0x12, None, 0x1E, PrinterStatus.PAPER_NEAR_END),
        (0x12, None, 0x16, PrinterStatus.PAPER_NEAR_END),
        (0x1A, 0x32, 0x7E, PrinterStatus.PAPER_OUT),
        (0x1A, 0x12, 0x72, PrinterStatus.PAPER_OUT),
        (0x1A, 0x16, 0x12, PrinterStatus.COVER_OPEN),
        (0x1A, 0x36, 0x7E, PrinterStatus.COVER_OPEN),  # open to change the roll
        (0x1A, 0x52, 0x12, PrinterStatus.OFFLINE),  # some other error
        (0x00, None, 0x12, PrinterStatus.UNKNOWN),  # not a status byte
        (0x12, None, 0xFF, PrinterStatus.UNKNOWN),
    ],
)
def test_decode_status(
    printer_status: int, offline_cause: int | None, paper_sensor: int, expected: PrinterStatus
) -> None:
    assert decode_status(printer_status, offline_cause, paper_sensor) is expected


def test_half_set_sensor_bits_err_on_the_safe_side() -> None:
    # Epson sets both bits of a pair; a clone that sets one still means what it says.
    assert decode_status(0x12, None, 0x1A) is PrinterStatus.PAPER_NEAR_END
    assert decode_status(0x12, None, 0x32) is PrinterStatus.PAPER_OUT


def test_queries_printer_then_paper_sensor() -> None:
    printer = ScriptedPrinter(b"\x12", b"\x12")

    assert read_status(printer) is PrinterStatus.OK
    assert printer.sent == [b"\x10\x04\x01", b"\x10\x04\x04"]


def test_asks_for_the_cause_when_offline() -> None:
    printer = ScriptedPrinter(b"\x1a", b"\x16", b"\x12")

    assert read_status(printer) is PrinterStatus.COVER_OPEN
    assert printer.sent == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"]


def test_an_empty_reply_is_not_ok() -> None:
    # python-escpos's paper_status() calls this "paper adequate"; we must not print on it.
    assert ScriptedPrinter(b"").paper_status() == 2
    assert read_status(ScriptedPrinter(b"")) is PrinterStatus.OFFLINE
    assert read_status(ScriptedPrinter(b"\x12", b"")) is PrinterStatus.OFFLINE


def test_a_timeout_is_offline() -> None:
    assert read_status(ScriptedPrinter(TimeoutError("timed out"))) is PrinterStatus.OFFLINE


def test_the_newest_byte_of_a_coalesced_reply_wins() -> None:
    assert read_status(ScriptedPrinter(b"\x12", b"\x12\x1e")) is PrinterStatus.PAPER_NEAR_END


def test_a_write_only_connection_is_unknown() -> None:
    assert read_status(ScriptedPrinter(NotImplementedError())) is PrinterStatus.UNKNOWN


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (PrinterState.OK, PrinterStatus.OK),
        (PrinterState.NEAR_END, PrinterStatus.PAPER_NEAR_END),
        (PrinterState.PAPER_OUT, PrinterStatus.PAPER_OUT),
        (PrinterState.COVER_OPEN, PrinterStatus.COVER_OPEN),
        (PrinterState.OFFLINE, PrinterStatus.OFFLINE),
        (PrinterState.UNRESPONSIVE, PrinterStatus.OFFLINE),
    ],
)
def test_status_over_the_network(simulator: PrinterSimulator, state: PrinterState, expected: PrinterStatus) -> None:
    simulator.set_state(state)

    status = query_printer_status(simulator.url, timeout_seconds=FAST_TIMEOUT_SECONDS)

    assert status is expected
    assert simulator.jobs == []  # asking is not printing


def test_status_of_a_device_file_is_unknown(tmp_path: Path) -> None:
    assert query_printer_status(f"file://{tmp_path}/lp0") is PrinterStatus.UNKNOWN


@pytest.mark.parametrize(
    ("status", "can_print", "is_fault"),
    [
        (PrinterStatus.OK, True, False),
        (PrinterStatus.PAPER_NEAR_END, True, False),
        (PrinterStatus.PAPER_OUT, False, True),
        (PrinterStatus.COVER_OPEN, False, True),
        (PrinterStatus.OFFLINE, False, True),
        (PrinterStatus.UNKNOWN, False, False),
    ],
)
def test_status_properties(status: PrinterStatus, can_print: bool, is_fault: bool) -> None:
    assert (status.can_print, status.is_fault) == (can_print, is_fault)
    assert status.label
