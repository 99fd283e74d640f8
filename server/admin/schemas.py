"""Request and response shapes of the admin API.

Items are the configuration's own specs (ServiceSpec, CounterSpec …): the admin console edits
exactly what the YAML file holds, and the same loader checks both. Updates are partial: only
the fields sent change, and `null` clears an optional field (an issue cut-off, for instance).
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from server.catalog.schemas import ClockTime, Prefix, ServiceSpec, Slug, StopSpec, Text
from server.devices.schemas import DevicePublic
from server.models import DeviceKind, Role, Stage


class Patch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as model values (nested specs stay specs)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class QueueUpdate(Patch):
    name_ja: Text | None = None
    name_en: Text | None = None
    label_ja: Text | None = None
    label_en: Text | None = None
    kiosk: bool | None = None


CounterCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,20}$")]


class ServiceCreate(ServiceSpec):
    # Every service must be served by a counter, so a new one names its counters at once;
    # it joins the end of each counter's list (reorder it on the counter afterwards).
    counters: list[CounterCode] = Field(min_length=1)


class ServiceUpdate(Patch):
    queue: Prefix | None = None
    name_ja: Text | None = None
    name_en: Text | None = None
    stage: Stage | None = None
    staff_only: bool | None = None
    citizen_present: bool | None = None
    minutes: float | None = Field(default=None, gt=0, le=480)
    kiosk: bool | None = None
    sensitive: bool | None = None
    fair_by_arrival: bool | None = None
    issue_cutoff: ClockTime | None = None
    hands_over: bool | None = None


class CounterUpdate(Patch):
    name_ja: Text | None = None
    name_en: Text | None = None
    area: str | None = None
    public: bool | None = None
    staffed_by: str | None = Field(default=None, pattern=r"^(staff|contractor|mixed)$")
    # Which services, in the order the counter prefers them.
    services: list[Slug] | None = None


class LifeEventUpdate(Patch):
    name_ja: Text | None = None
    name_en: Text | None = None
    icon: str | None = Field(default=None, max_length=16)
    sensitive: bool | None = None
    note_ja: str | None = Field(default=None, max_length=1000)
    note_en: str | None = Field(default=None, max_length=1000)
    questions: list[Slug] | None = None
    stops: list[StopSpec] | None = None


class StopInsert(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: Slug
    when: list[Slug] = Field(default_factory=list)
    when_any: list[Slug] = Field(default_factory=list)
    unless: list[Slug] = Field(default_factory=list)
    group: Slug | None = None
    # 0-based place in the route; omitted = at the end.
    position: int | None = Field(default=None, ge=0)


class QuestionUpdate(Patch):
    text_ja: Text | None = None
    text_en: Text | None = None
    show_when: list[Slug] | None = None


class PriorityCategoryUpdate(Patch):
    name_ja: Text | None = None
    name_en: Text | None = None
    rank: int | None = Field(default=None, ge=1, le=9)


class IssuingState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stopped: bool


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    kind: DeviceKind


class DeviceAdmin(DevicePublic):
    created_at: datetime
    revoked_at: datetime | None
    # A kiosk that stopped reporting is treated as offline (a fault), whatever it said last.
    online: bool | None


class DeviceCreated(BaseModel):
    device: DeviceAdmin
    # Shown once: only its hash is stored.
    token: str


Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,80}$")]
Password = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    role: Role
    password: Password


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password


class StaffAccount(BaseModel):
    id: int
    username: str
    role: Role
    branch: str | None
    active: bool
    created_at: datetime
    # "sso": made by single sign-on; its password is the identity provider's, never set here.
    sign_in: Literal["local", "sso"] = "local"


class AuditRecord(BaseModel):
    id: int
    at: datetime
    username: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
