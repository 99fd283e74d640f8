"""The post-visit survey. No sign-in: the ticket's status token is the capability."""

from fastapi import APIRouter, status

from server.deps import ClockDep, SessionDep, WriteSessionDep
from server.satisfaction import service
from server.satisfaction.schemas import SatisfactionCreate, SatisfactionQuestion, SatisfactionRecorded

router = APIRouter(tags=["satisfaction"])


@router.get("/tickets/{status_token}/satisfaction")
def satisfaction_question(status_token: str, session: SessionDep) -> SatisfactionQuestion:
    """Whether the status page should ask the 1–5 question now, with the reasons to offer."""
    return service.satisfaction_question(session, status_token=status_token)


@router.post("/tickets/{status_token}/satisfaction", status_code=status.HTTP_201_CREATED)
def answer_satisfaction(
    status_token: str, body: SatisfactionCreate, session: WriteSessionDep, clock: ClockDep
) -> SatisfactionRecorded:
    """Record one anonymous 1–5 answer for a finished visit (409 before it is done or when already answered)."""
    response = service.record_satisfaction(
        session, status_token=status_token, score=body.score, reason=body.reason, now=clock()
    )
    return SatisfactionRecorded(score=response.score, reason=body.reason)
