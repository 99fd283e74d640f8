"""The visits export: one line per visit of a range of business days, CSV or JSON Lines, streamed.

Tickets are read in pages (keyset on the id) with a fresh session each, so a year's export never
holds the whole range in memory nor one long transaction. The range is checked before the first
byte goes out, so a bad one is a clear 4xx rather than a broken download.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from server.db import read_session
from server.errors import Unprocessable
from server.models import Stop, Ticket
from server.visits.records import Names, stops_of, visit_record

PAGE_SIZE = 500
MAX_DAYS = 366

VISIT_COLUMNS = (
    "number",
    "business_day",
    "life_event",
    "service",
    "language",
    "priority",
    "status",
    "issued_at",
    "finished_at",
)
STOP_COLUMNS = ("service", "stage", "status", "counter", "staff", "waited_minutes", "served_minutes")


@dataclass(frozen=True)
class VisitRange:
    branch_id: str
    first: date
    last: date


def parse_range(first: str, last: str) -> tuple[date, date]:
    days: list[date] = []
    for name, text in (("from", first), ("to", last)):
        try:
            days.append(date.fromisoformat(text))
        except ValueError:
            raise Unprocessable(
                f"{name}={text!r} is not a date; write it as YYYY-MM-DD (for example 2026-04-01).",
                code="invalid_date",
            ) from None
    start, end = days
    if start > end:
        raise Unprocessable(f"from ({start}) is after to ({end}); give the earlier day first.", code="invalid_range")
    if (end - start).days + 1 > MAX_DAYS:
        raise Unprocessable(
            f"The range has {(end - start).days + 1} days; export at most {MAX_DAYS} days at a time.",
            code="range_too_long",
        )
    return start, end


def _in_range(visits: VisitRange) -> Any:
    return (
        col(Ticket.branch_id) == visits.branch_id,
        col(Ticket.business_on) >= visits.first,
        col(Ticket.business_on) <= visits.last,
    )


def most_stops(session: Session, visits: VisitRange) -> int:
    """The longest route in the range: the CSV's stop columns are fixed before the first line."""
    longest = session.exec(
        select(func.max(Stop.position)).join(Ticket, col(Ticket.id) == col(Stop.ticket_id)).where(*_in_range(visits))
    ).one()
    return 0 if longest is None else int(longest) + 1


def visit_pages(engine: Engine, visits: VisitRange) -> Iterator[list[dict[str, Any]]]:
    """The range's visits as records, a page at a time, in issue order."""
    after = 0
    with read_session(engine) as session:
        names = Names.read(session, visits.branch_id)
    while True:
        with read_session(engine) as session:
            tickets = session.exec(
                select(Ticket)
                .where(*_in_range(visits), col(Ticket.id) > after)
                .order_by(col(Ticket.id))
                .limit(PAGE_SIZE)
            ).all()
            if not tickets:
                return
            stops = stops_of(session, [ticket.id for ticket in tickets if ticket.id is not None])
            yield [visit_record(ticket, stops.get(ticket.id or 0, []), names) for ticket in tickets]
        after = int(tickets[-1].id or 0)
        if len(tickets) < PAGE_SIZE:
            return


def jsonl_lines(engine: Engine, visits: VisitRange) -> Iterator[str]:
    for page in visit_pages(engine, visits):
        yield "".join(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n" for record in page)


def csv_header(stop_count: int) -> list[str]:
    header = list(VISIT_COLUMNS)
    for index in range(1, stop_count + 1):
        header.extend(f"stop{index}_{name}" for name in STOP_COLUMNS)
    return header


def csv_row(record: dict[str, Any], stop_count: int) -> list[Any]:
    row: list[Any] = [record[name] for name in VISIT_COLUMNS]
    for stop in record["stops"][:stop_count]:
        row.extend(stop[name] for name in STOP_COLUMNS)
    row.extend([""] * (len(VISIT_COLUMNS) + len(STOP_COLUMNS) * stop_count - len(row)))
    return ["" if value is None else value for value in row]


def csv_lines(engine: Engine, visits: VisitRange, stop_count: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # A byte-order mark so that Excel, where the lines usually end up, reads UTF-8.
    buffer.write("\ufeff")
    writer.writerow(csv_header(stop_count))
    yield buffer.getvalue()
    for page in visit_pages(engine, visits):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(csv_row(record, stop_count) for record in page)
        yield buffer.getvalue()
