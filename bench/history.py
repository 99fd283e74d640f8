"""Years of finished tickets, written straight into the database with bulk SQL (not the API).

Each past business day gets `per_day` tickets spread over opening hours, numbered per queue
from 001 like the server does; each ticket has one stop that ended done (or no-show) at a counter
serving it, and one final event — or, with `visit_events`, the whole visit's events (issued,
called, recalled, serving, routed, completed: about six a ticket, as a real log has) and each
counter's opening and closing of the day. Nothing here is waiting, so a queue engine that only
reads waiting stops should not notice any of it.
"""

import itertools
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

TICKET_COLUMNS = (
    "id, branch_id, business_on, prefix, sequence, number, language, priority_id, life_event_id, "
    "service_id, status, status_token, answers, current_stop, issued_by_device_id, "
    "issued_by_staff_id, issued_at, finished_at"
)
STOP_COLUMNS = (
    "id, ticket_id, position, service_id, status, is_priority, counter_id, staff_id, staff_role, "
    "recall_count, sort_at, waiting_since, called_at, started_at, completed_at"
)
EVENT_COLUMNS = "id, branch_id, type, at, ticket_id, counter_id, payload"
SEQUENCE_COLUMNS = "branch_id, business_on, prefix, last_value"
NO_SHOW_SHARE = 0.07
OPENS_AT_MINUTES = 8 * 60 + 30
ISSUING_MINUTES = 8 * 60 + 30  # 08:30 to 17:00


@dataclass(frozen=True)
class ServiceRow:
    id: int
    key: str
    prefix: str
    typical_minutes: float
    counter_ids: tuple[int, ...]


@dataclass(frozen=True)
class Catalog:
    branch_id: str
    zone: ZoneInfo
    services: tuple[ServiceRow, ...]


# A visit's events before its final one (with visit_events): times are offsets from the call.
VISIT_EVENTS_BEFORE_CALL = ("ticket.issued",)
VISIT_EVENTS_AFTER_CALL = ("ticket.recalled", "ticket.serving", "ticket.routed")


@dataclass
class Rows:
    tickets: list[tuple[Any, ...]]
    stops: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    sequences: list[tuple[Any, ...]]


@dataclass(frozen=True)
class HistoryStats:
    tickets: int
    events: int
    business_days: int
    first_day: date | None
    last_day: date | None
    seconds: float


def load_catalog(engine: Engine, branch_id: str) -> Catalog:
    """The citizen-facing kiosk services of the branch and the counters serving each."""
    with engine.connect() as connection:
        zone = connection.execute(
            text("SELECT timezone FROM branch WHERE id = :branch"), {"branch": branch_id}
        ).scalar_one()
        services = connection.execute(
            text(
                "SELECT service.id, service.key, queue.prefix, service.typical_minutes "
                "FROM service JOIN queue ON queue.id = service.queue_id "
                "WHERE service.branch_id = :branch AND service.active AND service.kiosk "
                "AND service.citizen_present ORDER BY service.position, service.id"
            ),
            {"branch": branch_id},
        ).all()
        links = connection.execute(text("SELECT service_id, counter_id FROM counterservice ORDER BY counter_id")).all()
    counters: dict[int, list[int]] = {}
    for service_id, counter_id in links:
        counters.setdefault(service_id, []).append(counter_id)
    rows = tuple(
        ServiceRow(id, key, prefix, float(minutes), tuple(counters.get(id, ())))
        for id, key, prefix, minutes in services
    )
    return Catalog(branch_id=branch_id, zone=ZoneInfo(zone), services=rows)


def past_business_days(today: date, count: int) -> list[date]:
    """`count` weekdays before `today`, oldest first (holidays are ignored: close enough)."""
    days: list[date] = []
    day = today
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days[::-1]


