"""Ticket numbers: the business day they restart with and the next number of a prefix."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from server.db import DriverStatement
from server.models import Branch, NumberSequence
from server.realtime.events import branch_event_lock, event_lock_key


def local_time(branch: Branch, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(branch.timezone))


def business_day(branch: Branch, now: datetime) -> date:
    """Numbers restart with the branch's local day, not UTC's."""
    return local_time(branch, now).date()


_NUMBERS: Any = NumberSequence.__table__  # type: ignore[attr-defined]
_NUMBER_KEY = ["branch_id", "business_on", "prefix"]


def _number_upsert(first_number: Any) -> Any:
    """`first_number`, or the next one when the day's row is there already."""
    return first_number.on_conflict_do_update(
        index_elements=_NUMBER_KEY, set_={"last_value": _NUMBERS.c.last_value + 1}
    ).returning(_NUMBERS.c.last_value)


def _first_number_sqlite() -> Any:
    """The day's first number of a prefix (taken when no row is there yet)."""
    return sqlite.insert(_NUMBERS).values({name: bindparam(name) for name in _NUMBER_KEY} | {"last_value": 1})


def _first_number_once_locked() -> Any:
    """PostgreSQL: the same row, selected from the branch's event lock so that the lock comes first
    (SQLite's upsert takes VALUES: it would read a SELECT's ON CONFLICT as a join's)."""
    row = select(*(bindparam(name, type_=_NUMBERS.c[name].type) for name in _NUMBER_KEY), literal(1))
    return postgresql.insert(_NUMBERS).from_select([*_NUMBER_KEY, "last_value"], row.select_from(branch_event_lock()))


# Built once: every ticket takes a number, and building the upsert cost more than running it.
# On PostgreSQL the branch's event lock is taken first, in the same round trip: an issue then
# holds it from its number to its commit, as SQLite's one writer holds the database, so nothing
# else changes who waits while it is placed (waiting_tally.py).
_NEXT_NUMBER = {
    "postgresql": DriverStatement(_number_upsert(_first_number_once_locked()), ()),
    "sqlite": DriverStatement(_number_upsert(_first_number_sqlite()), ()),
}


def next_sequence(session: Session, *, branch_id: str, business_on: date, prefix: str) -> int:
    """Atomically take the next number of the day for a prefix (an upsert, safe under concurrency);
    on PostgreSQL the branch's event lock with it (see _NEXT_NUMBER)."""
    statement = _NEXT_NUMBER[session.get_bind().dialect.name]
    parameters = {
        "branch_id": branch_id,
        "business_on": business_on,
        "prefix": prefix,
        "key": event_lock_key(branch_id),
    }
    return int(statement.scalar(session.connection(), parameters))


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:03d}"
