"""A network ESC/POS printer simulator, for tests and for running a kiosk without a printer.

It listens like a receipt printer's raw port (9100), answers DLE EOT real-time status
queries, records every job, and parses what it received back into commands, raster images
and cuts.

States, and what a real network printer does in each:
- ok, near_end: prints; near_end sets the roll near-end bits in DLE EOT 4.
- paper_out, cover_open: still accepts connections and answers status (real-time commands
  work while the mechanism is offline), reporting offline plus the cause in DLE EOT 2/4.
  Data sent anyway is recorded but counted as not printed.
- offline: the printer is switched off or unplugged, so nothing listens on its port and
  connections are refused; open connections are dropped.
- unresponsive: the port accepts data but status queries get no reply, like a hung printer
  or one without a back channel; a careful client must not take silence for "ok".

    python -m printer.simulator --port 9100 [--save-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import selectors
import socket
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from PIL import Image

logger = logging.getLogger(__name__)


class PrinterState(StrEnum):
    OK = "ok"
    NEAR_END = "near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNRESPONSIVE = "unresponsive"

    @property
    def prints(self) -> bool:
        return self in (PrinterState.OK, PrinterState.NEAR_END)


# DLE EOT n replies as an Epson TM printer sends them (fixed bits 0x12 always set).
STATUS_REPLIES: dict[PrinterState, dict[int, int]] = {
    PrinterState.OK: {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12},
    PrinterState.NEAR_END: {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E},
    PrinterState.PAPER_OUT: {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E},
    PrinterState.COVER_OPEN: {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12},
}

DLE, ESC, FS, GS = 0x10, 0x1B, 0x1C, 0x1D
EOT, ENQ, DC4 = 0x04, 0x05, 0x14
_SINGLE_BYTE_CONTROLS = {0x0A: "LF", 0x0D: "CR", 0x09: "HT", 0x0C: "FF", 0x18: "CAN"}
_PREFIX_NAMES = {DLE: "DLE", ESC: "ESC", FS: "FS", GS: "GS"}
# Commands with one parameter byte, by prefix; anything unlisted is taken as two bytes.
_ONE_PARAMETER = {
    ESC: set(b"!-EGMRVJdetrU{3 =a"),
    GS: set(b"!BHIbfhwra|/E"),
    FS: set(b"!-CW"),
}
_TWO_PARAMETERS = {ESC: set(b"$\\"), GS: set(b"LW$\\P"), FS: set(b"Sp")}


@dataclass(frozen=True)
class Command:
    """One ESC/POS command (or a run of text) as received."""

    name: str
    raw: bytes
    parameters: tuple[int, ...] = ()
    payload: bytes = b""

    @property
    def is_status_query(self) -> bool:
        return self.name == "DLE EOT"

    @property
    def is_cut(self) -> bool:
        return self.name == "GS V"

    def raster_image(self) -> Image.Image:
        """A GS v 0 command's bitmap as a mode '1' image (black = printed dot)."""
        if self.name != "GS v 0":
            raise ValueError(f"{self.name} carries no raster image")
        _, width_bytes, height = self.parameters
        return raster_to_image(width_bytes, height, self.payload)


def raster_to_image(width_bytes: int, height: int, data: bytes) -> Image.Image:
    # ESC/POS sets a bit for a printed (black) dot; Pillow's mode "1" sets it for white.
    inverted = bytes(byte ^ 0xFF for byte in data)
    return Image.frombytes("1", (width_bytes * 8, height), inverted)


def _little_endian(data: bytes | bytearray, start: int, count: int) -> int:
    return int.from_bytes(data[start : start + count], "little")


