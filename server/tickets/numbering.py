"""Ticket numbers: the business day they restart with and the next number of a prefix."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from server.db import DriverStatement
from server.models import Branch, NumberSequence


def local_time(branch: Branch, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(branch.timezone))


def business_day(branch: Branch, now: datetime) -> date:
    """Numbers restart with the branch's local day, not UTC's."""
    return local_time(branch, now).date()


def _number_upsert(insert: Any) -> Any:
    table = NumberSequence.__table__  # type: ignore[attr-defined]
    return (
        insert(table)
        .values(
            branch_id=bindparam("branch_id"),
            business_on=bindparam("business_on"),
            prefix=bindparam("prefix"),
            last_value=1,
        )
        .on_conflict_do_update(
            index_elements=["branch_id", "business_on", "prefix"], set_={"last_value": table.c.last_value + 1}
        )
        .returning(table.c.last_value)
    )


# Built once: every ticket takes a number, and building the upsert cost more than running it.
_NEXT_NUMBER = {
    "postgresql": DriverStatement(_number_upsert(postgresql.insert), ()),
    "sqlite": DriverStatement(_number_upsert(sqlite.insert), ()),
}


def next_sequence(session: Session, *, branch_id: str, business_on: date, prefix: str) -> int:
    """Atomically take the next number of the day for a prefix (an upsert, safe under concurrency)."""
    statement = _NEXT_NUMBER[session.get_bind().dialect.name]
    parameters = {"branch_id": branch_id, "business_on": business_on, "prefix": prefix}
    return int(statement.scalar(session.connection(), parameters))


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:03d}"
