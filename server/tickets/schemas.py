from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from server.models import StopStatus, TicketStatus

Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(_[a-z]+)?$", max_length=10)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class TicketCreate(BaseModel):
    """Either one service, or a life event with its yes/no answers."""

    model_config = ConfigDict(extra="forbid")

    service: Key | None = None
    life_event: Key | None = None
    answers: dict[Key, StrictBool] = Field(default_factory=dict)
    language: Language = "ja"
    priority: Key | None = None

    @model_validator(mode="after")
    def exactly_one_target(self) -> "TicketCreate":
        if (self.service is None) == (self.life_event is None):
            raise ValueError("give exactly one of 'service' or 'life_event'")
        if self.service is not None and self.answers:
            raise ValueError("'answers' belong to a life event, not to a single service")
        return self


class StopPublic(BaseModel):
    service: str
    label: str
    label_en: str
    status: StopStatus
    counter: str | None
    citizen_present: bool


class VisitPublic(BaseModel):
    """The route as the citizen lives it: one line per window visit, back-office work as one
    line of progress. Kiosk result, slip, status page and staff console all show these."""

    kind: Literal["counter", "back_office"]
    # "1–5", "7・8", or the window itself once called; null for back-office work.
    counters: str | None
    # Procedure names, a neutral label for sensitive ones, each once.
    labels: list[str]
    labels_en: list[str]
    # The same in the ticket's language; each label's language beside it ("en", or "ja" for
    # やさしい日本語, where a translation is missing: the page says so).
    labels_local: list[str] = []
    labels_local_lang: list[str] = []
    status: Literal["done", "current", "upcoming", "missed"]
    # Indexes into the ticket's stops.
    stops: list[int]


class TicketPublic(BaseModel):
    # The row id, for staff and kiosks; null through the status link, whose token is its only id.
    id: int | None
    number: str
    status: TicketStatus
    language: str
    priority: str | None
    issued_at: datetime
    status_token: str
    status_url: str
    # The branch's name in the ticket's language (and the language it is really in).
    branch_name: str = ""
    branch_name_lang: str = "ja"
    current_stop: int | None
    stops: list[StopPublic]
    visits: list[VisitPublic]
    # While waiting: everyone the counters serving the current stop will call first, at every
    # service they share (estimates.people_ahead); null otherwise.
    position: int | None
    estimated_wait_minutes: int | None
    # Issued at an appointment's check-in (予約): printed like any ticket, called first once due.
    appointment: bool = False


class RouteStopRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Key


class RouteChange(BaseModel):
    """The rest of the route, in order, and why it changes (kept in the audit log)."""

    model_config = ConfigDict(extra="forbid")

    stops: list[RouteStopRequest] = Field(max_length=40)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TicketEnvelope(BaseModel):
    ticket: TicketPublic
