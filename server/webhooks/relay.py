"""From the event log to webhook deliveries: nothing missed, nothing twice.

Per branch, a cursor holds the last event turned into deliveries. One transaction reads the events
after it, writes an outbox row per webhook and receiver, and moves the cursor: both commit or
neither does, so a crash in between repeats nothing and loses nothing. Events of a branch commit
in id order (server/realtime/events.py serialises their writers on PostgreSQL), so no event can
appear later behind the cursor. Several processes may run the relay: the cursor row is locked
(FOR UPDATE on PostgreSQL; SQLite's write lock), the second one then reads the moved cursor.

Event → webhook: `ticket.issued` → `ticket.issued`; `ticket.completed` → `stop.completed` (and
`ticket.finished` when it was the last stop); `ticket.no_show` → `ticket.finished` (status no_show).
A receiver gets the events from when it (or the first receiver of its branch) was added.
"""

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, exists, func, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from server.db import read_session, write_session
from server.models import Event, Stop, Ticket, WebhookCursor, WebhookReceiver
from server.outbox.store import KIND_WEBHOOK, enqueue, new_delivery_id
from server.realtime.events import EventType
from server.visits.records import Names, completed_stop, iso, stop_record, stops_of, ticket_record, visit_record

TICKET_ISSUED = "ticket.issued"
STOP_COMPLETED = "stop.completed"
TICKET_FINISHED = "ticket.finished"
WEBHOOK_TYPES = (TICKET_ISSUED, STOP_COMPLETED, TICKET_FINISHED)
SOURCE_TYPES = (str(EventType.ticket_issued), str(EventType.ticket_completed), str(EventType.ticket_no_show))
RELAY_BATCH = 500


def ordering_key(receiver_id: int, ticket_id: int) -> str:
    return f"webhook:{receiver_id}:ticket:{ticket_id}"


def newest_event_id(session: Session, branch_id: str) -> int:
    newest = session.exec(select(func.max(Event.id)).where(Event.branch_id == branch_id)).one()
    return int(newest or 0)


def ensure_cursor(session: Session, branch_id: str) -> None:
    """Start relaying a branch from now on (its newest event), unless it already has a cursor."""
    values = {"branch_id": branch_id, "last_event_id": newest_event_id(session, branch_id)}
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(WebhookCursor).values(**values).on_conflict_do_nothing(index_elements=["branch_id"]))


def receivers_for(session: Session, branch_id: str) -> list[WebhookReceiver]:
    return list(
        session.exec(
            select(WebhookReceiver)
            .where(
                col(WebhookReceiver.enabled),
                or_(col(WebhookReceiver.branch_id) == branch_id, col(WebhookReceiver.branch_id).is_(None)),
            )
            .order_by(col(WebhookReceiver.id))
        ).all()
    )


def branches_behind(engine: Engine) -> list[str]:
    """Branches whose log has events past their cursor (a plain read: most rounds find none)."""
    with read_session(engine) as session:
        newer = exists().where(
            col(Event.branch_id) == col(WebhookCursor.branch_id), col(Event.id) > col(WebhookCursor.last_event_id)
        )
        return list(session.exec(select(WebhookCursor.branch_id).where(newer)).all())


def _webhooks_of(
    event: Event, ticket: Ticket, stops: Sequence[Stop], names: Names
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(webhook type, its fields beyond the common ones) for one event."""
    if event.type == EventType.ticket_issued:
        yield TICKET_ISSUED, {"ticket": ticket_record(ticket, names)}
        return
    status = ((event.payload or {}).get("ticket") or {}).get("status")
    if event.type == EventType.ticket_completed:
        stop = completed_stop(stops, at=event.at, counter_id=event.counter_id)
        yield (
            STOP_COMPLETED,
            {
                "ticket": ticket_record(ticket, names),
                "stop": stop_record(stop, names) if stop else None,
            },
        )
        if status != "done":
            return
    elif status is None:
        status = "no_show"
    visit = visit_record(ticket, stops, names)
    visit["status"] = status
    visit["finished_at"] = iso(event.at)
    stops_part = visit.pop("stops")
    yield TICKET_FINISHED, {"ticket": visit, "stops": stops_part}


def relay_branch(engine: Engine, branch_id: str, *, now: datetime) -> int:
    """Turns the next batch of a branch's events into deliveries; returns how many events it read."""
    with write_session(engine) as session:
        cursor = session.exec(
            select(WebhookCursor).where(WebhookCursor.branch_id == branch_id).with_for_update()
        ).first()
        if cursor is None:
            return 0
        events = list(
            session.exec(
                select(Event)
                .where(Event.branch_id == branch_id, col(Event.id) > cursor.last_event_id)
                .order_by(col(Event.id))
                .limit(RELAY_BATCH)
            ).all()
        )
        if not events:
            return 0
        relevant = [event for event in events if event.type in SOURCE_TYPES and event.ticket_id is not None]
        receivers = receivers_for(session, branch_id) if relevant else []
        if receivers:
            ids = {event.ticket_id for event in relevant if event.ticket_id is not None}
            tickets = {t.id: t for t in session.exec(select(Ticket).where(col(Ticket.id).in_(ids))).all()}
            stops = stops_of(session, ids)
            names = Names.read(session, branch_id)
            for event in relevant:
                ticket = tickets.get(event.ticket_id)
                if ticket is None or ticket.id is None:
                    continue
                for hook_type, fields in _webhooks_of(event, ticket, stops.get(ticket.id, []), names):
                    for receiver in receivers:
                        assert receiver.id is not None
                        _enqueue(session, receiver, event, ticket, hook_type, fields, now=now)
        cursor.last_event_id = int(events[-1].id or 0)
        session.add(cursor)
        session.commit()
        return len(events)


def _enqueue(
    session: Session,
    receiver: WebhookReceiver,
    event: Event,
    ticket: Ticket,
    hook_type: str,
    fields: dict[str, Any],
    *,
    now: datetime,
) -> None:
    assert receiver.id is not None
    assert ticket.id is not None
    delivery_id = new_delivery_id()
    body: dict[str, Any] = {
        "id": delivery_id,
        "type": hook_type,
        "event_id": event.id,
        "occurred_at": iso(event.at),
        "branch": event.branch_id,
        **fields,
    }
    if receiver.include_answers:
        # Only for a receiver configured to get them: they describe a citizen's life.
        body["ticket"] = {**body["ticket"], "answers": dict(ticket.answers)}
    enqueue(
        session,
        kind=KIND_WEBHOOK,
        payload={
            "type": hook_type,
            "number": ticket.number,
            "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        },
        now=now,
        branch_id=event.branch_id,
        receiver_id=receiver.id,
        ordering_key=ordering_key(receiver.id, ticket.id),
        reference=f"event:{event.id}",
        delivery_id=delivery_id,
    )


def relay_events(engine: Engine, *, now: datetime) -> int:
    """Every branch brought up to date; returns how many events were read."""
    total = 0
    for branch_id in branches_behind(engine):
        while True:
            read = relay_branch(engine, branch_id, now=now)
            total += read
            if read < RELAY_BATCH:
                break
    return total
