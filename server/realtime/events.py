"""The event log: every state change is appended here inside the changing transaction.

The stored payload is exactly what WebSocket clients receive (plus the id, and the audio link
derived from it), so a replay after a reconnect is a plain read. Payloads carry numbers,
counters and neutral labels only.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, NotRequired, TypedDict, cast

import sqlalchemy as sa
from sqlalchemy import Table, Text, bindparam, func, insert, literal
from sqlmodel import Session, col, select

from server.db import DriverStatement
from server.models import Counter, Event, Ticket

PENDING_EVENTS_KEY = "madoguchi_pending_events"
NOTIFY_CHANNEL = "madoguchi_events"
EVENT_TABLE: Table = Event.__table__  # type: ignore[attr-defined]


class EventType(StrEnum):
    ticket_issued = "ticket.issued"
    ticket_called = "ticket.called"
    ticket_recalled = "ticket.recalled"
    ticket_serving = "ticket.serving"
    ticket_routed = "ticket.routed"
    ticket_completed = "ticket.completed"
    ticket_no_show = "ticket.no_show"
    ticket_transferred = "ticket.transferred"
    # An internal desk took back-office work: not a call, never shown or announced.
    ticket_taken = "ticket.taken"
    ticket_rerouted = "ticket.rerouted"
    ticket_reinstated = "ticket.reinstated"
    # The branch's rules changed: every process reads them afresh (see server/catalog/snapshot.py).
    catalog_changed = "catalog.changed"
    # A sign-in ended, an account was disabled or a device revoked: every process forgets the
    # token at once (server/auth/principals.py). Carries the row id only.
    access_revoked = "access.revoked"
    counter_opened = "counter.opened"
    counter_closed = "counter.closed"
    device_health = "device.health"
    kiosk_help_requested = "kiosk.help_requested"


# --- payloads: what the writer stores and every reader (boards, status pages, announcer,
# caches, consoles) receives. Numbers, counters and neutral labels only.


class TicketRef(TypedDict):
    """What displays may know of a ticket (server/tickets/views.py: event_ticket)."""

    number: str
    status: str
    priority: bool
    stop: int | None  # index of the current stop in the route
    stops: int
    queue: str | None  # the current stop's queue prefix
    label_ja: str | None  # neutral for a sensitive procedure
    label_en: str | None
    citizen_present: bool | None


class CounterRef(TypedDict):
    id: int | None
    name: str  # the window's code: "7", "R1"
    label_ja: str
    label_en: str
    area: str | None
    public: bool


class EventPayload(TypedDict):
    """One logged event as stored; the client message adds `id` (and `audio_url` for a spoken call)."""

    type: str
    at: str
    branch: str
    ticket: TicketRef | None
    counter: CounterRef | None
    # By type: recall_count (recalled), continued (completed), call (called: "ready_for_pickup"),
    # next_counters (routed), staff / device (access.revoked), reason (transferred, rerouted) …
    recall_count: NotRequired[int]
    continued: NotRequired[bool]
    call: NotRequired[str]
    next_counters: NotRequired[str | None]


def counter_ref(counter: Counter | None) -> CounterRef | None:
    if counter is None:
        return None
    return CounterRef(
        id=counter.id,
        name=counter.code,
        label_ja=counter.name_ja,
        label_en=counter.name_en,
        area=counter.area,
        public=counter.public,
    )


# A plain INSERT … RETURNING, built once: the log is append-only, so the unit of work has
# nothing to track, and every state change writes one.
_EVENT_COLUMNS = ("branch_id", "type", "at", "ticket_id", "counter_id", "payload")
_INSERT_EVENT = DriverStatement(insert(EVENT_TABLE).returning(EVENT_TABLE.c.id), _EVENT_COLUMNS)


def branch_event_lock() -> Any:
    """PostgreSQL: a CTE taking the branch's event lock (bound as `key`: `event_lock_key`), held
    until the transaction ends. Serialising event writers per branch makes ids commit in id
    order, so a client resuming "after N" never misses an event that committed late with a
    smaller id. Taking it again in the same transaction is free (issuing takes it with the number)."""
    return select(func.pg_advisory_xact_lock(func.hashtext(bindparam("key")))).cte("locked")


def event_lock_key(branch_id: str) -> str:
    return f"events:{branch_id}"


def appended_event(ticket_id: Any) -> tuple[Any, Any]:
    """PostgreSQL: a CTE appending one event once the branch's event lock is taken (before the
    new row draws its id), and the expression notifying every process of it. `ticket_id`: a bound
    value, or the id of a ticket written by the same statement (issuing: service.py).

    NOTIFY is transactional (delivered on commit, dropped on rollback); its text is
    {"id": …, "ticket_id": …, "payload": …}, the ids filled in by the database and the rest bound
    as `rest` (`EventDraft.notification_rest`)."""
    locked = branch_event_lock()
    given = {name: bindparam(name, type_=EVENT_TABLE.c[name].type) for name in _EVENT_COLUMNS}
    values = select(*(ticket_id if name == "ticket_id" else given[name] for name in _EVENT_COLUMNS)).select_from(locked)
    written = insert(EVENT_TABLE).from_select(list(_EVENT_COLUMNS), values).returning(EVENT_TABLE.c.id).cte("written")
    notification = (
        literal('{"id": ')
        + sa.cast(written.c.id, Text)
        + literal(', "ticket_id": ')
        + func.coalesce(sa.cast(ticket_id, Text), "null")
        + literal(", ")
        + bindparam("rest", type_=Text)
    )
    return written, func.pg_notify(NOTIFY_CHANNEL, notification)


def _append_event_postgresql() -> Any:
    written, notified = appended_event(bindparam("ticket_id", type_=EVENT_TABLE.c.ticket_id.type))
    return select(written.c.id, notified)


_APPEND_EVENT_POSTGRESQL = _append_event_postgresql()


class EventDraft(NamedTuple):
    """An event about to be appended: its row's values and the payload readers receive."""

    values: dict[str, Any]
    payload: EventPayload

    def of_ticket(self, ticket_id: int) -> "EventDraft":
        return EventDraft(self.values | {"ticket_id": ticket_id}, self.payload)

    def notification_rest(self) -> str:
        """The notification after its ids (see `appended_event`)."""
        return json.dumps({"payload": self.payload}, ensure_ascii=False)[1:]