def _utc(moment: datetime) -> datetime:
    """Naive UTC, as the UTCDateTime column stores it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def generate_day(
    catalog: Catalog,
    day: date,
    tickets: int,
    *,
    first_id: int,
    random_source: random.Random,
    weights: Sequence[float],
    first_event_id: int | None = None,
    visit_events: bool = False,
) -> Rows:
    """One business day of finished tickets; ids start at first_id (tickets and stops) and at
    first_event_id (events; by default first_id, one event a ticket)."""
    opening = datetime(day.year, day.month, day.day, tzinfo=catalog.zone) + timedelta(minutes=OPENS_AT_MINUTES)
    rows = Rows([], [], [], [])
    events: list[tuple[Any, ...]] = []

    def add_event(event_type: str, at: datetime, ticket_id: int | None, counter_id: int | None, ticket: Any) -> None:
        payload = {
            "type": event_type,
            "at": at.replace(tzinfo=UTC).isoformat(),
            "branch": catalog.branch_id,
            "ticket": ticket,
            "counter": {"id": counter_id, "public": True} if counter_id else None,
        }
        events.append((catalog.branch_id, event_type, at, ticket_id, counter_id, json.dumps(payload)))

    counters = sorted({counter for service in catalog.services for counter in service.counter_ids})
    if visit_events:
        for counter_id in counters:
            add_event("counter.opened", _utc(opening), None, counter_id, None)
    offsets = sorted(random_source.uniform(0, ISSUING_MINUTES) for _ in range(tickets))
    chosen = random_source.choices(catalog.services, weights=weights, k=tickets)
    sequences: dict[str, int] = {}
    for index, (offset, service) in enumerate(zip(offsets, chosen, strict=True)):
        row_id = first_id + index
        sequence = sequences[service.prefix] = sequences.get(service.prefix, 0) + 1
        number = f"{service.prefix}{sequence:03d}"
        issued_at = _utc(opening + timedelta(minutes=offset))
        called_at = issued_at + timedelta(minutes=random_source.uniform(1, 45))
        counter_id = random_source.choice(service.counter_ids) if service.counter_ids else None
        if random_source.random() < NO_SHOW_SHARE:
            status, started_at = "no_show", None
            completed_at = called_at + timedelta(minutes=5)
        else:
            status, started_at = "done", called_at + timedelta(minutes=1)
            minutes = service.typical_minutes * random_source.uniform(0.5, 1.8)
            completed_at = started_at + timedelta(minutes=minutes)
        rows.tickets.append(
            (
                row_id,
                catalog.branch_id,
                day,
                service.prefix,
                sequence,
                number,
                "ja",
                None,
                None,
                service.id,
                status,
                f"history-{row_id:012d}",
                "{}",
                None if status == "done" else 0,
                None,
                None,
                issued_at,
                completed_at,
            )
        )
        rows.stops.append(
            (
                row_id,
                row_id,
                0,
                service.id,
                status,
                False,
                counter_id,
                None,
                "municipal",
                0,
                issued_at,
                issued_at,
                called_at,
                started_at,
                completed_at,
            )
        )
        ticket = {"number": number, "status": status, "queue": service.prefix}
        if visit_events:
            add_event("ticket.issued", issued_at, row_id, None, ticket)
            add_event("ticket.called", called_at, row_id, counter_id, ticket)
            after_call = VISIT_EVENTS_AFTER_CALL if status == "done" else VISIT_EVENTS_AFTER_CALL[:1]
            for step, event_type in enumerate(after_call, start=1):
                at = called_at + (completed_at - called_at) * step / (len(after_call) + 1)
                add_event(event_type, at, row_id, counter_id, ticket)
        add_event(
            "ticket.completed" if status == "done" else "ticket.no_show", completed_at, row_id, counter_id, ticket
        )
    if visit_events:
        closing = _utc(opening + timedelta(minutes=ISSUING_MINUTES + 60))
        for counter_id in counters:
            add_event("counter.closed", closing, None, counter_id, None)
        # The log's ids follow time, as the server's do.
        events.sort(key=lambda event: event[2])
    event_ids = itertools.count(first_id if first_event_id is None else first_event_id)
    rows.events.extend((next(event_ids), *event) for event in events)
    rows.sequences.extend((catalog.branch_id, day, prefix, last) for prefix, last in sequences.items())
    return rows


def generate(
    catalog: Catalog,
    *,
    total: int,
    per_day: int,
    today: date,
    seed: int,
    visit_events: bool = False,
    first_event_id: int = 1,
) -> Iterator[Rows]:
    """`total` tickets over as many past business days as it takes, oldest day first."""
    random_source = random.Random(seed)
    # Certificates are the most common errand at a one-stop counter; the rest share evenly.
    weights = [6.0 if service.key == "certificate" else 1.0 for service in catalog.services]
    days = past_business_days(today, -(-total // per_day)) if total else []
    next_id, next_event_id, left = 1, first_event_id, total
    for day in days:
        count = min(per_day, left)
        rows = generate_day(
            catalog,
            day,
            count,
            first_id=next_id,
            first_event_id=next_event_id,
            random_source=random_source,
            weights=weights,
            visit_events=visit_events,
        )
        yield rows
        next_id, next_event_id, left = next_id + count, next_event_id + len(rows.events), left - count


def _sqlite_value(value: Any) -> Any:
    # The formats SQLAlchemy's SQLite dialect writes: ISO text for dates, 0/1 for booleans.
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class _Writer:
    """Bulk writes on one raw connection: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.postgresql = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        driver = self.raw.driver_connection
        assert driver is not None
        self.driver: Any = driver
        # Settings below are for this load only: close the connection for real, never pool it.
        self.raw.detach()
        if not self.postgresql:
            # A throwaway bulk load: durability of each batch does not matter, speed does.
            self.driver.execute("PRAGMA synchronous=OFF")
            # Index pages are touched all over; a large page cache avoids spilling them to the WAL.
            self.driver.execute("PRAGMA cache_size=-262144")
            self.driver.execute("BEGIN IMMEDIATE")

    def write(self, table: str, columns: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.postgresql:
            with self.driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns.split(","))
        self.driver.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - names are this module's constants
            ([_sqlite_value(value) for value in row] for row in rows),
        )

    def finish(self) -> None:
        if self.postgresql:
            with self.driver.cursor() as cursor:
                # COPY with explicit ids leaves the serial sequences behind.
                for table in ("ticket", "stop", "event"):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - constant names
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                # Autovacuum would analyse tables this size soon after; do it now.
                cursor.execute("ANALYZE")
            self.driver.commit()
        else:
            self.driver.execute("COMMIT")
            self.driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.raw.close()


