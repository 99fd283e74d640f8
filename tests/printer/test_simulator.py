from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from escpos.printer import Network
from PIL import Image, ImageDraw

from printer.simulator import (
    EscPosParser,
    PrinterSimulator,
    PrinterState,
    parse_escpos,
    stitch_raster_images,
)
from tests.printer.conftest import FAST_TIMEOUT_SECONDS


def _sample_image(width: int = 64, height: int = 40) -> Image.Image:
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    draw.rectangle((3, 5, 30, 20), fill=0)
    draw.line((0, height - 1, width - 1, 0), fill=0)
    return image


def _escpos_bytes(image: Image.Image, *, fragment_height: int = 960) -> bytes:
    """What python-escpos sends for image + cut, captured without a printer."""
    sent: list[bytes] = []
    printer = Network("unused")
    printer._raw = sent.append
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster", fragment_height=fragment_height)
    printer.cut()
    return b"".join(sent)


def test_parser_splits_what_python_escpos_sends() -> None:
    commands = parse_escpos(_escpos_bytes(_sample_image()))

    assert [command.name for command in commands] == ["ESC @", "GS v 0", "ESC d", "GS V"]
    assert commands[1].parameters == (0, 8, 40)
    assert commands[-1].is_cut


def test_raster_round_trips_pixel_for_pixel() -> None:
    image = _sample_image()

    (command,) = [c for c in parse_escpos(_escpos_bytes(image)) if c.name == "GS v 0"]

    assert command.raster_image().tobytes() == image.tobytes()


def test_tall_images_sent_in_strips_are_stitched_back() -> None:
    image = _sample_image(height=250)

    commands = parse_escpos(_escpos_bytes(image, fragment_height=100))

    assert sum(command.name == "GS v 0" for command in commands) == 3
    (stitched,) = stitch_raster_images(commands)
    assert stitched.tobytes() == image.tobytes()


def test_status_query_bytes_inside_raster_data_are_not_mistaken_for_queries() -> None:
    # A row whose bytes spell DLE EOT 1 must stay image data.
    row = bytes([0x10, 0x04, 0x01, 0x00])
    data = b"\x1dv0\x00" + (4).to_bytes(2, "little") + (1).to_bytes(2, "little") + row

    commands = parse_escpos(data)

    assert [command.name for command in commands] == ["GS v 0"]


def test_incremental_feeding_waits_for_whole_commands() -> None:
    data = _escpos_bytes(_sample_image())
    parser = EscPosParser()

    names = [command.name for index in range(len(data)) for command in parser.feed(data[index : index + 1])]

    assert names == ["ESC @", "GS v 0", "ESC d", "GS V"]
    assert parser.pending == b""


def test_truncated_data_is_reported_incomplete() -> None:
    data = _escpos_bytes(_sample_image())[:20]

    assert parse_escpos(data)[-1].name == "incomplete"


def test_text_and_common_commands_are_recognised() -> None:
    data = b"\x1b@\x1ba\x01Hello\n\x1b!\x30World\x1dVA\x03"

    commands = parse_escpos(data)

    assert [command.name for command in commands] == [
        "ESC @",
        "ESC a",
        "text",
        "LF",
        "ESC !",
        "text",
        "GS V",
    ]
    assert commands[2].payload == b"Hello"
    assert commands[-1].parameters == (65, 3)


@pytest.mark.parametrize(
    ("state", "online", "paper"),
    [
        (PrinterState.OK, True, 2),
        (PrinterState.NEAR_END, True, 1),
        (PrinterState.PAPER_OUT, False, 0),
        (PrinterState.COVER_OPEN, False, 2),
    ],
)
def test_replies_mean_the_same_to_python_escpos(
    simulator: PrinterSimulator, state: PrinterState, online: bool, paper: int
) -> None:
    simulator.set_state(state)
    printer = Network(simulator.host, simulator.port, timeout=FAST_TIMEOUT_SECONDS)
    printer.open()
    try:
        assert printer.is_online() is online
        assert printer.paper_status() == paper
    finally:
        printer.close()


def test_offline_refuses_connections_then_comes_back_on_the_same_port(
    simulator: PrinterSimulator,
) -> None:
    port = simulator.port
    simulator.set_state(PrinterState.OFFLINE)

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((simulator.host, port), timeout=FAST_TIMEOUT_SECONDS)

    simulator.set_state(PrinterState.OK)
    socket.create_connection((simulator.host, port), timeout=FAST_TIMEOUT_SECONDS).close()
    assert simulator.port == port


def test_unresponsive_printer_takes_data_but_never_answers(simulator: PrinterSimulator) -> None:
    simulator.set_state(PrinterState.UNRESPONSIVE)
    with socket.create_connection((simulator.host, simulator.port), timeout=0.1) as sock:
        sock.sendall(b"\x10\x04\x01")
        with pytest.raises(TimeoutError):
            sock.recv(1)
    assert simulator.status_query_count == 1


def test_jobs_are_recorded_before_the_printer_closes(simulator: PrinterSimulator) -> None:
    data = _escpos_bytes(_sample_image())
    with socket.create_connection((simulator.host, simulator.port), timeout=1) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1) == b""  # the printer closed: the job must be on record now

    (job,) = simulator.jobs
    assert job.data == data
    assert job.cut
    assert job.printed
    assert job.image is not None
    assert job.image.size == (64, 40)


def test_data_sent_while_paper_is_out_is_not_printed(simulator: PrinterSimulator) -> None:
    simulator.set_state(PrinterState.PAPER_OUT)
    with socket.create_connection((simulator.host, simulator.port), timeout=1) as sock:
        sock.sendall(_escpos_bytes(_sample_image()))
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)

    assert len(simulator.jobs) == 1
    assert simulator.printed_jobs == []


def test_starting_offline_keeps_a_port_for_later() -> None:
    with PrinterSimulator(state="offline") as simulator:
        assert simulator.port != 0
        simulator.set_state("ok")
        socket.create_connection((simulator.host, simulator.port), timeout=1).close()


def test_command_line_runs_and_switches_state() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    completed = subprocess.run(
        [sys.executable, "-m", "printer.simulator", "--port", str(port)],
        input="paper_out\nnonsense\nquit\n",
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert f"tcp://127.0.0.1:{port}" in completed.stdout
    assert "state: paper_out" in completed.stdout
    assert "unknown state 'nonsense'" in completed.stdout
