"""Recording the post-visit survey: one anonymous answer per finished ticket."""

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from server.errors import Conflict
from server.models import SatisfactionResponse, Ticket, TicketStatus
from server.satisfaction.schemas import (
    REASON_LABELS,
    REASON_TRANSLATIONS,
    Reason,
    ReasonOption,
    SatisfactionQuestion,
)
from server.tickets.service import get_ticket_by_token

ALREADY_ANSWERED = "This visit has already been rated. ご回答ありがとうございました。"
NOT_DONE = "The survey opens once every procedure of this visit is finished. 手続きがすべて終わってからお答えください。"


def reason_options() -> list[ReasonOption]:
    return [
        ReasonOption(code=code, label=ja, label_en=en, labels={"ja": ja, "en": en, **REASON_TRANSLATIONS[code]})
        for code, (ja, en) in REASON_LABELS.items()
    ]


def _answered(session: Session, ticket: Ticket) -> bool:
    answer = select(SatisfactionResponse.id).where(SatisfactionResponse.ticket_id == ticket.id)
    return session.exec(answer).first() is not None


def satisfaction_question(session: Session, *, status_token: str) -> SatisfactionQuestion:
    """Ask only once the whole visit is done, and only until it has been answered."""
    ticket = get_ticket_by_token(session, status_token=status_token)
    answered = _answered(session, ticket)
    return SatisfactionQuestion(
        ask=ticket.status == TicketStatus.done and not answered, answered=answered, reasons=reason_options()
    )


def record_satisfaction(
    session: Session, *, status_token: str, score: int, reason: Reason | None, now: datetime
) -> SatisfactionResponse:
    """Store the answer; the status token is the only capability, and nothing identifies the citizen."""
    ticket = get_ticket_by_token(session, status_token=status_token)
    if ticket.status != TicketStatus.done:
        raise Conflict(
            NOT_DONE,
            code="ticket_not_done",
        )
    if _answered(session, ticket):
        raise Conflict(ALREADY_ANSWERED, code="already_answered")
    assert ticket.id is not None
    response = SatisfactionResponse(
        ticket_id=ticket.id,
        branch_id=ticket.branch_id,
        business_on=ticket.business_on,
        at=now,
        score=score,
        reason=str(reason) if reason is not None else None,
    )
    session.add(response)
    try:
        session.commit()
    except IntegrityError as error:
        # Two submissions raced past the check; the unique ticket_id lets exactly one in.
        session.rollback()
        raise Conflict(ALREADY_ANSWERED, code="already_answered") from error
    return response
