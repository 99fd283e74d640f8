"""`madoguchi kiosk`: run the kiosk agent (touch screen + printing) on the kiosk PC.

    madoguchi kiosk --server http://cityhall:8000 --token KIOSK_TOKEN --branch honcho \\
        --printer tcp://192.168.1.50:9100 [--port 8001] [--profile 58|80] [--spool PATH]

The token may also come from MADOGUCHI_KIOSK_TOKEN, which keeps it out of the process list.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.app import KioskSettings, create_app
from printer.connection import EXAMPLES, parse_printer_url
from printer.render import PAPER_PROFILES

TOKEN_VARIABLE = "MADOGUCHI_KIOSK_TOKEN"  # noqa: S105 - the name of a variable, not a secret
DEFAULT_PORT = 8001
DEFAULT_SPOOL = Path("var") / "kiosk-print-spool.json"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="madoguchi kiosk",
        description="Serve the ticket kiosk's touch screen and print tickets.",
    )
    parser.add_argument("--server", required=True, metavar="URL", help="the Madoguchi server")
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_VARIABLE),
        help=f"this kiosk's device token (`madoguchi device add`; or set {TOKEN_VARIABLE})",
    )
    parser.add_argument("--branch", required=True, help="branch id, e.g. honcho")
    parser.add_argument("--printer", required=True, metavar="URL", help=EXAMPLES)
    parser.add_argument("--host", default="127.0.0.1", help="address to serve the screen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--profile", choices=sorted(PAPER_PROFILES), default="80", help="paper mm")
    parser.add_argument(
        "--spool",
        type=Path,
        default=DEFAULT_SPOOL,
        help=f"file keeping slips not yet printed (default {DEFAULT_SPOOL})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="return to the start screen after this long without a touch (default 60)",
    )
    parser.add_argument(
        "--result-seconds",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="how long the issued number and QR code stay on screen (default 20; 60 when the slip did not print)",
    )
    parser.add_argument(
        "--health-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how often to report the printer's state to the server (default 30)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not arguments.token:
        parser.error(f"give --token or set {TOKEN_VARIABLE}")
    try:
        parse_printer_url(arguments.printer)
    except ValueError as error:
        parser.error(str(error))
    if not 5 <= arguments.result_seconds <= 120:
        parser.error("--result-seconds must be between 5 and 120: long enough to read, short enough for privacy")
    if arguments.idle_timeout < 10:
        parser.error("--idle-timeout must be at least 10 seconds: people need time to read")
    settings = KioskSettings(
        server_url=arguments.server,
        token=arguments.token,
        branch=arguments.branch,
        printer_url=arguments.printer,
        spool_path=arguments.spool,
        profile=arguments.profile,
        idle_timeout_seconds=arguments.idle_timeout,
        health_interval_seconds=arguments.health_interval,
        result_seconds=arguments.result_seconds,
        result_unprinted_seconds=max(60.0, arguments.result_seconds),
    )
    import uvicorn

    print(f"Kiosk for branch {settings.branch}: http://{arguments.host}:{arguments.port}/", flush=True)
    uvicorn.run(create_app(settings), host=arguments.host, port=arguments.port, log_level="info")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