def draft_event(
    *,
    type: EventType,
    branch_id: str,
    now: datetime,
    ticket_id: int | None = None,
    ticket_view: TicketRef | None = None,
    counter: Counter | None = None,
    **extra: Any,
) -> EventDraft:
    """An event's row and payload, before it is appended (record_event; issuing writes its own
    with the ticket: server/tickets/service.py)."""
    # The extras are named in EventPayload and checked by their readers.
    payload = cast(
        EventPayload,
        {
            "type": str(type),
            "at": now.isoformat(),
            "branch": branch_id,
            "ticket": ticket_view,
            "counter": counter_ref(counter),
            **extra,
        },
    )
    values = {
        "branch_id": branch_id,
        "type": str(type),
        "at": now,
        "ticket_id": ticket_id,
        "counter_id": counter.id if counter else None,
        "payload": payload,
    }
    return EventDraft(values, payload)


def record_event(
    session: Session,
    *,
    type: EventType,
    branch_id: str,
    now: datetime,
    ticket: Ticket | None = None,
    ticket_view: TicketRef | None = None,
    counter: Counter | None = None,
    **extra: Any,
) -> int:
    """Append one event (its id is returned); it is published only if the transaction commits."""
    draft = draft_event(
        type=type,
        branch_id=branch_id,
        now=now,
        ticket_id=ticket.id if ticket else None,
        ticket_view=ticket_view,
        counter=counter,
        **extra,
    )
    return append_event(session, draft)


def append_event(session: Session, draft: EventDraft) -> int:
    """Append a drafted event (see record_event)."""
    # Plain statements on the transaction's connection: the ORM's execution layer adds nothing
    # to an append-only log and costs every state change.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        values = draft.values | {"key": event_lock_key(draft.values["branch_id"]), "rest": draft.notification_rest()}
        event_id = connection.execute(_APPEND_EVENT_POSTGRESQL, values).scalar_one()
    else:
        event_id = _INSERT_EVENT.scalar(connection, draft.values)
    assert isinstance(event_id, int)
    published_on_commit(session, draft, event_id)
    return event_id


def published_on_commit(session: Session, draft: EventDraft, event_id: int) -> None:
    """The appended event goes to this process's caches and the bus when the transaction commits."""
    session.info.setdefault(PENDING_EVENTS_KEY, []).append(
        (draft.values["ticket_id"], message_of(event_id, draft.payload))
    )


# Types that change who waits where, and so move other tickets forward or back (a board's waiting
# counts, a status page's people ahead). Serving, and completing without routing, do not.
WAITING_CHANGES = frozenset(
    {
        EventType.ticket_issued,
        EventType.ticket_called,
        EventType.ticket_taken,
        EventType.ticket_routed,
        EventType.ticket_transferred,
        EventType.ticket_no_show,
        EventType.ticket_rerouted,
        EventType.ticket_reinstated,
        EventType.counter_opened,
        EventType.counter_closed,
    }
)
ANNOUNCED_TYPES = frozenset({EventType.ticket_called, EventType.ticket_recalled})
ANNOUNCEMENT_URL = "/api/v1/announcements/{event_id}.wav"


def is_announced(payload: Mapping[str, Any]) -> bool:
    """Calls at public windows are spoken in the lobby; internal desks never are."""
    counter = payload.get("counter") or {}
    return payload.get("type") in ANNOUNCED_TYPES and bool(counter.get("public"))


def event_message(event: Event) -> dict[str, Any]:
    """The client message of a logged event (see message_of)."""
    assert event.id is not None
    return message_of(event.id, event.payload)


def message_of(event_id: int, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The client message: the stored payload, its id and, for a spoken call, where its audio is."""
    message: dict[str, Any] = {"id": event_id, **payload}
    if is_announced(payload):
        # Derived from the id, so a replay carries the same link as the live message did.
        message["audio_url"] = ANNOUNCEMENT_URL.format(event_id=event_id)
    return message


def last_event_id(session: Session, *, branch_id: str | None = None) -> int:
    """The newest id in the log (or in one branch's part of it); 0 when it is empty."""
    statement = select(func.coalesce(func.max(col(Event.id)), 0))
    if branch_id is not None:
        statement = statement.where(Event.branch_id == branch_id)
    return int(session.exec(statement).one() or 0)
