"""The operations subcommands that live outside server/cli.py: `deploy units` and `retention`."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.appointments.retention import erase_booking_addresses
from server.config import get_settings
from server.db import create_db_engine
from server.mail.retention import erase_stale_addresses
from server.operations.deploy import INSTALL_NOTES, DeployRefused, Machine, Role, render_units, write_units
from server.operations.retention import purge_personal_data
from server.outbox.retention import prune_outbox


def cmd_deploy_units(args: argparse.Namespace) -> int:
    machine = Machine(
        host=args.host,
        role=Role(args.role),
        server_url=args.server_url,
        branch=args.branch,
        port=args.port,
        workers=args.workers,
        postgresql=args.postgresql,
        printer=args.printer,
        bin=Path(args.bin),
        backup_dir=args.backup_dir,
        backup_at=args.backup_at,
        keep_days=args.keep_days,
        public_url=args.public_url,
    )
    try:
        files = render_units(machine)
    except DeployRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    if args.output is None:
        for name, text in files.items():
            print(f"# ==> {name} <==\n{text}")
        return 0
    for path in write_units(files, Path(args.output)):
        print(f"wrote {path}")
    print(f"\nInstall on {machine.host} (from {args.output}):\n  {INSTALL_NOTES[machine.role]}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    settings = get_settings()
    days = settings.retention_days if args.days is None else args.days
    engine = create_db_engine(settings.database_url)
    now = datetime.now(UTC)
    # Unsent mails' addresses have their own, shorter limit (MADOGUCHI_MAIL_RETENTION_DAYS).
    erased = erase_stale_addresses(engine, days=settings.mail_retention_days, now=now)
    if erased:
        print(f"Erased the addresses of {erased} mails not sent within {settings.mail_retention_days} days.")
    # Bookings keep theirs until the day the configuration sets after the visit (appointments).
    booked = erase_booking_addresses(engine, now=now)
    if booked:
        print(f"Erased the e-mail addresses of {booked} bookings past their retention.")
    pruned = prune_outbox(engine, days=days, now=now)
    if pruned:
        print(f"Deleted {pruned} sent or given-up outbox deliveries older than {days} days.")
    purged = purge_personal_data(engine, days=days, now=now)
    if purged is None:
        print("Retention is off (MADOGUCHI_RETENTION_DAYS=0): nothing deleted.")
        return 0
    print(
        f"Deleted personal data from before {purged.before:%Y-%m-%d %H:%M} UTC: answers of"
        f" {purged.answers_cleared} tickets, {purged.sessions_deleted} expired sign-ins."
    )
    return 0


def add_operations_commands(commands: "argparse._SubParsersAction[Any]") -> None:
    deploy = commands.add_parser("deploy", help="service units and PC start-up files").add_subparsers(
        dest="action", required=True
    )
    units = deploy.add_parser("units", help="print (or write) the systemd units and kiosk-mode files for one machine")
    units.add_argument("--host", required=True, help="the machine's name, e.g. hall-server or kiosk-1f")
    units.add_argument("--role", choices=[role.value for role in Role], default=Role.server.value)
    units.add_argument("--server-url", help="how kiosks and boards reach the server (default http://HOST:PORT)")
    units.add_argument("--branch", default="honcho")
    units.add_argument("--port", type=int, default=8000)
    units.add_argument("--workers", type=int, default=1, help="server processes (more than one: PostgreSQL)")
    units.add_argument("--postgresql", action="store_true", help="the server's database is PostgreSQL")
    units.add_argument("--printer", default=Machine.printer, help="kiosk PC: its printer URL")
    units.add_argument("--bin", default=str(Machine.bin), help="where `madoguchi` is installed (default: this one)")
    units.add_argument("--backup-dir", default=Machine.backup_dir)
    units.add_argument("--backup-at", default=Machine.backup_at, help="nightly backup time, HH:MM local")
    units.add_argument("--keep-days", type=int, default=Machine.keep_days, help="days backups are kept")
    units.add_argument("--public-url", default=Machine.public_url, help="edge: its public URL")
    units.add_argument("--output", help="write the files into this folder instead of printing them")
    units.set_defaults(run=cmd_deploy_units)

    retention = commands.add_parser("retention", help="delete personal data older than MADOGUCHI_RETENTION_DAYS")
    retention.add_argument("--days", type=int, help="override MADOGUCHI_RETENTION_DAYS for this run")
    retention.set_defaults(run=cmd_retention)
