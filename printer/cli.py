"""`madoguchi printer …`: check a printer and print a test slip from the kiosk PC.

Exit codes: 0 all well, 1 works with a warning (paper near end, status unreadable),
2 fault (offline, paper out, cover open, bad URL, no font).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from printer.agent import STATUS_TIMEOUT_SECONDS, PrintResult, print_test_slip
from printer.connection import PrinterDriverMissingError, parse_printer_url
from printer.render import DEFAULT_TIME_ZONE, PAPER_PROFILES
from printer.status import PrinterStatus, query_printer_status

EXIT_OK = 0
EXIT_WARNING = 1
EXIT_FAULT = 2


def _exit_code(status: PrinterStatus) -> int:
    if status is PrinterStatus.OK:
        return EXIT_OK
    if status.is_fault:
        return EXIT_FAULT
    return EXIT_WARNING


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="madoguchi printer", description="Check the ticket printer or print a test slip."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    url_help = "tcp://HOST[:PORT], usb://VID:PID, serial:///dev/ttyUSB0?baudrate=19200, file:///PATH"
    timeout_help = f"seconds to wait for the printer (default {STATUS_TIMEOUT_SECONDS})"

    test = commands.add_parser("test", help="print a test slip")
    test.add_argument("--printer", required=True, metavar="URL", help=url_help)
    test.add_argument(
        "--profile",
        choices=sorted(PAPER_PROFILES),
        default="80",
        help="paper width in mm (default 80)",
    )
    test.add_argument("--branch", default="Madoguchi", help="name printed on the slip")
    test.add_argument("--timeout", type=float, default=STATUS_TIMEOUT_SECONDS, help=timeout_help)

    status = commands.add_parser("status", help="show whether the printer is ready")
    status.add_argument("--printer", required=True, metavar="URL", help=url_help)
    status.add_argument("--timeout", type=float, default=STATUS_TIMEOUT_SECONDS, help=timeout_help)
    return parser


def _report_print(result: PrintResult) -> int:
    if result.ok:
        suffix = f" (warning: {result.status.label})" if result.warning else ""
        print(f"test slip printed{suffix}")
        return EXIT_WARNING if result.warning else EXIT_OK
    print(f"not printed: {result.error}", file=sys.stderr)
    if result.detail:
        print(result.detail, file=sys.stderr)
    return EXIT_FAULT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry for `madoguchi printer …`; accepts argv with or without the leading 'printer'."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["printer"]:
        arguments = arguments[1:]
    options = _build_parser().parse_args(arguments)
    try:
        parse_printer_url(options.printer)
        if options.command == "status":
            status = query_printer_status(options.printer, timeout_seconds=options.timeout)
            print(status.label)
            return _exit_code(status)
        printed_at = datetime.now(ZoneInfo(DEFAULT_TIME_ZONE))
        return _report_print(
            print_test_slip(
                options.printer,
                profile=options.profile,
                branch_name=options.branch,
                printed_at=printed_at,
                status_timeout_seconds=options.timeout,
            )
        )
    except (ValueError, PrinterDriverMissingError) as error:
        print(error, file=sys.stderr)
        return EXIT_FAULT


if __name__ == "__main__":
    raise SystemExit(main())
