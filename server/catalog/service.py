"""A branch's rules between the database and a configuration: read once, exported, written back
idempotently."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, delete, select

from server.catalog.schemas import CityHallConfig
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

Row = TypeVar("Row", bound=SQLModel)


def _rows(session: Session, model: type[Row], branch_id: str, key: str) -> dict[Any, Row]:
    """A branch's rows of one kind by their key, inactive ones too (one read)."""
    statement = select(model).where(model.branch_id == branch_id)  # type: ignore[attr-defined]
    return {getattr(row, key): row for row in session.exec(statement)}


def _put(
    session: Session, rows: dict[Any, Row], model: type[Row], match: dict[str, Any], values: dict[str, Any]
) -> Row:
    """The row that `match` names, made or changed to `values`: a value that did not change is not
    written, so an edit of one field updates one row, not the whole catalog."""
    key = next(value for name, value in match.items() if name != "branch_id")
    row = rows.get(key)
    if row is None:
        row = model(**match, **values)
        session.add(row)
        rows[key] = row
        return row
    for name, value in values.items():
        if _value(row, name) != value:
            setattr(row, name, value)
    return row


def _value(row: SQLModel, name: str) -> Any:
    """A row's value as loaded, read past the ORM's attribute machinery: an admin's save compares
    every rule row under the write lock, and the machinery cost more than the comparisons."""
    loaded = row.__dict__
    return loaded[name] if name in loaded else getattr(row, name)


def _retire(rows: dict[Any, Any], keep: set[Any]) -> None:
    """Rows the configuration no longer names become inactive (never deleted)."""
    for key, row in rows.items():
        if key not in keep and row.active:
            row.active = False


def _replace_links(
    session: Session,
    model: type[Row],
    owner: str,
    current: dict[int, list[Row]],
    wanted: dict[int, list[dict[str, Any]]],
) -> None:
    """An owner's ordered links (a counter's services, a life event's questions or steps) written
    again only when they differ from what is stored; `wanted` gives each link's values."""
    for owner_id, links in wanted.items():
        rows = current.get(owner_id, [])
        if len(rows) == len(links) and all(
            _value(row, name) == value
            for row, values in zip(rows, links, strict=True)
            for name, value in values.items()
        ):
            continue
        session.exec(delete(model).where(getattr(model, owner) == owner_id))
        session.add_all(model(**{owner: owner_id}, **values) for values in links)


def _links(session: Session, model: type[Row], owner: str, owner_ids: list[int]) -> dict[int, list[Row]]:
    """The ordered links of these owners (one read)."""
    found: dict[int, list[Row]] = {}
    if not owner_ids:
        return found
    column = getattr(model, owner)
    statement = select(model).where(col(column).in_(owner_ids)).order_by(col(column), col(model.position))  # type: ignore[attr-defined]
    for row in session.exec(statement):
        found.setdefault(getattr(row, owner), []).append(row)
    return found


@dataclass(frozen=True)
class StoredRules:
    """A branch's rule rows as read, by key (inactive ones too), with the ordered links of each
    counter and life event: what apply_config compares the configuration with."""

    branch: Branch
    queues: dict[Any, Queue]
    services: dict[Any, Service]
    counters: dict[Any, Counter]
    categories: dict[Any, PriorityCategory]
    questions: dict[Any, Question]
    events: dict[Any, LifeEvent]
    counter_services: dict[int, list[CounterService]]
    event_questions: dict[int, list[LifeEventQuestion]]
    event_steps: dict[int, list[LifeEventStep]]


def read_rules(session: Session, branch_id: str) -> StoredRules:
    """Every rule row of a branch, in nine reads: an admin edit reads them before it takes the
    write lock, and writes only if the branch's catalog_version shows nobody changed them since."""
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"Unknown branch {branch_id!r}.", code="branch_not_found")
    counters = _rows(session, Counter, branch_id, "code")
    events = _rows(session, LifeEvent, branch_id, "key")
    counter_ids = [row.id for row in counters.values() if row.id is not None]
    event_ids = [row.id for row in events.values() if row.id is not None]
    return StoredRules(
        branch=branch,
        queues=_rows(session, Queue, branch_id, "prefix"),
        services=_rows(session, Service, branch_id, "key"),
        counters=counters,
        categories=_rows(session, PriorityCategory, branch_id, "key"),
        questions=_rows(session, Question, branch_id, "key"),
        events=events,
        counter_services=_links(session, CounterService, "counter_id", counter_ids),
        event_questions=_links(session, LifeEventQuestion, "life_event_id", event_ids),
        event_steps=_links(session, LifeEventStep, "life_event_id", event_ids),
    )


# The lists of a configuration that have rows of their own (the rest is the branch's row).
LISTS = frozenset({"queues", "services", "counters", "priority_categories", "questions", "life_events"})


