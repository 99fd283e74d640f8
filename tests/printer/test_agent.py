from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import zxingcpp

from printer import agent
from printer.agent import PrintQueue, PrintResult, print_ticket
from printer.render import render_ticket
from printer.simulator import PrinterSimulator, PrinterState, parse_escpos, stitch_raster_images
from printer.status import PrinterStatus
from tests.printer.conftest import BRANCH_NAME, FAST_TIMEOUT_SECONDS, STATUS_URL, make_ticket

FAULTS = [
    (PrinterState.PAPER_OUT, "paper_out"),
    (PrinterState.COVER_OPEN, "cover_open"),
    (PrinterState.OFFLINE, "offline"),
    (PrinterState.UNRESPONSIVE, "offline"),
]


def _print(simulator: PrinterSimulator, ticket: dict[str, Any], profile: str) -> PrintResult:
    return print_ticket(
        simulator.url,
        ticket,
        BRANCH_NAME,
        profile,
        status_timeout_seconds=FAST_TIMEOUT_SECONDS,
        job_timeout_seconds=1.0,
    )


@pytest.mark.parametrize(("profile", "width"), [("58", 384), ("80", 576)])
def test_printed_raster_is_the_rendered_ticket(
    simulator: PrinterSimulator, ticket: dict[str, Any], profile: str, width: int
) -> None:
    result = _print(simulator, ticket, profile)

    assert result == PrintResult(ok=True, error=None, status=PrinterStatus.OK)
    (job,) = simulator.jobs
    assert job.printed
    assert job.cut
    assert job.status_queries == [1, 4]  # asked before printing
    received = job.image
    assert received is not None
    assert received.width == width
    expected = render_ticket(ticket, branch_name=BRANCH_NAME, profile=profile)
    assert received.tobytes() == expected.tobytes()


def test_status_is_asked_before_anything_is_printed(simulator: PrinterSimulator, ticket: dict[str, Any]) -> None:
    _print(simulator, ticket, "58")

    names = [command.name for command in simulator.jobs[0].commands]
    assert names.index("GS v 0") > max(i for i, name in enumerate(names) if name == "DLE EOT")
    assert names[-1] == "GS V"


@pytest.mark.parametrize("profile", ["58", "80"])
def test_qr_read_back_from_the_printed_bytes_is_the_status_url(
    simulator: PrinterSimulator, ticket: dict[str, Any], profile: str
) -> None:
    _print(simulator, ticket, profile)

    received = simulator.jobs[0].image
    assert received is not None
    assert [barcode.text for barcode in zxingcpp.read_barcodes(received)] == [STATUS_URL]


def test_paper_near_end_prints_with_a_warning(simulator: PrinterSimulator, ticket: dict[str, Any]) -> None:
    simulator.set_state(PrinterState.NEAR_END)

    result = _print(simulator, ticket, "80")

    assert (result.ok, result.error, result.warning) == (True, None, "paper_near_end")
    assert result.status is PrinterStatus.PAPER_NEAR_END
    assert len(simulator.printed_jobs) == 1
    assert result.as_dict() == {
        "ok": True,
        "error": None,
        "warning": "paper_near_end",
        "status": "paper_near_end",
    }


@pytest.mark.parametrize(("state", "error"), FAULTS)
def test_faults_refuse_to_print_without_raising(
    simulator: PrinterSimulator, ticket: dict[str, Any], state: PrinterState, error: str
) -> None:
    simulator.set_state(state)

    result = _print(simulator, ticket, "58")

    assert (result.ok, result.error) == (False, error)
    assert simulator.jobs == []  # not even a half job reached the printer


def test_a_bad_url_in_the_print_path_fails_softly(ticket: dict[str, Any]) -> None:
    result = print_ticket("lpt1", ticket, BRANCH_NAME)

    assert (result.ok, result.error) == (False, "invalid_printer_url")
    assert result.detail is not None
    assert "Invalid printer URL" in result.detail


def test_a_file_printer_prints_blind_with_a_warning(tmp_path: Path, ticket: dict[str, Any]) -> None:
    target = tmp_path / "lp0"

    result = print_ticket(f"file://{target}", ticket, BRANCH_NAME, "58")

    assert (result.ok, result.warning, result.status) == (
        True,
        "status_unknown",
        PrinterStatus.UNKNOWN,
    )
    (received,) = stitch_raster_images(parse_escpos(target.read_bytes()))
    expected = render_ticket(ticket, branch_name=BRANCH_NAME, profile="58")
    assert received.tobytes() == expected.tobytes()


# -- spool ------------------------------------------------------------------------------------


def _queue(simulator: PrinterSimulator, spool: Path) -> PrintQueue:
    return PrintQueue(
        spool,
        printer_url=simulator.url,
        profile="58",
        status_timeout_seconds=FAST_TIMEOUT_SECONDS,
        job_timeout_seconds=1.0,
        clock=lambda: datetime(2026, 4, 1, 0, 5, tzinfo=UTC),
    )


@cache
def _rendered(number: str, profile: str) -> bytes:
    ticket = make_ticket(id=number, number=number)
    return render_ticket(ticket, branch_name=BRANCH_NAME, profile=profile).tobytes()


