from __future__ import annotations

import subprocess
import sys

import pytest

from printer.cli import main
from printer.simulator import PrinterSimulator, PrinterState


@pytest.mark.parametrize(
    ("state", "exit_code", "says"),
    [
        (PrinterState.OK, 0, "online, paper OK"),
        (PrinterState.NEAR_END, 1, "paper near end"),
        (PrinterState.PAPER_OUT, 2, "paper out"),
        (PrinterState.COVER_OPEN, 2, "cover open"),
        (PrinterState.OFFLINE, 2, "offline"),
    ],
)
def test_status_command(
    simulator: PrinterSimulator,
    capsys: pytest.CaptureFixture[str],
    state: PrinterState,
    exit_code: int,
    says: str,
) -> None:
    simulator.set_state(state)

    assert main(["status", "--printer", simulator.url, "--timeout", "0.3"]) == exit_code
    assert says in capsys.readouterr().out


def test_leading_printer_word_is_accepted(simulator: PrinterSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["printer", "status", "--printer", simulator.url]) == 0


@pytest.mark.parametrize(("profile", "width"), [("58", 384), ("80", 576)])
def test_test_command_prints_a_slip(
    simulator: PrinterSimulator, capsys: pytest.CaptureFixture[str], profile: str, width: int
) -> None:
    assert main(["test", "--printer", simulator.url, "--profile", profile]) == 0

    assert "test slip printed" in capsys.readouterr().out
    (job,) = simulator.printed_jobs
    assert job.cut
    assert job.image is not None
    assert job.image.width == width


def test_test_command_on_a_fault_exits_2(simulator: PrinterSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    simulator.set_state(PrinterState.PAPER_OUT)

    assert main(["test", "--printer", simulator.url]) == 2
    assert "paper_out" in capsys.readouterr().err


def test_test_command_near_end_exits_1(simulator: PrinterSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    simulator.set_state(PrinterState.NEAR_END)

    assert main(["test", "--printer", simulator.url]) == 1


def test_bad_url_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--printer", "192.168.1.50"]) == 2
    assert "Invalid printer URL" in capsys.readouterr().err


def test_the_printer_package_never_imports_the_server() -> None:
    # Kiosk PCs install printer/ without server/.
    check = (
        "import sys, printer.agent, printer.cli, printer.simulator, printer.render; "
        "leaked = [m for m in sys.modules if m == 'server' or m.startswith('server.')]; "
        "assert not leaked, leaked"
    )
    subprocess.run([sys.executable, "-c", check], check=True, timeout=30)
