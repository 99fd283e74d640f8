"""Read-only views of a branch's catalog: menu, services, counters."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from server.branches.schemas import (
    BranchPublic,
    CounterInfo,
    Menu,
    MenuLifeEvent,
    MenuQuestion,
    MenuService,
    PriorityCategoryInfo,
    ReasonCodeInfo,
    ServiceInfo,
)
from server.catalog.translations import Local, localize
from server.models import (
    Branch,
    Counter,
    CounterService,
    LifeEvent,
    LifeEventQuestion,
    PriorityCategory,
    Question,
    Queue,
    Service,
    Stop,
    Ticket,
)
from server.tickets.service import get_branch, issuing_closed_reason


def _pick(translations: Mapping[str, Any], language: str, path: tuple[str, ...], ja: str, en: str) -> Local:
    """The text in the citizen's language, or the English (Japanese) one marked with its language."""
    return localize(translations, language, path, ja=ja, en=en)


def list_branches(session: Session) -> list[BranchPublic]:
    return [
        BranchPublic(id=b.id, name=b.name_ja, name_en=b.name_en)
        for b in session.exec(select(Branch).order_by(col(Branch.id)))
    ]


def _menu_questions(
    questions: Sequence[Question], language: str, translations: Mapping[str, Any]
) -> list[MenuQuestion]:
    menu: list[MenuQuestion] = []
    asked: set[str] = set()
    for question in questions:
        # Only conditions this life event asks first: another event's question never hides one.
        show_when = [key for key in question.show_when if key in asked]
        text = _pick(translations, language, ("questions", question.key), question.text_ja, question.text_en)
        menu.append(MenuQuestion(id=question.key, text=text.text, text_lang=text.lang, show_when=show_when))
        asked.add(question.key)
    return menu


def menu(session: Session, *, branch_id: str, language: str, now: datetime, ignore_hours: bool) -> Menu:
    branch = get_branch(session, branch_id)
    translations = branch.settings.get("translations") or {}
    services = session.exec(
        select(Service, Queue)
        .join(Queue, col(Queue.id) == Service.queue_id)
        .where(Service.branch_id == branch.id, col(Service.active), col(Service.kiosk))
        .order_by(col(Service.position))
    ).all()
    events = session.exec(
        select(LifeEvent)
        .where(LifeEvent.branch_id == branch.id, col(LifeEvent.active))
        .order_by(col(LifeEvent.position))
    ).all()
    life_events = []
    for event in events:
        questions = session.exec(
            select(Question)
            .join(LifeEventQuestion, col(LifeEventQuestion.question_id) == Question.id)
            .where(LifeEventQuestion.life_event_id == event.id)
            .order_by(col(LifeEventQuestion.position))
        ).all()
        name = _pick(translations, language, ("life_events", event.key, "name"), event.name_ja, event.name_en)
        note = (
            _pick(translations, language, ("life_events", event.key, "note"), event.note_ja, event.note_en)
            if event.note_ja or event.note_en
            else Local("", language)
        )
        life_events.append(
            MenuLifeEvent(
                id=event.key,
                name=name.text,
                name_lang=name.lang,
                icon=event.icon,
                note=note.text,
                note_lang=note.lang,
                questions=_menu_questions(questions, language, translations),
            )
        )
    closed = issuing_closed_reason(branch, None, now, ignore_hours=ignore_hours)
    branch_name = _pick(translations, language, ("branch",), branch.name_ja, branch.name_en)
    service_names = [
        (s, q, _pick(translations, language, ("services", s.key), s.name_ja, s.name_en)) for s, q in services
    ]
    return Menu(
        branch=branch.id,
        language=language,
        branch_name=branch_name.text,
        branch_name_lang=branch_name.lang,
        issuing_open=closed is None,
        issuing_closed_code=closed.code if closed else None,
        issuing_closed_message=closed.message if closed else None,
        services=[
            MenuService(id=s.key, name=name.text, name_lang=name.lang, prefix=q.prefix) for s, q, name in service_names
        ],
        life_events=life_events,
    )


def list_services(session: Session, *, branch_id: str) -> list[ServiceInfo]:
    branch = get_branch(session, branch_id)
    rows = session.exec(
        select(Service, Queue)
        .join(Queue, col(Queue.id) == Service.queue_id)
        .where(Service.branch_id == branch.id, col(Service.active))
        .order_by(col(Service.position))
    ).all()
    return [
        ServiceInfo(
            id=s.key,
            name=s.name_ja,
            name_en=s.name_en,
            label=q.label_ja,
            prefix=q.prefix,
            stage=s.stage,
            staff_only=s.staff_only,
            citizen_present=s.citizen_present,
            typical_minutes=s.typical_minutes,
        )
        for s, q in rows
    ]


def list_counters(session: Session, *, branch_id: str) -> list[CounterInfo]:
    branch = get_branch(session, branch_id)
    counters = session.exec(
        select(Counter).where(Counter.branch_id == branch.id, col(Counter.active)).order_by(col(Counter.position))
    ).all()
    links = session.exec(
        select(CounterService.counter_id, Service.key)
        .join(Service, col(Service.id) == CounterService.service_id)
        .where(Service.branch_id == branch.id)
        .order_by(col(CounterService.position))
    ).all()
    served: dict[int, list[str]] = {}
    for counter_id, key in links:
        served.setdefault(counter_id, []).append(key)
    current_numbers = dict(
        session.exec(
            select(Stop.id, Ticket.number)
            .join(Ticket, col(Ticket.id) == Stop.ticket_id)
            .where(col(Stop.id).in_([c.current_stop_id for c in counters if c.current_stop_id]))
        ).all()
    )
    result = []
    for counter in counters:
        assert counter.id is not None
        result.append(
            CounterInfo(
                id=counter.id,
                name=counter.code,
                label=counter.name_ja,
                label_en=counter.name_en,
                public=counter.public,
                services=served.get(counter.id, []),
                state=counter.state,
                current_ticket=current_numbers.get(counter.current_stop_id) if counter.current_stop_id else None,
            )
        )
    return result


def list_priority_categories(session: Session, *, branch_id: str) -> list[PriorityCategoryInfo]:
    branch = get_branch(session, branch_id)
    categories = session.exec(
        select(PriorityCategory)
        .where(PriorityCategory.branch_id == branch.id, col(PriorityCategory.active))
        .order_by(col(PriorityCategory.rank), col(PriorityCategory.id))
    ).all()
    return [PriorityCategoryInfo(id=c.key, name=c.name_ja, name_en=c.name_en, rank=c.rank) for c in categories]


def list_reason_codes(session: Session, *, branch_id: str) -> list[ReasonCodeInfo]:
    branch = get_branch(session, branch_id)
    return [
        ReasonCodeInfo(id=code["id"], name=code["name_ja"], name_en=code["name_en"])
        for code in branch.settings.get("reason_codes", [])
    ]
