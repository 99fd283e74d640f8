"""A branch's rules as one immutable, per-process snapshot: queues, services, windows and what
they serve, life events with their questions and steps, priority categories, settings.

Issuing, routing, labels and public counters read it instead of the database, so the hot path
takes the write lock only for what it writes. An admin change (or `madoguchi init` in another
process) records a `catalog.changed` event: this process drops its snapshot at once, other
processes when the event reaches them through the bus (PostgreSQL NOTIFY, or SQLite's log tail).
"""

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.errors import NotFound
from server.models import (
    Branch,
    Counter,
    CounterService,
    LifeEvent,
    LifeEventQuestion,
    LifeEventStep,
    PriorityCategory,
    Question,
    Queue,
    Service,
)

CATALOGS_KEY = "madoguchi_catalogs"
CATALOG_CHANGED = "catalog.changed"  # EventType.catalog_changed (realtime imports the catalog, not back)


@dataclass(frozen=True)
class Window:
    """A counter's fixed facts (its state and ticket in hand live in the database)."""

    id: int
    code: str
    public: bool


@dataclass(frozen=True)
class Step:
    service: Service
    when: tuple[str, ...]
    when_any: tuple[str, ...]
    unless: tuple[str, ...]
    group: str | None


@dataclass(frozen=True)
class LifeEventRules:
    row: LifeEvent
    questions: frozenset[str]
    steps: tuple[Step, ...]
    # Each question in the order asked → the earlier questions that must be answered yes for it
    # to be asked at all (its show_when, within this life event).
    shown_when: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class BranchCatalog:
    branch: Branch
    queues: Mapping[int, Queue]
    queue_by_prefix: Mapping[str, Queue]
    # Every service by id (old tickets may name one that is inactive now); active ones by key.
    services: Mapping[int, Service]
    active_services: Mapping[str, Service]
    windows: Mapping[int, Window]
    # Active public windows serving each service, in the configured order.
    public_windows: Mapping[int, tuple[Window, ...]]
    # Per counter: service id → (weight, order) for the active services it serves.
    served_by: Mapping[int, Mapping[int, tuple[float, int]]]
    life_events: Mapping[str, LifeEventRules]
    priorities: Mapping[str, PriorityCategory]

    def service_windows(self, service: Service) -> tuple[Window, ...]:
        assert service.id is not None
        return self.public_windows.get(service.id, ())


