from pydantic import BaseModel

from server.models import CounterState, Stage


class BranchPublic(BaseModel):
    id: str
    name: str
    name_en: str


class MenuService(BaseModel):
    id: str
    name: str
    prefix: str


class MenuQuestion(BaseModel):
    id: str
    text: str


class MenuLifeEvent(BaseModel):
    id: str
    name: str
    icon: str
    note: str
    questions: list[MenuQuestion]


class Menu(BaseModel):
    branch: str
    issuing_open: bool
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
