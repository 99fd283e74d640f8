"""`madoguchi backup` and `madoguchi restore`: a consistent copy while the server runs, and a
restore that never hands out a number twice.

SQLite: the online backup API (pages copied under a read transaction: a consistent snapshot
while tickets are being issued). PostgreSQL: `pg_dump --format=custom` (one snapshot
transaction), restored with `pg_restore`.

After a restore, the tickets issued since the backup are gone but their slips are still in
citizens' hands: every number series skips `skip_numbers` numbers, and event ids skip as many,
so boards that saw later events start over from a fresh snapshot.
"""

import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, make_url, text
from sqlmodel import Session, col, select

from server.db import normalise_url
from server.models import Branch, NumberSequence, Queue
from server.tickets.numbering import business_day

DEFAULT_SKIP_NUMBERS = 500


class RestoreRefused(Exception):
    """The target already holds data and --force was not given."""


@dataclass(frozen=True)
class Restored:
    tickets: int
    series_moved: int


def backup(engine: Engine, path: Path) -> Path:
    """Write a consistent copy of the database to `path` (a new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise FileExistsError(f"{path} already exists; choose a new file name (backups are never overwritten).")
    if engine.dialect.name == "sqlite":
        partial = path.with_name(path.name + ".partial")
        source = sqlite3.connect(_sqlite_file(engine))
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        partial.rename(path)  # a backup file is either whole or absent
        return path
    ensure_pg_dump_matches(engine)
    _run_postgresql_tool("pg_dump", "--format=custom", "--no-owner", f"--file={path}", _libpq_url(engine))
    return path


def ensure_pg_dump_matches(engine: Engine) -> str:
    """pg_dump must be at least as new as the server (it refuses a newer server); say so plainly."""
    if shutil.which("pg_dump") is None:
        raise FileNotFoundError("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    found = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    version = re.search(r"\)\s*(\d+)", found)  # "pg_dump (PostgreSQL) 15.20 (Debian …)"
    if version is None:
        raise RuntimeError(f"cannot read the version of pg_dump from {found!r}")
    client_major = int(version.group(1))
    with engine.connect() as connection:
        server_major = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    if client_major < server_major:
        raise RuntimeError(
            f"{found} cannot back up a PostgreSQL {server_major} server: install postgresql-client-{server_major}."
        )
    return f"{found} for a PostgreSQL {server_major} server"


def restore(
    engine: Engine, path: Path, *, now: datetime, force: bool = False, skip_numbers: int = DEFAULT_SKIP_NUMBERS
) -> Restored:
    """Replace the database's contents with the backup at `path` (the server must be stopped)."""
    if not path.is_file():
        raise FileNotFoundError(f"No backup at {path}.")
    if not force and _holds_data(engine):
        raise RestoreRefused(
            "復元先のデータベースにはデータがあります。上書きするときは --force を付けてください。"
            " The target database is not empty; add --force to overwrite it."
        )
    engine.dispose()
    if engine.dialect.name == "sqlite":
        target_file = Path(_sqlite_file(engine))
        for stale in (target_file.with_name(target_file.name + suffix) for suffix in ("-wal", "-shm")):
            stale.unlink(missing_ok=True)
        partial = target_file.with_name(target_file.name + ".restoring")
        shutil.copyfile(path, partial)
        partial.replace(target_file)
    else:
        _run_postgresql_tool(
            "pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq_url(engine)}", str(path)
        )
    return _resume_with_a_gap(engine, skip_numbers, now)


def _resume_with_a_gap(engine: Engine, skip_numbers: int, now: datetime) -> Restored:
    with Session(engine) as session:
        # Today's series of every queue, also those that had not started when the backup was taken.
        today = {
            (branch.id, business_day(branch, now), prefix)
            for branch in session.exec(select(Branch)).all()
            for prefix in session.exec(select(Queue.prefix).where(Queue.branch_id == branch.id)).all()
        }
        started = set(
            session.exec(
                select(col(NumberSequence.branch_id), col(NumberSequence.business_on), col(NumberSequence.prefix))
            ).all()
        )
        for branch_id, business_on, prefix in sorted(today - started):
            session.add(NumberSequence(branch_id=branch_id, business_on=business_on, prefix=prefix, last_value=0))
        session.commit()
    with engine.begin() as connection:
        tickets = int(connection.execute(text("SELECT count(*) FROM ticket")).scalar_one())
        moved = connection.execute(
            text("UPDATE numbersequence SET last_value = last_value + :skip"), {"skip": skip_numbers}
        ).rowcount
        if engine.dialect.name == "sqlite":
            connection.execute(
                text("UPDATE sqlite_sequence SET seq = seq + :skip WHERE name = 'event'"), {"skip": skip_numbers}
            )
        else:
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('event', 'id'),"
                    " (SELECT coalesce(max(id), 0) FROM event) + :skip)"
                ),
                {"skip": skip_numbers},
            )
    return Restored(tickets=tickets, series_moved=int(moved))


def _holds_data(engine: Engine) -> bool:
    if "ticket" not in inspect(engine).get_table_names():
        return bool(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return bool(connection.execute(text("SELECT count(*) FROM ticket")).scalar_one()) or bool(
            connection.execute(text("SELECT count(*) FROM branch")).scalar_one()
        )


def _sqlite_file(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("Only a SQLite database in a file can be backed up or restored.")
    return database


def _libpq_url(engine: Engine) -> str:
    """The URL as pg_dump understands it (no SQLAlchemy driver name)."""
    url = make_url(normalise_url(engine.url.render_as_string(hide_password=False)))
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run_postgresql_tool(*command: str) -> None:
    if shutil.which(command[0]) is None:
        raise FileNotFoundError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {completed.stderr.strip()}")