def apply_config(
    session: Session, config: CityHallConfig, stored: StoredRules | None = None, lists: Collection[str] = LISTS
) -> Branch:
    """Create or update everything the config names; rows it no longer names become inactive.

    Rows are never deleted: tickets and the event log keep pointing at them. Only what differs
    from the stored rules is written (an admin's one-field edit holds the write lock for a few
    statements, not for a rewrite of every counter and route). `stored`: the rows as read before
    this transaction, still current (the caller checked catalog_version), so nothing is read
    again here; without it they are read here. `lists`: those that may differ from the stored
    rules (the others are not compared: a counter's services and a route's steps refer to rows by
    their keys, whose ids stay).
    """
    spec = config.branch
    settings = {
        "announcements": config.announcements,
        "ticket_notice": config.ticket_notice,
        "reason_codes": [code.model_dump() for code in config.reason_codes],
        "life_event_queue": config.life_event_queue,
        "sensitive_label": config.sensitive_label.model_dump(),
        "translations": {
            language: spec.model_dump(exclude_none=True, exclude_defaults=True)
            for language, spec in config.translations.items()
        },
        "calendar": config.calendar.model_dump(mode="json"),
        "appointments": config.appointments.model_dump(mode="json"),
    }
    if stored is None and session.get(Branch, spec.id) is None:
        session.add(Branch(id=spec.id, name_ja=spec.name_ja, name_en=spec.name_en))
        session.flush()
    if stored is None:
        stored = read_rules(session, spec.id)
    branch = stored.branch
    changes = {
        "name_ja": spec.name_ja,
        "name_en": spec.name_en,
        "timezone": spec.timezone,
        "opens_at": config.hours.open,
        "closes_at": config.hours.close,
        "last_ticket_at": config.hours.last_ticket,
        "min_normal_between": config.fairness.min_normal_between,
        "settings": settings,
    }
    for name, value in changes.items():
        if getattr(branch, name) != value:
            setattr(branch, name, value)
    # Counted by the database (UPDATE … SET catalog_version = catalog_version + 1), so that no two
    # changes of the rules can ever leave the same version behind.
    branch.catalog_version = col(Branch.catalog_version) + 1  # type: ignore[assignment]
    match = {"branch_id": branch.id}

    queues = stored.queues
    if "queues" in lists:
        for queue in config.queues:
            _put(session, queues, Queue, {**match, "prefix": queue.prefix}, queue.model_dump(exclude={"prefix"}))
        session.flush()  # ids of new queues

    services = stored.services
    if "services" in lists:
        for position, service in enumerate(config.services):
            values = service.model_dump(exclude={"id", "queue", "minutes", "issue_cutoff"})
            values |= {
                "queue_id": queues[service.queue].id,
                "typical_minutes": service.minutes,
                "issue_cutoff_at": service.issue_cutoff,
                "position": position,
                "active": True,
            }
            _put(session, services, Service, {**match, "key": service.id}, values)
        _retire(services, {service.id for service in config.services})

    counters = stored.counters
    if "counters" in lists:
        for position, counter in enumerate(config.counters):
            values = counter.model_dump(exclude={"id", "services"}) | {"position": position, "active": True}
            _put(session, counters, Counter, {**match, "code": counter.id}, values)
        _retire(counters, {counter.id for counter in config.counters})

    if "priority_categories" in lists:
        categories = stored.categories
        for category in config.priority_categories:
            values = category.model_dump(exclude={"id"}) | {"active": True}
            _put(session, categories, PriorityCategory, {**match, "key": category.id}, values)
        _retire(categories, {category.id for category in config.priority_categories})

    questions = stored.questions
    if "questions" in lists:
        for question in config.questions:
            _put(session, questions, Question, {**match, "key": question.id}, question.model_dump(exclude={"id"}))

    events = stored.events
    if "life_events" in lists:
        for position, event in enumerate(config.life_events):
            values = event.model_dump(exclude={"id", "questions", "stops"}) | {"position": position, "active": True}
            _put(session, events, LifeEvent, {**match, "key": event.id}, values)
        _retire(events, {event.id for event in config.life_events})
    session.flush()  # ids of new services, counters, questions and life events for the links

    def service_id(key: str) -> int:
        found = services[key].id
        assert found is not None
        return found

    def id_of(row: Counter | LifeEvent) -> int:
        assert row.id is not None
        return row.id

    if "counters" in lists:
        wanted_services = {
            id_of(counters[counter.id]): [
                {"service_id": service_id(key), "position": order} for order, key in enumerate(counter.services)
            ]
            for counter in config.counters
        }
        _replace_links(session, CounterService, "counter_id", stored.counter_services, wanted_services)
    if "life_events" in lists:
        wanted_questions = {
            id_of(events[event.id]): [
                {"question_id": questions[key].id, "position": order} for order, key in enumerate(event.questions)
            ]
            for event in config.life_events
        }
        wanted_steps = {
            id_of(events[event.id]): [
                {
                    "position": order,
                    "service_id": service_id(stop.service),
                    "when": stop.when,
                    "when_any": stop.when_any,
                    "unless": stop.unless,
                    "group": stop.group,
                }
                for order, stop in enumerate(event.stops)
            ]
            for event in config.life_events
        }
        _replace_links(session, LifeEventQuestion, "life_event_id", stored.event_questions, wanted_questions)
        _replace_links(session, LifeEventStep, "life_event_id", stored.event_steps, wanted_steps)
    session.flush()
    return branch


