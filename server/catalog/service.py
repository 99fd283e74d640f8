"""Writes a checked configuration into the database, idempotently."""

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


def _upsert(session: Session, model: type[Row], match: dict[str, Any], values: dict[str, Any]) -> Row:
    statement = select(model)
    for name, value in match.items():
        statement = statement.where(getattr(model, name) == value)
    row = session.exec(statement).first()
    if row is None:
        row = model(**match, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def apply_config(session: Session, config: CityHallConfig) -> Branch:
    """Create or update everything the config names; rows it no longer names become inactive.

    Rows are never deleted: tickets and the event log keep pointing at them.
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
    branch = session.get(Branch, spec.id) or Branch(id=spec.id, name_ja=spec.name_ja, name_en=spec.name_en)
    branch.name_ja, branch.name_en, branch.timezone = spec.name_ja, spec.name_en, spec.timezone
    branch.opens_at, branch.closes_at = config.hours.open, config.hours.close
    branch.last_ticket_at = config.hours.last_ticket
    branch.min_normal_between = config.fairness.min_normal_between
    branch.settings = settings
    session.add(branch)
    session.flush()
    match = {"branch_id": branch.id}

    queues = {
        queue.prefix: _upsert(session, Queue, {**match, "prefix": queue.prefix}, queue.model_dump(exclude={"prefix"}))
        for queue in config.queues
    }

    services: dict[str, Service] = {}
    for position, service in enumerate(config.services):
        values = service.model_dump(exclude={"id", "queue", "minutes", "issue_cutoff"})
        values |= {
            "queue_id": queues[service.queue].id,
            "typical_minutes": service.minutes,
            "issue_cutoff_at": service.issue_cutoff,
            "position": position,
            "active": True,
        }
        services[service.id] = _upsert(session, Service, {**match, "key": service.id}, values)
    _deactivate(session, Service, branch.id, set(services))

    counter_ids: list[int] = []
    for position, counter in enumerate(config.counters):
        values = counter.model_dump(exclude={"id", "services"}) | {"position": position, "active": True}
        row = _upsert(session, Counter, {**match, "code": counter.id}, values)
        assert row.id is not None
        counter_ids.append(row.id)
        session.exec(delete(CounterService).where(col(CounterService.counter_id) == row.id))
        for order, service_key in enumerate(counter.services):
            service_id = services[service_key].id
            assert service_id is not None
            session.add(CounterService(counter_id=row.id, service_id=service_id, position=order))
    for counter_row in session.exec(select(Counter).where(Counter.branch_id == branch.id)):
        if counter_row.id not in counter_ids:
            counter_row.active = False
            session.add(counter_row)

    categories = set()
    for category in config.priority_categories:
        values = category.model_dump(exclude={"id"}) | {"active": True}
        _upsert(session, PriorityCategory, {**match, "key": category.id}, values)
        categories.add(category.id)
    _deactivate(session, PriorityCategory, branch.id, categories)

    questions = {
        question.id: _upsert(session, Question, {**match, "key": question.id}, question.model_dump(exclude={"id"}))
        for question in config.questions
    }

    events = set()
    for position, event in enumerate(config.life_events):
        values = event.model_dump(exclude={"id", "questions", "stops"}) | {"position": position, "active": True}
        row_event = _upsert(session, LifeEvent, {**match, "key": event.id}, values)
        events.add(event.id)
        session.exec(delete(LifeEventQuestion).where(col(LifeEventQuestion.life_event_id) == row_event.id))
        session.exec(delete(LifeEventStep).where(col(LifeEventStep.life_event_id) == row_event.id))
        assert row_event.id is not None
        for order, question_key in enumerate(event.questions):
            question_id = questions[question_key].id
            assert question_id is not None
            session.add(LifeEventQuestion(life_event_id=row_event.id, question_id=question_id, position=order))
        for order, stop in enumerate(event.stops):
            service_id = services[stop.service].id
            assert service_id is not None
            session.add(
                LifeEventStep(
                    life_event_id=row_event.id,
                    position=order,
                    service_id=service_id,
                    when=stop.when,
                    when_any=stop.when_any,
                    unless=stop.unless,
                    group=stop.group,
                )
            )
    _deactivate(session, LifeEvent, branch.id, events)
    session.flush()
    return branch


def _deactivate(session: Session, model: Any, branch_id: str, keep: set[str]) -> None:
    for row in session.exec(select(model).where(model.branch_id == branch_id)):
        if row.key not in keep and row.active:
            row.active = False
            session.add(row)


def export_config(session: Session, branch_id: str) -> CityHallConfig:
    """The branch's live rules as a configuration: what admins edit, check and load back.

    Every change goes export → edit → validate_config → apply_config, so one set of rules
    guards the YAML file, the admin console and imports alike.
    """
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(f"Unknown branch {branch_id!r}.", code="branch_not_found")
    match = {"branch_id": branch_id}
    queues = list(session.exec(select(Queue).where(Queue.branch_id == branch_id).order_by(col(Queue.id))))
    prefix_of = {queue.id: queue.prefix for queue in queues}
    services = list(session.exec(select(Service).filter_by(**match, active=True).order_by(col(Service.position))))
    key_of = {service.id: service.key for service in services}
    counters = list(session.exec(select(Counter).filter_by(**match, active=True).order_by(col(Counter.position))))
    links = session.exec(select(CounterService).order_by(col(CounterService.position))).all()
    served: dict[int, list[str]] = {}
    for link in links:
        if link.service_id in key_of:
            served.setdefault(link.counter_id, []).append(key_of[link.service_id])
    questions = list(session.exec(select(Question).filter_by(**match).order_by(col(Question.id))))
    question_key = {question.id: question.key for question in questions}
    events = list(session.exec(select(LifeEvent).filter_by(**match, active=True).order_by(col(LifeEvent.position))))
    life_events = []
    for event in events:
        asked = session.exec(
            select(LifeEventQuestion)
            .where(LifeEventQuestion.life_event_id == event.id)
            .order_by(col(LifeEventQuestion.position))
        ).all()
        steps = session.exec(
            select(LifeEventStep).where(LifeEventStep.life_event_id == event.id).order_by(col(LifeEventStep.position))
        ).all()
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
    categories = session.exec(
        select(PriorityCategory)
        .filter_by(**match, active=True)
        .order_by(col(PriorityCategory.rank), col(PriorityCategory.id))
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