def load_catalog(session: Session, branch_id: str, *, shared: bool = False) -> BranchCatalog:
    """Read the rules; `shared` snapshots are detached from the session, to be read by every
    thread and never written back."""

    def _detached(rows: Sequence[Any]) -> list[Any]:
        if shared:
            for row in rows:
                session.expunge(row)
        return list(rows)

    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"Unknown branch {branch_id!r}.", code="branch_not_found")
    match = {"branch_id": branch_id}
    queues = _detached(session.exec(select(Queue).filter_by(**match)).all())
    services = _detached(session.exec(select(Service).filter_by(**match)).all())
    counters = session.exec(select(Counter).filter_by(**match, active=True).order_by(col(Counter.position))).all()
    windows = {counter.id: Window(counter.id, counter.code, counter.public) for counter in counters if counter.id}
    service_by_id = {service.id: service for service in services if service.id is not None}
    public_windows: dict[int, list[Window]] = {}
    served_by: dict[int, dict[int, tuple[float, int]]] = {}
    links = session.exec(
        select(CounterService)
        .where(col(CounterService.counter_id).in_(list(windows)))
        .order_by(col(CounterService.position))
    ).all()
    for link in links:
        service = service_by_id.get(link.service_id)
        if service is None or not service.active:
            continue
        served_by.setdefault(link.counter_id, {})[link.service_id] = (link.weight, link.position)
    for window in windows.values():
        for service_id in served_by.get(window.id, {}):
            if window.public:
                public_windows.setdefault(service_id, []).append(window)
    question_rows = session.exec(select(Question.id, Question.key, Question.show_when).filter_by(**match)).all()
    question_key = {question_id: key for question_id, key, _ in question_rows}
    show_when = {key: tuple(conditions) for _, key, conditions in question_rows}
    life_events = {}
    for event in _detached(session.exec(select(LifeEvent).filter_by(**match, active=True)).all()):
        asked = session.exec(
            select(LifeEventQuestion.question_id)
            .where(LifeEventQuestion.life_event_id == event.id)
            .order_by(col(LifeEventQuestion.position))
        ).all()
        asked_keys = [question_key[question_id] for question_id in asked]
        steps = session.exec(
            select(LifeEventStep).where(LifeEventStep.life_event_id == event.id).order_by(col(LifeEventStep.position))
        ).all()
        life_events[event.key] = LifeEventRules(
            row=event,
            questions=frozenset(asked_keys),
            shown_when={
                key: tuple(condition for condition in show_when[key] if condition in asked_keys[:position])
                for position, key in enumerate(asked_keys)
            },
            steps=tuple(
                Step(
                    service_by_id[step.service_id],
                    tuple(step.when),
                    tuple(step.when_any),
                    tuple(step.unless),
                    step.group,
                )
                for step in steps
                if service_by_id[step.service_id].active
            ),
        )
    priorities = _detached(session.exec(select(PriorityCategory).filter_by(**match, active=True)).all())
    _detached([branch])
    return BranchCatalog(
        branch=branch,
        queues={queue.id: queue for queue in queues},
        queue_by_prefix={queue.prefix: queue for queue in queues},
        services=service_by_id,
        active_services={service.key: service for service in services if service.active},
        windows=windows,
        public_windows={service_id: tuple(found) for service_id, found in public_windows.items()},
        served_by=served_by,
        life_events=life_events,
        priorities={category.key: category for category in priorities},
    )


class Catalogs:
    """This process's snapshots, one per branch, rebuilt on first use after a change."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._catalogs: dict[str, BranchCatalog] = {}

    def get(self, branch_id: str) -> BranchCatalog:
        catalog = self._catalogs.get(branch_id)
        if catalog is not None:
            return catalog
        with self._lock:
            catalog = self._catalogs.get(branch_id)
            if catalog is None:
                # A read session of its own: a write request must not take the lock to read rules.
                with Session(self._engine) as session:
                    catalog = load_catalog(session, branch_id, shared=True)
                self._catalogs[branch_id] = catalog
            return catalog

    def on_messages(self, messages: Iterable[Mapping[str, Any]]) -> None:
        """Committed events, from this process or (through the bus) from any other."""
        for message in messages:
            if message.get("type") == CATALOG_CHANGED and isinstance(message.get("branch"), str):
                self.forget(message["branch"])

    def forget(self, branch_id: str | None = None) -> None:
        with self._lock:
            if branch_id is None:
                self._catalogs.clear()
            else:
                self._catalogs.pop(branch_id, None)


def branch_catalog(session: Session, branch_id: str) -> BranchCatalog:
    """The branch's rules: this process's snapshot when the session comes from the app, else
    read now through this session (command line, tests of the rules)."""
    catalogs: Catalogs | None = session.info.get(CATALOGS_KEY)
    if catalogs is not None:
        return catalogs.get(branch_id)
    # Read once per transaction: a later transaction of this session sees later changes.
    key = (CATALOGS_KEY, branch_id)
    memo = session.info.get(key)
    if memo is not None and memo[0] is session.get_transaction():
        known: BranchCatalog = memo[1]
        return known
    catalog = load_catalog(session, branch_id)
    session.info[key] = (session.get_transaction(), catalog)
    return catalog


def forget_catalog(session: Session, branch_id: str) -> None:
    """After a committed change of rules: this process reads them afresh."""
    catalogs: Catalogs | None = session.info.get(CATALOGS_KEY)
    if catalogs is not None:
        catalogs.forget(branch_id)