def export_config(session: Session, branch_id: str) -> CityHallConfig:
    """The branch's live rules as a configuration: what admins edit, check and load back.

    Every change goes export → edit → validate_config → apply_config, so one set of rules
    guards the YAML file, the admin console and imports alike.
    """
    return config_of(read_rules(session, branch_id))


def config_of(stored: StoredRules) -> CityHallConfig:
    """The configuration that a branch's rule rows make: the active ones, in their order."""
    branch = stored.branch
    queues = sorted(stored.queues.values(), key=lambda queue: queue.id or 0)
    prefix_of = {queue.id: queue.prefix for queue in queues}
    services = sorted((row for row in stored.services.values() if row.active), key=lambda row: row.position)
    key_of = {service.id: service.key for service in services}
    counters = sorted((row for row in stored.counters.values() if row.active), key=lambda row: row.position)
    served = {
        counter_id: [key_of[link.service_id] for link in rows if link.service_id in key_of]
        for counter_id, rows in stored.counter_services.items()
    }
    questions = sorted(stored.questions.values(), key=lambda question: question.id or 0)
    question_key = {question.id: question.key for question in questions}
    events = sorted((row for row in stored.events.values() if row.active), key=lambda row: row.position)
    life_events = []
    for event in events:
        asked = stored.event_questions.get(event.id or 0, [])
        steps = stored.event_steps.get(event.id or 0, [])
        asked_keys = [question_key[row.question_id] for row in asked]
        life_events.append(
            {
                "id": event.key,
                "name_ja": event.name_ja,
                "name_en": event.name_en,
                "icon": event.icon,
                "sensitive": event.sensitive,
                "note_ja": event.note_ja,
                "note_en": event.note_en,
                "questions": asked_keys,
                "stops": [
                    {
                        "service": key_of[step.service_id],
                        "when": list(step.when),
                        "when_any": list(step.when_any),
                        "unless": list(step.unless),
                        "group": step.group,
                    }
                    for step in steps
                    if step.service_id in key_of
                ],
            }
        )
    categories = sorted(
        (row for row in stored.categories.values() if row.active), key=lambda row: (row.rank, row.id or 0)
    )
    settings = branch.settings
    data: dict[str, Any] = {
        "branch": {"id": branch.id, "name_ja": branch.name_ja, "name_en": branch.name_en, "timezone": branch.timezone},
        "hours": {"open": branch.opens_at, "close": branch.closes_at, "last_ticket": branch.last_ticket_at},
        "fairness": {"min_normal_between": branch.min_normal_between},
        "priority_categories": [
            {"id": c.key, "rank": c.rank, "name_ja": c.name_ja, "name_en": c.name_en} for c in categories
        ],
        "reason_codes": settings.get("reason_codes", []),
        "queues": [
            {
                "prefix": q.prefix,
                "name_ja": q.name_ja,
                "name_en": q.name_en,
                "label_ja": q.label_ja,
                "label_en": q.label_en,
                "kiosk": q.kiosk,
            }
            for q in queues
        ],
        "life_event_queue": settings.get("life_event_queue"),
        "services": [
            {
                "id": s.key,
                "queue": prefix_of[s.queue_id],
                "name_ja": s.name_ja,
                "name_en": s.name_en,
                "stage": s.stage,
                "staff_only": s.staff_only,
                "citizen_present": s.citizen_present,
                "minutes": s.typical_minutes,
                "kiosk": s.kiosk,
                "sensitive": s.sensitive,
                "fair_by_arrival": s.fair_by_arrival,
                "issue_cutoff": s.issue_cutoff_at,
                "hands_over": s.hands_over,
            }
            for s in services
        ],
        "counters": [
            {
                "id": c.code,
                "name_ja": c.name_ja,
                "name_en": c.name_en,
                "area": c.area,
                "public": c.public,
                "staffed_by": c.staffed_by,
                "services": served.get(c.id or 0, []),
            }
            for c in counters
        ],
        "questions": [
            {"id": q.key, "text_ja": q.text_ja, "text_en": q.text_en}
            # Written only when set, so exports of configurations without it stay as they were.
            | ({"show_when": list(q.show_when)} if q.show_when else {})
            for q in questions
        ],
        "life_events": life_events,
        "sensitive_label": settings.get("sensitive_label") or {"ja": "届出", "en": "Notifications"},
        "announcements": settings.get("announcements", {}),
        "ticket_notice": settings.get("ticket_notice", {}),
        "translations": settings.get("translations", {}),
        "calendar": settings.get("calendar") or {},
        "appointments": settings.get("appointments") or {},
    }
    return CityHallConfig.model_validate(data)
