"""`madoguchi` command line: init, staff, devices, serve, and the demo city hall."""

import argparse
import getpass
import importlib
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from server.auth import service as auth_service
from server.catalog.loader import ConfigError, load_config_file
from server.catalog.schemas import TRANSLATED_LANGUAGES
from server.catalog.translations import translations_report, translations_summary
from server.config import DATA_DIR, get_settings
from server.database_setup import initialise
from server.db import create_db_engine
from server.errors import DomainError
from server.models import Branch, DeviceKind, Role, Staff
from server.observability.logs import log_config
from server.operations.backup import DEFAULT_SKIP_NUMBERS, RestoreRefused, backup, restore
from server.operations.check import run_checks
from server.operations.commands import add_operations_commands

DEMO_PASSWORD = "madoguchi-demo"  # noqa: S105 - printed in the demo banner; never for production
DEMO_STAFF = (("admin", Role.admin), ("shokuin", Role.municipal), ("itaku", Role.contractor))
DEMO_CREDENTIALS = DATA_DIR / "demo-credentials.txt"
DEFAULT_BRANCH = "honcho"  # the demo city hall's main building (本庁舎); staff and devices default to it


class CommandRefused(Exception):
    """A command's input is unusable; main prints the message and exits non-zero."""


def _now() -> datetime:
    return datetime.now(UTC)


def _engine() -> Engine:
    return create_db_engine(get_settings().database_url)


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.config) if args.config else get_settings().config_path
    branch = initialise(_engine(), path)
    print(f"Database ready; loaded {path} as branch {branch.id!r} ({branch.name_ja}).")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """--password, else the first line of stdin (--password-stdin), else asked twice at a prompt."""
    if args.password is not None:
        password: str = args.password
    elif args.password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        try:
            password = getpass.getpass("パスワード Password: ")
            again = getpass.getpass("もう一度 Again: ")
        except EOFError:
            raise CommandRefused(
                "パスワードが入力されませんでした。 No password was entered."
                " Use --password-stdin to read it from standard input."
            ) from None
        if password != again:
            raise CommandRefused("入力した2つのパスワードが一致しません。 The two passwords do not match.")
    if not password:
        raise CommandRefused("パスワードが空です。 The password is empty.")
    return password


def cmd_staff_add(args: argparse.Namespace) -> int:
    # Without --branch the account works at the default branch only; every branch takes --all-branches.
    branch_id = None if args.all_branches else (args.branch if args.branch is not None else DEFAULT_BRANCH)
    password = _read_password(args)
    with Session(_engine(), expire_on_commit=False) as session:
        if branch_id is not None and session.get(Branch, branch_id) is None:
            raise CommandRefused(
                f"支所 {branch_id!r} がありません。--branch で支所を指定してください。"
                f" Unknown branch {branch_id!r}; name one with --branch (or run `madoguchi init` first)."
            )
        staff = auth_service.create_staff(
            session,
            username=args.username,
            password=password,
            role=Role(args.role),
            branch_id=branch_id,
            now=_now(),
        )
        where_ja, where_en = (
            ("すべての支所", "all branches")
            if staff.branch_id is None
            else (f"支所 {staff.branch_id!r} のみ", f"branch {staff.branch_id!r} only")
        )
        print(
            f"アカウント {staff.username!r} を作成しました({where_ja})。"
            f" Created {staff.role} account {staff.username!r} ({where_en})."
        )
    return 0


