"""Upgrades: a database the previous release wrote (schema at migration 0005, fixture
release_0005.sql) goes through today's migrations with every row intact, on SQLite and
PostgreSQL; and `madoguchi init` refuses a database a newer release wrote."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, Integer, MetaData, inspect, select, text
from sqlmodel import Session

from server.config import DEFAULT_CONFIG_PATH
from server.database_setup import alembic_config, initialise, migrate
from server.db import create_db_engine, write_session
from server.models import Role, Ticket
from server.operations.upgrade import DatabaseTooNew
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.operations.fixtures.make_release_0005 import FIXTURE, statements
from tests.support import FixedClock, create_database, drop_database, make_staff

PREVIOUS_RELEASE = "0005"
Rows = dict[str, list[dict[str, Any]]]


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[Engine]:
    url = create_database(str(tmp_path))
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def _load_previous_release(engine: Engine) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, PREVIOUS_RELEASE)
    with engine.begin() as connection:
        for statement in statements(FIXTURE.read_text(encoding="utf-8")):
            connection.exec_driver_sql(statement)
        if engine.dialect.name == "postgresql":  # as pg_restore would: sequences past the rows
            for table in inspect(connection).get_table_names():
                columns = {column["name"]: column["type"] for column in inspect(connection).get_columns(table)}
                if isinstance(columns.get("id"), Integer):
                    serial = f"pg_get_serial_sequence('{table}', 'id')"
                    connection.execute(
                        text(f'SELECT setval({serial}, (SELECT max(id) FROM "{table}")) WHERE {serial} IS NOT NULL')
                    )


def _rows(engine: Engine) -> Rows:
    metadata = MetaData()
    metadata.reflect(engine)
    rows: Rows = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [dict(row._mapping) for row in connection.execute(select(table).order_by(*order))]
    return rows


def test_a_database_of_the_previous_release_upgrades_with_every_row_intact(
    empty_database: Engine, clock: FixedClock
) -> None:
    _load_previous_release(empty_database)
    before = _rows(empty_database)
    assert {table: len(before[table]) for table in ("ticket", "stop", "event", "auditentry")} == {
        "ticket": 3,
        "stop": 4,
        "event": 5,
        "auditentry": 2,
    }

    migrate(empty_database)  # what `madoguchi init` runs

    after = _rows(empty_database)
    for table, old_rows in before.items():
        assert len(after[table]) == len(old_rows), table
        for old, new in zip(old_rows, after[table], strict=True):
            assert {column: new[column] for column in old} == old, f"{table} row changed: {old}"
    # Today's code reads what the previous release wrote …
    with Session(empty_database) as session:
        first = session.get(Ticket, 1)
        assert first is not None
        assert first.answers == {"has_children": True}
        assert first.number == "A001"
    settings = after["branch"][0]["settings"]
    assert settings["languages"] == ["ja", "en", "zh"]
    # … and the day's numbering continues where it stopped.
    staff = make_staff(empty_database, "madoguchi-upgrade", Role.municipal, clock())
    with write_session(empty_database) as session:
        fresh = issue_ticket(
            session, branch_id="honcho", request=TicketCreate(service="certificate"), issuer=staff, now=clock()
        )
    assert fresh.number == "C002"


def test_init_refuses_a_database_a_newer_release_wrote(empty_database: Engine) -> None:
    migrate(empty_database)
    with empty_database.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0999_from_the_future'"))
    with pytest.raises(DatabaseTooNew, match="0999_from_the_future") as refused:
        initialise(empty_database, DEFAULT_CONFIG_PATH)
    assert "newer release" in refused.value.message
    with empty_database.connect() as connection:  # nothing was touched
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0999_from_the_future"
        )
        assert connection.execute(text("SELECT count(*) FROM branch")).scalar_one() == 0
