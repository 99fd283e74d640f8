"""Writes a checked configuration into the database, idempotently."""

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, delete, select

from server.catalog.schemas import CityHallConfig
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
            session.add(LifeEventStep(life_event_id=row_event.id, position=order, service_id=service_id, when=stop.when))
    _deactivate(session, LifeEvent, branch.id, events)
    session.flush()
    return branch


def _deactivate(session: Session, model: Any, branch_id: str, keep: set[str]) -> None:
    for row in session.exec(select(model).where(model.branch_id == branch_id)):
        if row.key not in keep and row.active:
            row.active = False
            session.add(row)