def _command_length(data: bytearray, start: int) -> int | None:
    """Length of the command at `start`, or None if more bytes are needed to know/complete it."""
    available = len(data) - start
    first = data[start]
    if first not in _PREFIX_NAMES:
        return 1
    if available < 2:
        return None
    second = data[start + 1]

    def needs(length: int) -> int | None:
        return length if available >= length else None

    def header_then(header: int, size: Callable[[], int]) -> int | None:
        return needs(header + size()) if available >= header else None

    if first == DLE:
        if second in (EOT, ENQ):
            return needs(3)
        if second == DC4:
            if available < 3:
                return None
            return needs(10) if data[start + 2] == 8 else needs(5)
        return 2
    if first == GS and second == ord("v"):
        return header_then(8, lambda: _little_endian(data, start + 4, 2) * _little_endian(data, start + 6, 2))
    if first == GS and second == ord("V"):
        if available < 3:
            return None
        return needs(4) if data[start + 2] in (65, 66, 97, 98, 103, 104) else 3
    if first == GS and second == ord("k"):
        if available < 3:
            return None
        if data[start + 2] <= 6:
            end = data.find(b"\x00", start + 3)
            return None if end < 0 else end + 1 - start
        return header_then(4, lambda: data[start + 3])
    if first == GS and second == ord("*"):
        return header_then(4, lambda: data[start + 2] * data[start + 3] * 8)
    if first == GS and second == ord("8"):
        return header_then(7, lambda: _little_endian(data, start + 3, 4))
    if second == ord("(") and first in (ESC, GS, FS):
        return header_then(5, lambda: _little_endian(data, start + 3, 2))
    if first == ESC and second == ord("*"):
        return header_then(
            5,
            lambda: _little_endian(data, start + 3, 2) * (3 if data[start + 2] in (32, 33) else 1),
        )
    if first == ESC and second == ord("p"):
        return needs(5)
    if first == ESC and second == ord("c"):
        return needs(4)
    if first == ESC and second == ord("D"):
        end = data.find(b"\x00", start + 2)
        return None if end < 0 else end + 1 - start
    if second in _TWO_PARAMETERS.get(first, set()):
        return needs(4)
    if second in _ONE_PARAMETER.get(first, set()):
        return needs(3)
    return 2


def _name(raw: bytes) -> str:
    first = raw[0]
    if first in _SINGLE_BYTE_CONTROLS:
        return _SINGLE_BYTE_CONTROLS[first]
    if first not in _PREFIX_NAMES:
        return "text" if first >= 0x20 else f"0x{first:02X}"
    second = raw[1]
    if first == DLE:
        return {EOT: "DLE EOT", ENQ: "DLE ENQ", DC4: "DLE DC4"}.get(second, f"DLE 0x{second:02X}")
    if first == GS and second == ord("v") and raw[2:3] == b"0":
        return "GS v 0"
    symbol = chr(second) if 0x21 <= second < 0x7F else f"0x{second:02X}"
    return f"{_PREFIX_NAMES[first]} {symbol}"


def _make_command(raw: bytes) -> Command:
    name = _name(raw)
    if name == "GS v 0":
        width_bytes = _little_endian(raw, 4, 2)
        height = _little_endian(raw, 6, 2)
        return Command(name, raw, (raw[3], width_bytes, height), raw[8:])
    if name == "text":
        return Command(name, raw, payload=raw)
    return Command(name, raw, tuple(raw[2:]) if raw[0] in _PREFIX_NAMES else ())


class EscPosParser:
    """Splits a byte stream into commands, keeping an incomplete tail for the next feed."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> bytes:
        return bytes(self._buffer)

    def feed(self, data: bytes) -> list[Command]:
        self._buffer.extend(data)
        commands: list[Command] = []
        position = 0
        buffer = self._buffer
        while position < len(buffer):
            first = buffer[position]
            if first >= 0x20:
                end = position
                while end < len(buffer) and buffer[end] >= 0x20:
                    end += 1
                commands.append(_make_command(bytes(buffer[position:end])))
                position = end
                continue
            length = _command_length(buffer, position)
            if length is None:
                break
            commands.append(_make_command(bytes(buffer[position : position + length])))
            position += length
        del self._buffer[:position]
        return commands


def parse_escpos(data: bytes) -> list[Command]:
    """Every command in `data`; a truncated last command comes back named 'incomplete'."""
    parser = EscPosParser()
    commands = parser.feed(data)
    if parser.pending:
        commands.append(Command("incomplete", parser.pending))
    return commands


def stitch_raster_images(commands: Iterable[Command]) -> list[Image.Image]:
    """Whole images from GS v 0 commands.

    python-escpos sends tall images as several GS v 0 strips; consecutive strips of the same
    width are one picture. Real-time status queries in between do not break a picture.
    """
    images: list[Image.Image] = []
    strips: list[Image.Image] = []

    def flush() -> None:
        if strips:
            picture = Image.new("1", (strips[0].width, sum(strip.height for strip in strips)))
            y = 0
            for strip in strips:
                picture.paste(strip, (0, y))
                y += strip.height
            images.append(picture)
            strips.clear()

    for command in commands:
        if command.name == "GS v 0":
            strip = command.raster_image()
            if strips and strips[0].width != strip.width:
                flush()
            strips.append(strip)
        elif not command.is_status_query:
            flush()
    flush()
    return images


@dataclass
class ReceivedJob:
    """Everything one connection sent, and the printer's state when it ended."""

    data: bytes
    state: PrinterState
    commands: list[Command] = field(init=False)

    def __post_init__(self) -> None:
        self.commands = parse_escpos(self.data)

    @property
    def printed(self) -> bool:
        return self.state.prints and bool(self.images)

    @property
    def images(self) -> list[Image.Image]:
        return stitch_raster_images(self.commands)

    @property
    def image(self) -> Image.Image | None:
        images = self.images
        return images[0] if images else None

    @property
    def cut(self) -> bool:
        return any(command.is_cut for command in self.commands)

    @property
    def status_queries(self) -> list[int]:
        return [command.parameters[0] for command in self.commands if command.is_status_query]