def _printed_numbers(simulator: PrinterSimulator, profile: str = "58") -> list[str]:
    """Which tickets came out, identified by comparing rasters with fresh renders."""
    numbers = []
    for job in simulator.printed_jobs:
        assert job.image is not None
        received = job.image.tobytes()
        numbers += [n for n in ("A001", "A002") if received == _rendered(n, profile)]
    return numbers


def _spooled_numbers(spool: Path) -> list[str]:
    content = json.loads(spool.read_text(encoding="utf-8"))
    return [job["ticket"]["number"] for job in content["jobs"]]


def test_a_good_print_leaves_the_spool_empty(simulator: PrinterSimulator, tmp_path: Path) -> None:
    spool = tmp_path / "spool.json"
    queue = _queue(simulator, spool)

    result = queue.submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)

    assert result.ok
    assert queue.pending() == []
    assert _spooled_numbers(spool) == []
    assert _printed_numbers(simulator) == ["A001"]


@pytest.mark.parametrize(("state", "error"), FAULTS)
def test_a_fault_keeps_the_job_until_the_printer_recovers(
    simulator: PrinterSimulator, tmp_path: Path, state: PrinterState, error: str
) -> None:
    spool = tmp_path / "spool.json"
    simulator.set_state(state)

    result = _queue(simulator, spool).submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)

    assert (result.ok, result.error) == (False, error)
    assert _spooled_numbers(spool) == ["A001"]
    assert simulator.printed_jobs == []

    simulator.set_state(PrinterState.OK)
    # A new queue object: the kiosk agent may have restarted in between.
    results = _queue(simulator, spool).retry_pending()

    assert [r.ok for r in results] == [True]
    assert _printed_numbers(simulator) == ["A001"]
    assert _spooled_numbers(spool) == []


def test_retry_stops_at_the_first_failure_and_keeps_order(simulator: PrinterSimulator, tmp_path: Path) -> None:
    spool = tmp_path / "spool.json"
    queue = _queue(simulator, spool)
    simulator.set_state(PrinterState.PAPER_OUT)
    for number in ("A001", "A002"):
        queue.submit(make_ticket(id=number, number=number), branch_name=BRANCH_NAME)

    still_out = queue.retry_pending()

    assert [r.error for r in still_out] == ["paper_out"]  # did not hammer with the second job
    pending = queue.pending()
    assert [job.ticket["number"] for job in pending] == ["A001", "A002"]
    assert [job.attempts for job in pending] == [2, 1]
    assert pending[0].last_error == "paper_out"

    simulator.set_state(PrinterState.OK)
    assert [r.ok for r in queue.retry_pending()] == [True, True]
    assert _printed_numbers(simulator) == ["A001", "A002"]
    assert queue.pending() == []


def test_a_reprint_replaces_the_pending_job_of_the_same_ticket(simulator: PrinterSimulator, tmp_path: Path) -> None:
    queue = _queue(simulator, tmp_path / "spool.json")
    simulator.set_state(PrinterState.COVER_OPEN)
    queue.submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)
    queue.submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)

    assert len(queue.pending()) == 1


def test_the_job_is_on_disk_before_printing_starts(
    simulator: PrinterSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool.json"

    def crash(*args: Any, **kwargs: Any) -> PrintResult:
        raise SystemExit("power cut mid-print")

    monkeypatch.setattr(agent, "print_ticket", crash)

    with pytest.raises(SystemExit):
        _queue(simulator, spool).submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)

    assert _spooled_numbers(spool) == ["A001"]


def test_discard_drops_a_pending_job(simulator: PrinterSimulator, tmp_path: Path) -> None:
    queue = _queue(simulator, tmp_path / "spool.json")
    simulator.set_state(PrinterState.OFFLINE)
    queue.submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)
    (job,) = queue.pending()

    assert queue.discard(job.job_id) is True
    assert queue.discard(job.job_id) is False
    assert queue.pending() == []


def test_an_unreadable_spool_is_set_aside_not_overwritten(simulator: PrinterSimulator, tmp_path: Path) -> None:
    spool = tmp_path / "spool.json"
    spool.write_text("{ not json", encoding="utf-8")

    result = _queue(simulator, spool).submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)

    assert result.ok
    (kept,) = tmp_path.glob("spool.json.broken-*")
    assert kept.read_text(encoding="utf-8") == "{ not json"


def test_a_ticket_that_cannot_render_does_not_block_the_others(simulator: PrinterSimulator, tmp_path: Path) -> None:
    queue = _queue(simulator, tmp_path / "spool.json")
    simulator.set_state(PrinterState.PAPER_OUT)
    broken = make_ticket(id="X", number="X", issued_at="not a time")
    queue.submit(broken, branch_name=BRANCH_NAME)
    queue.submit(make_ticket(id="A001", number="A001"), branch_name=BRANCH_NAME)
    simulator.set_state(PrinterState.OK)

    results = queue.retry_pending()

    assert [(r.ok, r.error) for r in results] == [(False, "invalid_ticket"), (True, None)]
    assert _printed_numbers(simulator) == ["A001"]
    assert [job.ticket["id"] for job in queue.pending()] == ["X"]
