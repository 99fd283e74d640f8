from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Reason(StrEnum):
    """The fixed reasons a citizen may give; codes are stable, labels are for display."""

    long_wait = "long_wait"
    unclear_explanation = "unclear_explanation"
    moved_many_times = "moved_many_times"
    staff_manner = "staff_manner"
    other = "other"


REASON_LABELS: dict[Reason, tuple[str, str]] = {
    Reason.long_wait: ("待ち時間が長い", "The wait was long"),
    Reason.unclear_explanation: ("説明がわかりにくい", "The explanation was hard to follow"),
    Reason.moved_many_times: ("何度も移動した", "I had to move between counters many times"),
    Reason.staff_manner: ("職員の対応", "How the staff treated me"),
    Reason.other: ("その他", "Other"),
}

Score = Annotated[int, Field(ge=1, le=5, strict=True)]


class SatisfactionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Score
    reason: Reason | None = None


class ReasonOption(BaseModel):
    code: Reason
    label: str
    label_en: str


class SatisfactionQuestion(BaseModel):
    """What the status page needs: whether to ask, and the reasons to offer."""

    ask: bool
    answered: bool
    reasons: list[ReasonOption]


class SatisfactionRecorded(BaseModel):
    score: int
    reason: Reason | None
