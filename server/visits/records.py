"""A visit as other systems receive it: the webhooks' payloads and the visits export read it here.

Numbers, ids, service and counter codes, stages and times only: no names, no answers (a webhook
receiver may be configured to also get the answers; server/webhooks/relay.py adds them then).
Minutes follow the reports: waited = became waiting → called; served = called → completed.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from server.models import Counter, LifeEvent, Role, Service, Stop, StopStatus, Ticket

CITY_STAFF_ROLES = (Role.municipal, Role.admin)


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max((end - start).total_seconds(), 0.0) / 60, 1)


def staff_kind(role: Role | None) -> str | None:
    """municipal (city staff, admins included) or contractor: who did the work at this stop."""
    if role is None:
        return None
    return "municipal" if role in CITY_STAFF_ROLES else "contractor"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass
class Names:
    """A branch's service, counter and life event codes by id (small tables, read once)."""

    services: dict[int, Service]
    counters: dict[int, Counter]
    life_events: dict[int, str]

    @classmethod
    def read(cls, session: Session, branch_id: str) -> "Names":
        services = session.exec(select(Service).where(Service.branch_id == branch_id)).all()
        counters = session.exec(select(Counter).where(Counter.branch_id == branch_id)).all()
        events = session.exec(select(LifeEvent.id, LifeEvent.key).where(LifeEvent.branch_id == branch_id)).all()
        return cls(
            services={s.id: s for s in services if s.id is not None},
            counters={c.id: c for c in counters if c.id is not None},
            life_events={event_id: key for event_id, key in events if event_id is not None},
        )


def stop_record(stop: Stop, names: Names) -> dict[str, Any]:
    service = names.services.get(stop.service_id)
    counter = names.counters.get(stop.counter_id) if stop.counter_id is not None else None
    return {
        "position": stop.position,
        "service": service.key if service else None,
        "stage": str(service.stage) if service else None,
        "status": str(stop.status),
        "counter": counter.code if counter else None,
        "staff": staff_kind(stop.staff_role),
        "waiting_since": iso(stop.waiting_since),
        "called_at": iso(stop.called_at),
        "completed_at": iso(stop.completed_at),
        "waited_minutes": minutes_between(stop.waiting_since, stop.called_at),
        "served_minutes": minutes_between(stop.called_at, stop.completed_at),
    }


def ticket_record(ticket: Ticket, names: Names) -> dict[str, Any]:
    """What a visit is, without its stops."""
    service = names.services.get(ticket.service_id) if ticket.service_id is not None else None
    return {
        "id": ticket.id,
        "number": ticket.number,
        "business_day": ticket.business_on.isoformat(),
        "life_event": names.life_events.get(ticket.life_event_id) if ticket.life_event_id is not None else None,
        "service": service.key if service else None,
        "language": ticket.language,
        "priority": ticket.priority_id is not None,
        "issued_at": iso(ticket.issued_at),
    }


def visit_record(ticket: Ticket, stops: Sequence[Stop], names: Names) -> dict[str, Any]:
    """The whole visit: what it is, how it ended, and every stop of its route in order."""
    records = [stop_record(stop, names) for stop in sorted(stops, key=lambda s: s.position)]
    return {
        **ticket_record(ticket, names),
        "status": str(ticket.status),
        "finished_at": iso(ticket.finished_at),
        "stops": records,
    }


def stops_of(session: Session, ticket_ids: Iterable[int]) -> dict[int, list[Stop]]:
    """The stops of these tickets (one query), by ticket id in route order."""
    ids = list(ticket_ids)
    found: dict[int, list[Stop]] = defaultdict(list)
    if not ids:
        return found
    for stop in session.exec(
        select(Stop).where(col(Stop.ticket_id).in_(ids)).order_by(col(Stop.ticket_id), col(Stop.position))
    ).all():
        found[stop.ticket_id].append(stop)
    return found


def completed_stop(stops: Sequence[Stop], *, at: datetime, counter_id: int | None) -> Stop | None:
    """The stop a ticket.completed event at `at` finished (same time, same counter; else the latest before)."""
    done = [s for s in stops if s.status == StopStatus.done and s.completed_at is not None]
    exact = [s for s in done if s.completed_at == at and (counter_id is None or s.counter_id == counter_id)]
    if exact:
        return exact[0]
    before = [s for s in done if s.completed_at is not None and s.completed_at <= at]
    return max(before, key=lambda s: (s.completed_at, s.position)) if before else None
