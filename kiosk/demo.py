"""`python -m kiosk.demo`: the demo city hall's kiosk, for `make run`.

Starts a simulated network printer (each slip is saved as a PNG), waits for the demo server,
reads the kiosk token that `madoguchi demo` wrote, and runs the kiosk agent against both.
`--printer-state paper_out` (or cover_open, offline …) shows how the kiosk copes with a fault.
"""

import argparse
import itertools
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from kiosk import cli
from printer.simulator import PrinterSimulator, PrinterState, ReceivedJob

DEFAULT_CREDENTIALS = Path("var") / "demo-credentials.txt"


def wait_for_server(url: str, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url.rstrip('/')}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)


def kiosk_token(credentials: Path) -> str | None:
    for line in credentials.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key == "kiosk_token" and value:
            return value
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="http://127.0.0.1:8000")
    parser.add_argument("--branch", default="honcho")
    parser.add_argument("--port", type=int, default=cli.DEFAULT_PORT, help="the kiosk screen's port")
    parser.add_argument("--printer-port", type=int, default=9100, help="the simulated printer's port")
    parser.add_argument("--credentials", type=Path, default=DEFAULT_CREDENTIALS)
    parser.add_argument("--printer-state", choices=[state.value for state in PrinterState], default="ok")
    parser.add_argument("--save-dir", type=Path, default=Path("var") / "printed", help="PNG of every slip")
    parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the server")
    arguments = parser.parse_args(argv)

    # The demo server writes the token before it starts serving, so once it answers the file is current.
    if not wait_for_server(arguments.server, seconds=arguments.wait):
        print(f"kiosk demo: no server answered at {arguments.server}", file=sys.stderr)
        return 1
    token = kiosk_token(arguments.credentials) if arguments.credentials.exists() else None
    if token is None:
        print(f"kiosk demo: no kiosk_token in {arguments.credentials}", file=sys.stderr)
        return 1

    save_dir: Path = arguments.save_dir
    save_dir.mkdir(parents=True, exist_ok=True)

    numbers = itertools.count(1)

    def save(job: ReceivedJob) -> None:
        for image in job.images:
            image.save(save_dir / f"slip-{next(numbers):04d}.png")

    simulator = PrinterSimulator(port=arguments.printer_port, state=arguments.printer_state, on_job=save)
    try:
        simulator.start()
    except OSError as error:
        print(f"kiosk demo: cannot start the printer simulator: {error}", file=sys.stderr)
        return 1
    with simulator:
        print(f"Printer simulator on {simulator.url}; slips are saved in {save_dir}/", flush=True)
        # Through the environment, so the token does not show in the process list.
        os.environ[cli.TOKEN_VARIABLE] = token
        return cli.main(
            [
                "--server",
                arguments.server,
                "--branch",
                arguments.branch,
                "--printer",
                simulator.url,
                "--port",
                str(arguments.port),
                "--spool",
                str(Path("var") / "kiosk-print-spool.json"),
            ]
        )


if __name__ == "__main__":
    raise SystemExit(main())
