"""What a live client is allowed to see and what it starts from: snapshots and missed events.

Every function here runs in one short session (a worker thread), never for a socket's life.
Boards see numbers, counters and neutral labels only: no status tokens, no procedure names.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.auth import service as auth_service
from server.catalog.schemas import TRANSLATED_LANGUAGES
from server.catalog.snapshot import branch_catalog
from server.catalog.translations import localize
from server.errors import Forbidden, NotFound, Unauthorized
from server.models import (
    Counter,
    DeviceKind,
    Event,
    Queue,
    Service,
    Stop,
    Ticket,
)
from server.realtime.bus import Delivery
from server.realtime.events import EventType, event_message, last_event_id
from server.tickets.estimates import estimate_wait_minutes, waiting_per_service
from server.tickets.numbering import business_day, local_time
from server.tickets.schemas import TicketPublic
from server.tickets.service import get_branch, get_ticket_by_token
from server.tickets.views import event_ticket, public_label, ticket_view

# As many as a board keeps (display/board.js RECENT_KEPT): with 20 windows calling, the numbers
# on the tiles alone fill a shorter list and the "just called" column would come back empty.
RECENT_CALLS = 40
GUIDANCE_ROWS = 8
# Events read back to rebuild "recently called" and next-stop guidance for a snapshot.
RECENT_EVENT_WINDOW = 400
CALL_TYPES = (str(EventType.ticket_called), str(EventType.ticket_recalled))
MOVED_ON_TYPES = (str(EventType.ticket_routed), str(EventType.ticket_transferred))


@contextmanager
def consistent_read(engine: Engine, info: Mapping[str, Any] | None = None) -> Iterator[Session]:
    """All reads see one moment (PostgreSQL's default isolation re-reads per statement).

    `info`: the process's caches (server.deps.process_caches), so the rules are not read again.
    """
    with Session(engine, expire_on_commit=False) as session:
        session.info.update(info or {})
        if engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


def authorize_board(session: Session, *, token: str | None, branch_id: str, now: datetime) -> int | None:
    """A display device of this branch (its id, for liveness), or a signed-in staff member of it
    (or of every branch: None)."""
    if not token:
        raise Unauthorized("Add ?token=DISPLAY_OR_STAFF_TOKEN to the URL.", code="missing_token")
    branch = get_branch(session, branch_id)
    device = auth_service.device_for_token(session, token=token)
    if device is not None:
        if device.kind != DeviceKind.display:
            raise Forbidden("Only display boards and staff may follow the event stream.", code="wrong_device")
        if device.branch_id != branch.id:
            raise Forbidden(f"This display belongs to branch {device.branch_id!r}.", code="wrong_branch")
        return device.id
    staff = auth_service.staff_for_token(session, token=token, now=now)
    if staff.branch_id is not None and staff.branch_id != branch.id:
        raise Forbidden(f"Your account belongs to branch {staff.branch_id!r}.", code="wrong_branch")
    return None


def last_branch_event_id(session: Session, branch_id: str) -> int:
    return last_event_id(session, branch_id=branch_id)


def missed_events(
    session: Session, *, branch_id: str, after: int, limit: int, ticket_id: int | None = None
) -> list[Delivery] | None:
    """Events after `after`, in order; None when the client must start over from a snapshot.

    That is when it is too far behind to replay, or when it remembers an id the log never had
    (the database was reset), which would otherwise silence it until ids caught up.
    """
    if after > last_event_id(session):
        return None
    statement = select(Event).where(Event.branch_id == branch_id, col(Event.id) > after)
    if ticket_id is not None:
        statement = statement.where(Event.ticket_id == ticket_id)
    rows = session.exec(statement.order_by(col(Event.id)).limit(limit + 1)).all()
    if len(rows) > limit:
        return None
    return [Delivery(event_message(row), row.ticket_id) for row in rows]


def branch_opening(
    session: Session, *, branch_id: str, after: int | None, now: datetime, sample: int, replay_limit: int
) -> tuple[list[dict[str, Any]], int]:
    """What a board receives first: the events it missed, or else a snapshot; and the last id."""
    if after is not None:
        missed = missed_events(session, branch_id=branch_id, after=after, limit=replay_limit)
        if missed is not None:
            last_id = int(missed[-1].message["id"]) if missed else after
            return [delivery.message for delivery in missed], last_id
    snapshot = branch_snapshot(session, branch_id=branch_id, now=now, sample=sample)
    return [snapshot], int(snapshot["last_event_id"])


def local_names(translations: Mapping[str, Any], path: tuple[str, ...], *, ja: str, en: str) -> dict[str, str]:
    """A name in Japanese, English and each language that translates it: a board shows the others
    in English or Japanese, marked so, never silently."""
    names = {"ja": ja, "en": en}
    for language in TRANSLATED_LANGUAGES:
        local = localize(translations, language, path, ja=ja, en=en)
        if local.lang == language:
            names[language] = local.text
    return names


def waiting_by_label(session: Session, *, branch_id: str, now: datetime, sample: int) -> list[dict[str, Any]]:
    """People waiting per neutral public label (several services share one), with the longest
    estimate; `names` holds the label in every language that translates it."""
    translations = branch_catalog(session, branch_id).branch.settings.get("translations") or {}
    waiting_counts = waiting_per_service(session, branch_id=branch_id)
    rows = session.exec(
        select(Service, Queue)
        .join(Queue, col(Queue.id) == Service.queue_id)
        .where(Service.branch_id == branch_id, col(Service.active), col(Service.citizen_present))
        .order_by(col(Service.position))
    ).all()
    labels: dict[tuple[str, str], dict[str, Any]] = {}
    for service, queue in rows:
        label_ja, label_en = public_label(session, service, queue)
        key = (label_ja, label_en)
        if key not in labels:
            path = ("sensitive_label",) if service.sensitive else ("queues", queue.prefix, "label")
            labels[key] = {
                "label_ja": label_ja,
                "label_en": label_en,
                "names": local_names(translations, path, ja=label_ja, en=label_en),
                "waiting": 0,
                "estimated_wait_minutes": 0,
            }
        entry = labels[key]
        waiting = waiting_counts.get(service.id or 0, 0)
        if waiting:
            entry["waiting"] += waiting
            estimate = estimate_wait_minutes(
                session, service, waiting, now=now, sample=sample, waiting_now=waiting_counts
            )
            entry["estimated_wait_minutes"] = max(entry["estimated_wait_minutes"], estimate)
    return list(labels.values())


def _counter_view(counter: Counter) -> dict[str, Any]:
    return {
        "id": counter.id,
        "name": counter.code,
        "label_ja": counter.name_ja,
        "label_en": counter.name_en,
        "area": counter.area,
        "state": str(counter.state),
    }


def _public_counters(session: Session, branch_id: str) -> list[dict[str, Any]]:
    """Public windows with the number each has in hand; internal desks, and back-office work
    taken at a window, are never shown."""
    counters = session.exec(
        select(Counter)
        .where(Counter.branch_id == branch_id, col(Counter.active), col(Counter.public))
        .order_by(col(Counter.position))
    ).all()
    in_hand = {counter.current_stop_id: counter for counter in counters if counter.current_stop_id is not None}
    tickets: dict[int, Ticket] = {}
    if in_hand:
        for stop, ticket in session.exec(
            select(Stop, Ticket)
            .join(Ticket, col(Ticket.id) == Stop.ticket_id)
            .join(Service, col(Service.id) == Stop.service_id)
            .where(col(Stop.id).in_(list(in_hand)), col(Service.citizen_present))
        ).all():
            assert stop.id is not None
            tickets[stop.id] = ticket
    views = []
    for counter in counters:
        view = _counter_view(counter)
        in_hand_ticket = tickets.get(counter.current_stop_id or 0)
        view["ticket"] = event_ticket(session, in_hand_ticket) if in_hand_ticket is not None else None
        views.append(view)
    return views


def _recent_today(session: Session, branch_id: str, since: datetime) -> list[dict[str, Any]]:
    """Calls, routings and transfers of today, newest first."""
    rows = session.exec(
        select(Event)
        .where(
            Event.branch_id == branch_id,
            col(Event.at) >= since,
            col(Event.type).in_([*CALL_TYPES, *MOVED_ON_TYPES]),
        )
        # Newest by time, walking ix_event_branch_at back from now: ordered by id alone, the
        # planner may walk the id index back through years of history to find today's edge.
        .order_by(col(Event.at).desc(), col(Event.id).desc())
        .limit(RECENT_EVENT_WINDOW)
    ).all()
    return [event_message(row) for row in rows]


def _brief(message: dict[str, Any]) -> dict[str, Any]:
    """A call or routing as the board lists it: number, where, when."""
    counter = message.get("counter") or {}
    return {
        "id": message["id"],
        "type": message["type"],
        "at": message["at"],
        "number": (message.get("ticket") or {}).get("number"),
        "counter": {key: counter.get(key) for key in ("id", "name", "area")} if counter else None,
        "next_counters": message.get("next_counters"),
    }


def recent_calls_and_guidance(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Newest-first calls at public windows, and next-stop guidance. A number is in one place, by
    its newest event: a ticket sent on or transferred since its call leaves the "called" list (it
    no longer belongs at that window), and a routing overtaken by a call leaves the guidance."""
    calls: list[dict[str, Any]] = []
    guidance: list[dict[str, Any]] = []
    placed: set[str] = set()
    for message in messages:
        brief = _brief(message)
        if brief["number"] in placed:
            continue
        placed.add(brief["number"])
        if message["type"] in CALL_TYPES:
            if (message.get("counter") or {}).get("public") and len(calls) < RECENT_CALLS:
                calls.append(brief)
        elif message["type"] == EventType.ticket_routed and brief["next_counters"] and len(guidance) < GUIDANCE_ROWS:
            guidance.append(brief)
    return calls, guidance


def branch_snapshot(session: Session, *, branch_id: str, now: datetime, sample: int) -> dict[str, Any]:
    """Everything a board shows, consistent with `last_event_id` (read in one transaction)."""
    branch = get_branch(session, branch_id)
    last_id = last_branch_event_id(session, branch.id)
    local_midnight = local_time(branch, now).replace(hour=0, minute=0, second=0, microsecond=0)
    calls, guidance = recent_calls_and_guidance(_recent_today(session, branch.id, local_midnight))
    translations = branch.settings.get("translations") or {}
    return {
        "type": "snapshot",
        "last_event_id": last_id,
        "at": now.isoformat(),
        "branch": {
            "id": branch.id,
            "name_ja": branch.name_ja,
            "name_en": branch.name_en,
            "names": local_names(translations, ("branch",), ja=branch.name_ja, en=branch.name_en),
            "timezone": branch.timezone,
            "business_on": business_day(branch, now).isoformat(),
        },
        "counters": _public_counters(session, branch.id),
        "recent_calls": calls,
        "guidance": guidance,
        "waiting": waiting_by_label(session, branch_id=branch.id, now=now, sample=sample),
    }


def ticket_id_for_token(session: Session, *, status_token: str) -> tuple[int, str]:
    """The ticket behind a status link, and its branch."""
    ticket = get_ticket_by_token(session, status_token=status_token)
    assert ticket.id is not None
    return ticket.id, ticket.branch_id


def ticket_snapshot(
    session: Session, *, ticket_id: int, base_url: str, now: datetime, sample: int
) -> tuple[TicketPublic, str | None]:
    """The status page's view, and the queue whose calls move this ticket forward."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("This ticket no longer exists.", code="ticket_not_found")
    queue = event_ticket(session, ticket)["queue"]
    return ticket_view(session, ticket, base_url=base_url, now=now, sample=sample, for_holder=True), queue