@dataclass
class _Client:
    sock: socket.socket
    parser: EscPosParser = field(default_factory=EscPosParser)
    received: bytearray = field(default_factory=bytearray)


class PrinterSimulator:
    """A threaded TCP printer on 127.0.0.1; `port=0` picks a free port."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state: PrinterState | str = PrinterState.OK,
        on_job: Callable[[ReceivedJob], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._state = PrinterState(state)
        self._on_job = on_job
        self._jobs: list[ReceivedJob] = []
        self._status_query_count = 0
        self._changed = threading.Condition()
        self._selector = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._clients: dict[socket.socket, _Client] = {}
        self._calls: list[tuple[Callable[[], None], threading.Event]] = []
        self._calls_lock = threading.Lock()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._thread: threading.Thread | None = None
        self._running = False

    # -- public API -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def state(self) -> PrinterState:
        return self._state

    @property
    def jobs(self) -> list[ReceivedJob]:
        with self._changed:
            return list(self._jobs)

    @property
    def printed_jobs(self) -> list[ReceivedJob]:
        return [job for job in self.jobs if job.printed]

    @property
    def status_query_count(self) -> int:
        with self._changed:
            return self._status_query_count

    def clear(self) -> None:
        with self._changed:
            self._jobs.clear()
            self._status_query_count = 0

    def wait_for_jobs(self, count: int, *, timeout_seconds: float = 1.0) -> list[ReceivedJob]:
        """For clients that do not wait for the printer to close: block until `count` jobs."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._jobs) >= count, timeout=timeout_seconds)
            return list(self._jobs)

    def start(self) -> PrinterSimulator:
        if self._running:
            return self
        self._selector.register(self._wake_reader, selectors.EVENT_READ, None)
        if self._state is not PrinterState.OFFLINE:
            self._listen()
        else:
            self._reserve_port()
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="escpos-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._running:
            return
        self._run_in_loop(self._shutdown)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._wake_reader.close()
        self._wake_writer.close()
        self._selector.close()

    def set_state(self, state: PrinterState | str) -> None:
        """Switch state; returns once the simulator behaves accordingly."""
        new_state = PrinterState(state)
        if not self._running:
            self._state = new_state
            return
        self._run_in_loop(lambda: self._apply_state(new_state))

    def __enter__(self) -> PrinterSimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- event loop -------------------------------------------------------------------------

    def _reserve_port(self) -> None:
        # Starting offline still needs a fixed port to come online on later.
        if self.port == 0:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind((self.host, 0))
                self.port = probe.getsockname()[1]

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Coming back online must reuse the same port even with old connections in TIME_WAIT.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(8)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._selector.register(listener, selectors.EVENT_READ, None)

    def _stop_listening(self) -> None:
        if self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()
            self._listener = None

    def _run_in_loop(self, call: Callable[[], None]) -> None:
        done = threading.Event()
        with self._calls_lock:
            self._calls.append((call, done))
        self._wake_writer.send(b"\x00")
        done.wait(timeout=5)

    def _apply_state(self, state: PrinterState) -> None:
        was_offline = self._state is PrinterState.OFFLINE
        self._state = state
        if state is PrinterState.OFFLINE and not was_offline:
            self._stop_listening()
            for client in list(self._clients.values()):
                self._finish(client, abort=True)
        elif was_offline and state is not PrinterState.OFFLINE:
            self._listen()

    def _shutdown(self) -> None:
        self._running = False
        self._stop_listening()
        for client in list(self._clients.values()):
            self._finish(client, abort=True)

    def _serve(self) -> None:
        while self._running:
            for key, _ in self._selector.select():
                sock = key.fileobj
                try:
                    if sock is self._wake_reader:
                        self._run_pending_calls()
                    elif sock is self._listener and self._listener is not None:
                        self._accept()
                    elif isinstance(sock, socket.socket) and sock in self._clients:
                        self._receive(self._clients[sock])
                except Exception:
                    # One bad connection or callback must not silence the whole printer.
                    logger.exception("printer simulator: error while serving")
                    if isinstance(sock, socket.socket) and sock in self._clients:
                        self._finish(self._clients[sock], abort=True)

    def _run_pending_calls(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._wake_reader.recv(64)
        with self._calls_lock:
            calls, self._calls = self._calls, []
        for call, done in calls:
            try:
                call()
            finally:
                done.set()

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            sock, _ = self._listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        client = _Client(sock)
        self._clients[sock] = client
        self._selector.register(sock, selectors.EVENT_READ, None)

    def _receive(self, client: _Client) -> None:
        try:
            data = client.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self._finish(client, abort=True)
            return
        if not data:
            self._finish(client, abort=False)
            return
        client.received.extend(data)
        for command in client.parser.feed(data):
            if command.is_status_query:
                self._answer_status(client, command.parameters[0])

    def _answer_status(self, client: _Client, n: int) -> None:
        with self._changed:
            self._status_query_count += 1
        reply = STATUS_REPLIES.get(self._state, {}).get(n)
        if reply is not None:
            with contextlib.suppress(OSError):
                client.sock.send(bytes([reply]))

    def _finish(self, client: _Client, *, abort: bool) -> None:
        self._selector.unregister(client.sock)
        del self._clients[client.sock]
        status_only = all(command.is_status_query for command in parse_escpos(bytes(client.received)))
        if client.received and not status_only:
            job = ReceivedJob(bytes(client.received), self._state)
            with self._changed:
                self._jobs.append(job)
                self._changed.notify_all()
            if self._on_job is not None:
                self._on_job(job)
        if abort:
            # Power loss: the peer learns nothing graceful.
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Closing only after the job is recorded: a client that waits for our close knows its
        # job is in `jobs`.
        client.sock.close()


# -- command line -----------------------------------------------------------------------------


def _describe(job: ReceivedJob) -> str:
    sizes = ", ".join(f"{image.width}x{image.height}" for image in job.images) or "no image"
    cut = "cut" if job.cut else "no cut"
    printed = "printed" if job.printed else f"NOT printed ({job.state})"
    return f"job: {len(job.data)} bytes, {sizes}, {cut}, {printed}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m printer.simulator", description="Simulated ESC/POS network printer."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--state", choices=[state.value for state in PrinterState], default="ok")
    parser.add_argument("--save-dir", type=Path, help="save each received image as a PNG here")
    arguments = parser.parse_args(argv)
    save_dir: Path | None = arguments.save_dir
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
    counter = 0

    def report(job: ReceivedJob) -> None:
        nonlocal counter
        counter += 1
        print(_describe(job), flush=True)
        if save_dir is not None:
            for index, image in enumerate(job.images):
                path = save_dir / f"job{counter:04d}-{index}.png"
                image.save(path)
                print(f"  saved {path}", flush=True)

    simulator = PrinterSimulator(host=arguments.host, port=arguments.port, state=arguments.state, on_job=report)
    try:
        simulator.start()
    except OSError as error:
        print(f"cannot listen on {arguments.host}:{arguments.port}: {error}", file=sys.stderr)
        return 1
    with simulator:
        states = ", ".join(state.value for state in PrinterState)
        print(f"ESC/POS simulator on {simulator.url} ({simulator.state})", flush=True)
        print(f"type a state and Enter to switch ({states}); quit or Ctrl-C to stop", flush=True)
        try:
            for line in sys.stdin:
                wanted = line.strip()
                if not wanted:
                    continue
                if wanted == "quit":
                    return 0
                try:
                    simulator.set_state(wanted)
                except ValueError:
                    print(f"unknown state {wanted!r}; choose from {states}", flush=True)
                    continue
                print(f"state: {simulator.state}", flush=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