def cmd_device_add(args: argparse.Namespace) -> int:
    with Session(_engine(), expire_on_commit=False) as session:
        token, device = auth_service.create_device(
            session, name=args.name, kind=DeviceKind(args.kind), branch_id=args.branch, now=_now()
        )
    print(token)
    print(f"Created {device.kind} device {device.name!r} (keep the token above secret).", file=sys.stderr)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    path = backup(_engine(), Path(args.path))
    print(f"Backed up to {path} ({path.stat().st_size:,} bytes).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        restored = restore(_engine(), Path(args.path), now=_now(), force=args.force, skip_numbers=args.skip_numbers)
    except RestoreRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    print(
        f"Restored {restored.tickets:,} tickets from {args.path}; {restored.series_moved} number series resume"
        f" {args.skip_numbers} numbers later (slips handed out after the backup are never issued twice)."
        " Run `madoguchi init` if this release is newer than the backup, then start the server."
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.config) if args.config else get_settings().config_path
    checks = run_checks(_engine(), config_path=path, printer_url=args.printer)
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = [check.name for check in checks if not check.ok]
    if failed:
        print(f"\n{len(failed)} problem(s): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_translations(args: argparse.Namespace) -> int:
    """Every citizen-facing string missing per language; exit 1 when any is missing."""
    path = Path(args.config) if args.config else get_settings().config_path
    try:
        config = load_config_file(path)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    languages = tuple(args.language) if args.language else TRANSLATED_LANGUAGES
    for line in translations_report(config, languages=languages):
        print(line)
    summary, missing = translations_summary(config)
    print(f"\n{summary}", file=sys.stderr if missing else sys.stdout)
    return 1 if missing else 0


GRACEFUL_SHUTDOWN_SECONDS = 5


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "server.main:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        # JSON lines with a request id, tokens redacted, for uvicorn's access log too.
        log_config=log_config(json_lines=get_settings().log_json),
        proxy_headers=True,
        forwarded_allow_ips=get_settings().trusted_proxies,
        # Board and status messages are small JSON sent to hundreds of sockets at once: compressing
        # each copy costs more CPU (and latency) than the bytes it saves on a LAN.
        ws_per_message_deflate=False,
        # A stop (systemd, a restart for an update) waits this long for requests in flight, then
        # ends them: a kiosk's long poll for print requests would otherwise hold it for 25 s.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return 0


def ensure_demo_accounts(branch_id: str) -> dict[str, str]:
    """Demo staff with a known password and one kiosk and display token, reused on every run."""
    engine = _engine()
    tokens: dict[str, str] = {}
    if DEMO_CREDENTIALS.exists():
        for line in DEMO_CREDENTIALS.read_text().splitlines():
            key, _, value = line.partition("=")
            tokens[key] = value
    with Session(engine, expire_on_commit=False) as session:
        for username, role in DEMO_STAFF:
            if session.exec(select(Staff).where(Staff.username == username)).first() is None:
                auth_service.create_staff(
                    session, username=username, password=DEMO_PASSWORD, role=role, branch_id=branch_id, now=_now()
                )
        for kind in (DeviceKind.kiosk, DeviceKind.display):
            key = f"{kind}_token"
            known = tokens.get(key)
            if known and auth_service.device_for_token(session, token=known) is not None:
                continue
            tokens[key], _ = auth_service.create_device(
                session, name=f"demo-{kind}", kind=kind, branch_id=branch_id, now=_now()
            )
    DEMO_CREDENTIALS.parent.mkdir(parents=True, exist_ok=True)
    DEMO_CREDENTIALS.write_text("".join(f"{key}={value}\n" for key, value in sorted(tokens.items())))
    DEMO_CREDENTIALS.chmod(0o600)
    return tokens


def cmd_demo(args: argparse.Namespace) -> int:
    """Init with the demo city hall, create demo accounts, print the URLs, serve."""
    settings = get_settings()
    branch = initialise(_engine(), settings.config_path)
    tokens = ensure_demo_accounts(branch.id)
    kiosk_port = os.environ.get("KIOSK_PORT", "8001")
    base = f"http://{args.host if args.host != '0.0.0.0' else '127.0.0.1'}:{args.port}"
    print(
        f"""
  Madoguchi demo: {branch.name_ja} / {branch.name_en}
  Database:       {settings.database_url}
  Staff console:  {base}/staff      (users admin, shokuin [municipal], itaku [contractor]; password {DEMO_PASSWORD})
  Admin console:  {base}/admin      (reports: {base}/admin/reports)
  Concierge:      {base}/concierge
  Kiosk:          http://127.0.0.1:{kiosk_port}/   (`make run` starts it with a simulated printer)
  Display board:  {base}/display/{branch.id}?token={tokens["display_token"]}
  Kiosk token:    {tokens["kiosk_token"]}
  API docs:       {base}/docs
  Tokens are kept in {DEMO_CREDENTIALS}
""",
        flush=True,
    )
    return cmd_serve(args)


def _delegate(module: str, argv: Sequence[str]) -> int:
    # kiosk/ and printer/ run on kiosk PCs without the server; the shared `madoguchi`
    # command only hands their arguments over, so the server code never depends on them.
    entry = importlib.import_module(module)
    result: int = entry.main(list(argv))
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="madoguchi", description="Queue ticketing for city-hall one-stop counters")
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="create or migrate the database and load a configuration")
    init.add_argument("--config", help="configuration YAML (default: the demo city hall)")
    init.set_defaults(run=cmd_init)

    staff = commands.add_parser("staff", help="staff accounts").add_subparsers(dest="action", required=True)
    staff_add = staff.add_parser("add", help="create a staff account")
    staff_add.add_argument("username")
    staff_add.add_argument("--role", required=True, choices=[role.value for role in Role])
    secret = staff_add.add_mutually_exclusive_group()
    secret.add_argument("--password", help="the password (visible in the process list; prefer the prompt)")
    secret.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of standard input"
    )
    where = staff_add.add_mutually_exclusive_group()
    where.add_argument("--branch", help=f"the branch this account works at (default: {DEFAULT_BRANCH})")
    where.add_argument("--all-branches", action="store_true", help="the account works at every branch")
    staff_add.set_defaults(run=cmd_staff_add)

    device = commands.add_parser("device", help="kiosks and display boards").add_subparsers(
        dest="action", required=True
    )
    device_add = device.add_parser("add", help="register a device and print its token")
    device_add.add_argument("name")
    device_add.add_argument("--kind", required=True, choices=[kind.value for kind in DeviceKind])
    device_add.add_argument("--branch", default=DEFAULT_BRANCH)
    device_add.set_defaults(run=cmd_device_add)

    check = commands.add_parser("check", help="check this installation: configuration, database, fonts, speech")
    check.add_argument("--config", help="configuration YAML (default: the configured one)")
    check.add_argument("--printer", help="also ask this printer for its status (tcp://host:9100 …)")
    check.set_defaults(run=cmd_check)
    translations = commands.add_parser(
        "translations", help="list what citizens would read in English or Japanese for want of a translation"
    )
    translations.add_argument("--config", help="configuration YAML (default: the configured one)")
    translations.add_argument("--language", action="append", choices=TRANSLATED_LANGUAGES, help="only this language")
    translations.set_defaults(run=cmd_translations)
    backup_command = commands.add_parser("backup", help="write a consistent copy of the database while it serves")
    backup_command.add_argument("path", help="a new file (SQLite: a database file; PostgreSQL: a pg_dump archive)")
    backup_command.set_defaults(run=cmd_backup)
    restore_command = commands.add_parser("restore", help="replace the database with a backup (server stopped)")
    restore_command.add_argument("path")
    restore_command.add_argument("--force", action="store_true", help="overwrite a database that holds data")
    restore_command.add_argument(
        "--skip-numbers",
        type=int,
        default=DEFAULT_SKIP_NUMBERS,
        help=f"numbers each series skips after the restore (default {DEFAULT_SKIP_NUMBERS})",
    )
    restore_command.set_defaults(run=cmd_restore)

    add_operations_commands(commands)  # deploy units, retention (server/operations/commands.py)

    for name, run, help_text in (
        ("serve", cmd_serve, "run the server"),
        ("demo", cmd_demo, "set up the demo city hall and serve it"),
    ):
        serve = commands.add_parser(name, help=help_text)
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--port", type=int, default=8000)
        serve.add_argument("--workers", type=int, default=1)
        serve.set_defaults(run=run)

    for name, module in (
        ("kiosk", "kiosk.cli"),
        ("printer", "printer.cli"),
        ("simulate", "bench.simulate"),
        ("edge", "server.edge.cli"),
    ):
        delegated = commands.add_parser(name, help=f"see `madoguchi {name} --help`", add_help=False)
        delegated.set_defaults(delegate=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in ("kiosk", "printer", "simulate", "edge"):
        args = parser.parse_args(argv[:1])
        return _delegate(args.delegate, argv[1:])
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except ConfigError as error:
        print(f"Configuration refused:\n{error}", file=sys.stderr)
        return 2
    except CommandRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
