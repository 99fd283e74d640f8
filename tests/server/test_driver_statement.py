"""DriverStatement (server/db.py): the busiest writes run on SQLite's driver directly, and must
store exactly what SQLAlchemy would, fail as SQLAlchemy would, and stay visible to whoever
watches the statements."""

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, exc, insert

from server.db import DriverStatement
from server.models import Event, Ticket, TicketStatus

TICKET = Ticket.__table__  # type: ignore[attr-defined]
EVENT = Event.__table__  # type: ignore[attr-defined]
TICKET_COLUMNS = [column.key for column in TICKET.columns if column.key != "id"]
EVENT_COLUMNS = [column.key for column in EVENT.columns if column.key != "id"]
INSERT_TICKET = insert(TICKET).returning(TICKET.c.id)
INSERT_EVENT = insert(EVENT).returning(EVENT.c.id)
JST = timezone(timedelta(hours=9))


def ticket_values(sequence: int) -> dict[str, Any]:
    return {
        "branch_id": "honcho",
        "business_on": date(2027, 3, 29),
        "prefix": "Z",
        "sequence": sequence,
        "number": f"Z{sequence:03d}",
        "language": "ja",
        "priority_id": None,
        "life_event_id": None,
        "service_id": None,
        "status": TicketStatus.waiting,
        "status_token": secrets.token_urlsafe(24),
        "answers": {"has_children": True, "メモ": "転入"},
        "current_stop": 0,
        "issued_by_device_id": None,
        "issued_by_staff_id": None,
        # Aware, and not in UTC: the column type converts it, on either path.
        "issued_at": datetime(2027, 3, 29, 9, 15, 30, 123456, tzinfo=JST),
        "finished_at": None,
        "request_key": None,
        "appointment": False,
    }


def event_values() -> dict[str, Any]:
    return {
        "branch_id": "honcho",
        "type": "ticket.issued",
        "at": datetime(2027, 3, 29, 0, 15, 30, tzinfo=UTC),
        "ticket_id": None,
        "counter_id": None,
        "payload": {"type": "ticket.issued", "ticket": {"number": "Z001", "label": "住民票の写し"}},
    }


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()


def stored(connection: Connection, table: Any, row_id: int) -> dict[str, Any]:
    """The row as the driver reads it back, no type conversion on the way out."""
    columns = ", ".join(f'"{column.name}"' for column in table.columns if column.key != "id")
    row = connection.exec_driver_sql(f"SELECT {columns} FROM {table.name} WHERE id = {int(row_id)}").one()
    return dict(row._mapping)


def test_a_driver_statement_stores_what_sqlalchemy_stores(connection: Connection) -> None:
    ticket_by_driver = DriverStatement(INSERT_TICKET, TICKET_COLUMNS).scalar(connection, ticket_values(1))
    ticket_by_sqlalchemy = connection.execute(INSERT_TICKET, ticket_values(2)).scalar_one()
    event_by_driver = DriverStatement(INSERT_EVENT, EVENT_COLUMNS).scalar(connection, event_values())
    event_by_sqlalchemy = connection.execute(INSERT_EVENT, event_values()).scalar_one()

    assert isinstance(ticket_by_driver, int)
    assert isinstance(event_by_driver, int)

    def alike(row_id: int) -> dict[str, Any]:  # what two tickets of the same values share
        unique = ("sequence", "number", "status_token")
        return {key: value for key, value in stored(connection, TICKET, row_id).items() if key not in unique}

    assert alike(ticket_by_driver) == alike(ticket_by_sqlalchemy)
    assert stored(connection, EVENT, event_by_driver) == stored(connection, EVENT, event_by_sqlalchemy)
    # Read back through the model's types: the moment is the same, in UTC.
    issued_at = connection.execute(TICKET.select().where(TICKET.c.id == ticket_by_driver)).one().issued_at
    assert issued_at == ticket_values(1)["issued_at"]


def test_a_key_taken_fails_as_through_sqlalchemy(connection: Connection) -> None:
    # Issuing with an Idempotency-Key relies on it: two requests racing meet at a unique index.
    statement = DriverStatement(INSERT_TICKET, TICKET_COLUMNS)
    statement.scalar(connection, ticket_values(7))
    with pytest.raises(exc.IntegrityError):
        statement.scalar(connection, ticket_values(7))  # the day's number Z007 again


def test_watched_statements_go_through_sqlalchemy(engine: Engine) -> None:
    seen: list[str] = []

    def watch(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    statement = DriverStatement(INSERT_EVENT, EVENT_COLUMNS)
    event.listen(engine, "before_cursor_execute", watch)
    try:
        with engine.connect() as watched, watched.begin() as transaction:
            statement.scalar(watched, event_values())
            transaction.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert [sql for sql in seen if sql.startswith("INSERT INTO event")], seen


def test_many_rows_come_back_in_the_order_given(connection: Connection) -> None:
    statement = DriverStatement(insert(TICKET).returning(TICKET.c.id, sort_by_parameter_order=True), TICKET_COLUMNS)
    many = [ticket_values(sequence) for sequence in (31, 32, 33)]
    ids = statement.scalars_of_each(connection, many)
    numbers = [stored(connection, TICKET, row_id)["number"] for row_id in ids]
    assert numbers == ["Z031", "Z032", "Z033"]