def insert_history(
    engine: Engine,
    *,
    branch_id: str,
    total: int,
    per_day: int,
    today: date,
    seed: int = 42,
    visit_events: bool = False,
) -> HistoryStats:
    """Write `total` finished tickets (with stops, events and number sequences) before `today`."""
    catalog = load_catalog(engine, branch_id)
    with engine.connect() as connection:
        # `madoguchi init` logs its catalog change: history's events come after it.
        first_event_id = connection.execute(text("SELECT coalesce(max(id), 0) + 1 FROM event")).scalar_one()
    started = time.perf_counter()
    writer = _Writer(engine)
    days: list[date] = []
    events = 0
    batch = Rows([], [], [], [])
    try:
        for rows in generate(
            catalog,
            total=total,
            per_day=per_day,
            today=today,
            seed=seed,
            visit_events=visit_events,
            first_event_id=first_event_id,
        ):
            days.append(rows.sequences[0][1])
            events += len(rows.events)
            for name in ("tickets", "stops", "events", "sequences"):
                getattr(batch, name).extend(getattr(rows, name))
            if len(batch.tickets) >= 50_000:
                _flush(writer, batch)
                batch = Rows([], [], [], [])
        _flush(writer, batch)
        writer.finish()
    except BaseException:
        writer.raw.close()
        raise
    return HistoryStats(
        tickets=total,
        events=events,
        business_days=len(days),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        seconds=round(time.perf_counter() - started, 1),
    )


def _flush(writer: _Writer, batch: Rows) -> None:
    # Parents first: foreign keys are on.
    writer.write("ticket", TICKET_COLUMNS, batch.tickets)
    writer.write("stop", STOP_COLUMNS, batch.stops)
    writer.write("event", EVENT_COLUMNS, batch.events)
    writer.write("numbersequence", SEQUENCE_COLUMNS, batch.sequences)
