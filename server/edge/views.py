"""What the city hall pushes to the edge, read from the database: holders' views and congestion.

Every function takes a short read session and returns plain JSON-ready data. The views are the
ones the status link gets from the server itself (`ticket_view(for_holder=True)`): numbers,
statuses, positions, estimates and neutral labels, sensitive stops named "notification".
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from server.catalog.snapshot import branch_catalog
from server.models import Branch, Service, Stop, StopStatus, Ticket, TicketStatus
from server.tickets.estimates import positions_and_waits
from server.tickets.numbering import business_day
from server.tickets.views import queue_overview, routes_of, ticket_view

Held = dict[str, Any]

# The parts of an event message a status page uses (its type and id for the call alert) and may
# see; the audio link and counter details stay on the city hall's network.
EVENT_FIELDS = ("id", "type", "at", "branch", "ticket")


def edge_event(message: dict[str, Any]) -> dict[str, Any]:
    counter = message.get("counter")
    trimmed = {key: message[key] for key in EVENT_FIELDS if key in message}
    trimmed["counter"] = {"name": counter["name"]} if counter and counter.get("public") else None
    return trimmed


def branch_ids(session: Session) -> list[str]:
    return list(session.exec(select(Branch.id)).all())


def _held(session: Session, tickets: Sequence[Ticket], *, base_url: str, now: datetime, sample: int) -> list[Held]:
    """Holders' views of many tickets: their routes in one read, and the places of those waiting
    from one read of what waits per branch (not two queries a ticket: a call moves them all)."""
    routes = routes_of(session, tickets)
    waiting: dict[str, list[tuple[Stop, Service]]] = {}
    for ticket in tickets:
        assert ticket.id is not None
        if ticket.current_stop is not None and ticket.status in (TicketStatus.waiting, TicketStatus.processing):
            stop, service, _ = routes[ticket.id][ticket.current_stop]
            if stop.status == StopStatus.waiting:
                waiting.setdefault(ticket.branch_id, []).append((stop, service))
    placed: dict[int, tuple[int, int]] = {}
    for branch_id, stops in waiting.items():
        placed |= positions_and_waits(session, stops, branch_id=branch_id, now=now, sample=sample)
    held: list[Held] = []
    for ticket in tickets:
        assert ticket.id is not None
        view = ticket_view(
            session, ticket, base_url=base_url, now=now, sample=sample, for_holder=True,
            stops=routes[ticket.id], placed=placed,
        )  # fmt: skip
        held.append(
            {
                "ticket_id": ticket.id,
                "token": ticket.status_token,
                "branch": ticket.branch_id,
                "view": view.model_dump(mode="json"),
            }
        )
    return held


def live_tickets(session: Session, *, base_url: str, now: datetime, sample: int) -> list[Held]:
    """Every ticket of each branch's business day, as its holder sees it."""
    held: list[Held] = []
    for branch_id in branch_ids(session):
        branch = branch_catalog(session, branch_id).branch
        tickets = session.exec(
            select(Ticket)
            .where(Ticket.branch_id == branch_id, Ticket.business_on == business_day(branch, now))
            .order_by(col(Ticket.id))
        ).all()
        held.extend(_held(session, tickets, base_url=base_url, now=now, sample=sample))
    return held


def tickets_by_id(
    session: Session, ticket_ids: Iterable[int], *, base_url: str, now: datetime, sample: int
) -> list[Held]:
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    tickets = session.exec(select(Ticket).where(col(Ticket.id).in_(ids))).all()
    return _held(session, tickets, base_url=base_url, now=now, sample=sample)


def waiting_in(session: Session, *, branch_id: str, queue_prefix: str | None, now: datetime) -> list[int]:
    """Tickets waiting today in one queue of a branch (every queue: None), whose people-ahead
    moves when that queue moves."""
    catalog = branch_catalog(session, branch_id)
    statement = (
        select(Ticket.id)
        .join(Stop, col(Stop.ticket_id) == Ticket.id)
        .where(
            Ticket.branch_id == branch_id,
            Ticket.business_on == business_day(catalog.branch, now),
            Ticket.status == TicketStatus.waiting,
            col(Stop.position) == col(Ticket.current_stop),
            Stop.status == StopStatus.waiting,
        )
    )
    if queue_prefix is not None:
        queue = catalog.queue_by_prefix.get(queue_prefix)
        if queue is None:
            return []
        services = [service.id for service in catalog.services.values() if service.queue_id == queue.id]
        statement = statement.where(col(Stop.service_id).in_(services))
    return [ticket_id for ticket_id in session.exec(statement).all() if ticket_id is not None]


def congestion(session: Session, branch_ids_: Iterable[str], *, now: datetime, sample: int) -> dict[str, Any]:
    """Public congestion per branch: the server's own `GET /branches/{b}/queues`, neutral labels only."""
    return {
        branch_id: queue_overview(session, branch_id=branch_id, now=now, sample=sample) for branch_id in branch_ids_
    }
