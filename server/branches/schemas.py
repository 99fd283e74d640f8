from pydantic import BaseModel

from server.models import CounterState, Stage


class BranchPublic(BaseModel):
    id: str
    name: str
    name_en: str


# Each *_lang names the language its text is in: the menu's language, or "en" ("ja" for
# やさしい日本語) when no translation exists. The kiosk announces such a fallback on screen.


class MenuService(BaseModel):
    id: str
    name: str
    name_lang: str = "ja"
    prefix: str


class MenuQuestion(BaseModel):
    id: str
    text: str
    text_lang: str = "ja"
    # Ask it only when each of these earlier questions was answered yes; skip it otherwise.
    show_when: list[str] = []


class MenuLifeEvent(BaseModel):
    id: str
    name: str
    name_lang: str = "ja"
    icon: str
    note: str
    note_lang: str = "ja"
    questions: list[MenuQuestion]


class Menu(BaseModel):
    branch: str
    language: str = "ja"
    branch_name: str = ""
    branch_name_lang: str = "ja"
    # Closed before opening, after the last ticket, or stopped by an admin: the kiosk shows
    # its closed screen before a citizen answers any question.
    issuing_open: bool
    issuing_closed_code: str | None = None
    issuing_closed_message: str | None = None
    services: list[MenuService]
    life_events: list[MenuLifeEvent]


class ServiceInfo(BaseModel):
    id: str
    name: str
    name_en: str
    label: str
    prefix: str
    stage: Stage
    staff_only: bool
    citizen_present: bool
    typical_minutes: float


class CounterInfo(BaseModel):
    id: int
    name: str
    label: str
    label_en: str
    public: bool
    services: list[str]
    state: CounterState
    current_ticket: str | None


class QueueInfo(BaseModel):
    service: str
    label: str
    label_en: str
    prefix: str
    waiting: int
    estimated_wait_minutes: int


class PriorityCategoryInfo(BaseModel):
    """A reason for priority calling (合理的配慮), granted by staff on request."""

    id: str
    name: str
    name_en: str
    rank: int


class ReasonCodeInfo(BaseModel):
    """A contractually agreed reason for returning work (差戻し) to the contractor team."""

    id: str
    name: str
    name_en: str
