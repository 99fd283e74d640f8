"""Backup while issuing, restore into a new database: nothing acknowledged before the backup is
lost, and no number handed out after it is issued again (SQLite, and PostgreSQL when set)."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from server.db import create_db_engine, write_session
from server.models import Role, Ticket
from server.operations.backup import DEFAULT_SKIP_NUMBERS, RestoreRefused, backup, restore
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.support import BRANCH, FixedClock, create_database, drop_database, make_staff

BEFORE_BACKUP = 15


@pytest.fixture
def new_database(tmp_path: Path) -> Iterator[Engine]:
    url = create_database(str(tmp_path))
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def test_a_backup_taken_while_issuing_restores_everything_acknowledged_before_it(
    engine: Engine, new_database: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    staff = make_staff(engine, "concierge", Role.municipal, clock())
    acknowledged: list[str] = []
    enough = threading.Event()
    stop = threading.Event()

    def issue_until_stopped() -> None:
        while not stop.is_set():
            with write_session(engine) as session:
                ticket = issue_ticket(
                    session, branch_id=BRANCH, request=TicketCreate(service="certificate"), issuer=staff, now=clock()
                )
            acknowledged.append(ticket.number)
            if len(acknowledged) >= BEFORE_BACKUP:
                enough.set()

    issuing = threading.Thread(target=issue_until_stopped)
    issuing.start()
    try:
        assert enough.wait(60)
        before = list(acknowledged)  # every one of these committed before the backup began
        archive = backup(engine, tmp_path / "madoguchi.backup")
        after_backup = len(acknowledged)
        while len(acknowledged) < after_backup + 5:  # the hall keeps issuing after the backup
            stop.wait(0.01)
    finally:
        stop.set()
        issuing.join(30)
    assert archive.stat().st_size > 0

    restored = restore(new_database, archive, now=clock())

    with Session(new_database) as session:
        kept = set(session.exec(select(Ticket.number)).all())
    assert set(before) <= kept, "a ticket acknowledged before the backup is missing"
    assert restored.tickets == len(kept)
    assert restored.series_moved >= 1
    # The slips handed out after the backup are still in citizens' hands: their numbers are skipped.
    with write_session(new_database) as session:
        fresh = issue_ticket(
            session, branch_id=BRANCH, request=TicketCreate(service="certificate"), issuer=staff, now=clock()
        )
    highest = max(int(number[1:]) for number in acknowledged)
    assert int(fresh.number[1:]) > highest
    assert int(fresh.number[1:]) > len(kept) + DEFAULT_SKIP_NUMBERS - 1
    with new_database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM event")).scalar_one() >= len(before)


def test_a_restore_over_a_database_with_data_needs_force(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    staff = make_staff(engine, "concierge", Role.municipal, clock())
    with write_session(engine) as session:
        issue_ticket(session, branch_id=BRANCH, request=TicketCreate(service="certificate"), issuer=staff, now=clock())
    archive = backup(engine, tmp_path / "before.backup")
    with pytest.raises(FileExistsError):
        backup(engine, archive)  # a backup is never overwritten
    with pytest.raises(RestoreRefused, match="--force"):
        restore(engine, archive, now=clock())
    with write_session(engine) as session:
        issue_ticket(session, branch_id=BRANCH, request=TicketCreate(service="certificate"), issuer=staff, now=clock())

    restored = restore(engine, archive, now=clock(), force=True)

    assert restored.tickets == 1


def test_a_series_not_yet_started_at_the_backup_also_resumes_after_a_gap(
    engine: Engine, new_database: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """A backup taken before the day's first ticket: numbers issued that morning are skipped too."""
    staff = make_staff(engine, "concierge", Role.municipal, clock())
    archive = backup(engine, tmp_path / "early.backup")

    restore(new_database, archive, now=clock())

    with write_session(new_database) as session:
        first = issue_ticket(
            session, branch_id=BRANCH, request=TicketCreate(service="certificate"), issuer=staff, now=clock()
        )
    assert first.number == f"C{DEFAULT_SKIP_NUMBERS + 1}"
