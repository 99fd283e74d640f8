"""Admin API: a branch's rules, devices, staff accounts and audit log. Administrators only."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlmodel import Session

from server.admin import service
from server.admin.schemas import (
    AuditRecord,
    CounterUpdate,
    DeviceAdmin,
    DeviceCreate,
    DeviceCreated,
    IssuingState,
    LifeEventUpdate,
    PasswordReset,
    PriorityCategoryUpdate,
    QuestionUpdate,
    QueueUpdate,
    ServiceCreate,
    ServiceUpdate,
    StaffAccount,
    StaffCreate,
    StopInsert,
)
from server.catalog.schemas import (
    CityHallConfig,
    CounterSpec,
    FairnessSpec,
    HoursSpec,
    LifeEventSpec,
    PriorityCategorySpec,
    QuestionSpec,
    QueueSpec,
    ServiceSpec,
    StopSpec,
    TranslationSpec,
)
from server.deps import MAX_ROW_ID, ClockDep, CurrentAdmin, RowId, SessionDep, WriteSessionDep
from server.errors import Unprocessable
from server.models import Staff

router = APIRouter(prefix="/admin/branches/{branch}", tags=["admin"])

MAX_CONFIG_BYTES = 2_000_000


async def yaml_body(request: Request) -> str:
    raw = await request.body()
    if len(raw) > MAX_CONFIG_BYTES:
        raise Unprocessable("The configuration file is too large (over 2 MB).", code="config_too_large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("The configuration file must be UTF-8 text.", code="config_not_utf8") from None


YamlBody = Annotated[str, Depends(yaml_body)]
YAML_REQUEST = {
    "requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}},
}


# --- whole configuration ----------------------------------------------------------------------


@router.get(
    "/config",
    response_model=CityHallConfig,
    responses={200: {"content": {"text/yaml": {}}, "description": "The rules as JSON, or (format=yaml) a YAML file."}},
)
def export_config(
    branch: str,
    session: SessionDep,
    admin: CurrentAdmin,
    clock: ClockDep,
    format: Annotated[Literal["json", "yaml"], Query()] = "json",
) -> CityHallConfig | Response:
    """The branch's live rules as a configuration (JSON, or a YAML file to download with ?format=yaml)."""
    if format == "json":
        service.admin_branch(session, branch_id=branch, staff=admin)
        return service.current_config(session, branch_id=branch)
    text = service.export_yaml(session, branch_id=branch, staff=admin, now=clock())
    return Response(
        text,
        media_type="text/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="madoguchi-{branch}.yaml"'},
    )


@router.put("/config", openapi_extra=YAML_REQUEST)
def import_config(
    branch: str, admin: CurrentAdmin, text: YamlBody, session: WriteSessionDep, clock: ClockDep
) -> CityHallConfig:
    """Replace the branch's rules with a YAML configuration; every problem is listed with its line."""
    return service.import_yaml(session, branch_id=branch, text=text, staff=admin, now=clock())


# --- queues (ticket prefixes) -----------------------------------------------------------------


@router.get("/queues")
def list_queues(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[QueueSpec]:
    """Ticket prefixes with their neutral public labels."""
    return service.list_items(session, branch_id=branch, section=service.QUEUES, staff=admin)


@router.post("/queues", status_code=status.HTTP_201_CREATED)
def create_queue(
    branch: str, body: QueueSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> QueueSpec:
    """Add a ticket prefix (a prefix already in use is refused)."""
    return service.add_item(session, branch_id=branch, section=service.QUEUES, item=body, staff=admin, now=clock())


@router.patch("/queues/{prefix}")
def update_queue(
    branch: str, prefix: str, body: QueueUpdate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> QueueSpec:
    """Change a queue's names, public labels or kiosk button."""
    return service.update_item(
        session,
        branch_id=branch,
        section=service.QUEUES,
        key=prefix,
        changes=body.changes(),
        staff=admin,
        now=clock(),
    )


# --- services ---------------------------------------------------------------------------------


@router.get("/services")
def list_services(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[ServiceSpec]:
    """Active services with every setting, issue cut-off included."""
    return service.list_items(session, branch_id=branch, section=service.SERVICES, staff=admin)


@router.post("/services", status_code=status.HTTP_201_CREATED)
def create_service(
    branch: str, body: ServiceCreate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> ServiceSpec:
    """Add a service and the counters that serve it (a deactivated service's id brings it back)."""
    spec = ServiceSpec.model_validate(body.model_dump(exclude={"counters"}))
    return service.add_service(
        session, branch_id=branch, service=spec, counters=body.counters, staff=admin, now=clock()
    )


@router.patch("/services/{key}")
def update_service(
    branch: str, key: str, body: ServiceUpdate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> ServiceSpec:
    """Change a service; `issue_cutoff` sets (or with null clears) its daily last-ticket time."""
    return service.update_item(
        session, branch_id=branch, section=service.SERVICES, key=key, changes=body.changes(), staff=admin, now=clock()
    )


@router.delete("/services/{key}", status_code=status.HTTP_204_NO_CONTENT)
def deactivate_service(branch: str, key: str, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep) -> None:
    """Deactivate a service (kept for history); counters drop it, routes that use it must change first."""
    service.deactivate_service(session, branch_id=branch, key=key, staff=admin, now=clock())


# --- counters ---------------------------------------------------------------------------------


@router.get("/counters")
def list_counters(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[CounterSpec]:
    """Counters and internal desks with the services each serves, in its order of preference."""
    return service.list_items(session, branch_id=branch, section=service.COUNTERS, staff=admin)


@router.post("/counters", status_code=status.HTTP_201_CREATED)
def create_counter(
    branch: str, body: CounterSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> CounterSpec:
    """Add a counter or internal desk."""
    return service.add_item(session, branch_id=branch, section=service.COUNTERS, item=body, staff=admin, now=clock())


@router.patch("/counters/{key}")
def update_counter(
    branch: str, key: str, body: CounterUpdate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> CounterSpec:
    """Change a counter: names, public or internal, staffing, and which services in which order."""
    return service.update_item(
        session, branch_id=branch, section=service.COUNTERS, key=key, changes=body.changes(), staff=admin, now=clock()
    )


@router.delete("/counters/{key}", status_code=status.HTTP_204_NO_CONTENT)
def deactivate_counter(branch: str, key: str, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep) -> None:
    """Deactivate a closed counter (kept for history)."""
    service.deactivate_counter(session, branch_id=branch, key=key, staff=admin, now=clock())


# --- life events and questions ----------------------------------------------------------------


@router.get("/life-events")
def list_life_events(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[LifeEventSpec]:
    """Life events with their questions and routes."""
    return service.list_items(session, branch_id=branch, section=service.LIFE_EVENTS, staff=admin)


@router.patch("/life-events/{key}")
def update_life_event(
    branch: str, key: str, body: LifeEventUpdate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> LifeEventSpec:
    """Change a life event: names, icon, notes, questions asked, and its route of stops with conditions."""
    return service.update_item(
        session,
        branch_id=branch,
        section=service.LIFE_EVENTS,
        key=key,
        changes=body.changes(),
        staff=admin,
        now=clock(),
    )


@router.post("/life-events/{key}/stops", status_code=status.HTTP_201_CREATED)
def add_stop(
    branch: str, key: str, body: StopInsert, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> LifeEventSpec:
    """Put a service into the route at a position (0 = first, omitted = last); new tickets get it."""
    return service.add_stop(
        session,
        branch_id=branch,
        life_event=key,
        stop=StopSpec(
            service=body.service, when=body.when, when_any=body.when_any, unless=body.unless, group=body.group
        ),
        position=body.position,
        staff=admin,
        now=clock(),
    )


@router.get("/questions")
def list_questions(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[QuestionSpec]:
    """Every yes/no question of the branch, asked by a life event or not yet."""
    return service.list_items(session, branch_id=branch, section=service.QUESTIONS, staff=admin)


@router.post("/questions", status_code=status.HTTP_201_CREATED)
def create_question(
    branch: str, body: QuestionSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> QuestionSpec:
    """Add a yes/no question that life events can then ask."""
    return service.add_item(session, branch_id=branch, section=service.QUESTIONS, item=body, staff=admin, now=clock())


@router.patch("/questions/{key}")
def update_question(
    branch: str, key: str, body: QuestionUpdate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> QuestionSpec:
    """Change a question's wording."""
    return service.update_item(
        session, branch_id=branch, section=service.QUESTIONS, key=key, changes=body.changes(), staff=admin, now=clock()
    )


# --- priority and fairness --------------------------------------------------------------------


@router.get("/priority-categories")
def list_priority_categories(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[PriorityCategorySpec]:
    """Priority categories (合理的配慮), rank 1 first."""
    return service.list_items(session, branch_id=branch, section=service.PRIORITY_CATEGORIES, staff=admin)


@router.post("/priority-categories", status_code=status.HTTP_201_CREATED)
def create_priority_category(
    branch: str, body: PriorityCategorySpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> PriorityCategorySpec:
    """Add a priority category."""
    return service.add_item(
        session, branch_id=branch, section=service.PRIORITY_CATEGORIES, item=body, staff=admin, now=clock()
    )


@router.patch("/priority-categories/{key}")
def update_priority_category(
    branch: str,
    key: str,
    body: PriorityCategoryUpdate,
    session: WriteSessionDep,
    admin: CurrentAdmin,
    clock: ClockDep,
) -> PriorityCategorySpec:
    """Rename or re-rank a priority category."""
    return service.update_item(
        session,
        branch_id=branch,
        section=service.PRIORITY_CATEGORIES,
        key=key,
        changes=body.changes(),
        staff=admin,
        now=clock(),
    )


@router.delete("/priority-categories/{key}", status_code=status.HTTP_204_NO_CONTENT)
def deactivate_priority_category(
    branch: str, key: str, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> None:
    """Stop offering a priority category (tickets that have it keep it)."""
    service.deactivate_priority_category(session, branch_id=branch, key=key, staff=admin, now=clock())


@router.get("/fairness")
def get_fairness(branch: str, session: SessionDep, admin: CurrentAdmin) -> FairnessSpec:
    """The anti-starvation rule: normal calls between two priority calls."""
    service.admin_branch(session, branch_id=branch, staff=admin)
    return service.current_config(session, branch_id=branch).fairness


@router.put("/fairness")
def replace_fairness(
    branch: str, body: FairnessSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> FairnessSpec:
    """Set the anti-starvation rule (min_normal_between)."""
    return service.replace_fairness(session, branch_id=branch, fairness=body, staff=admin, now=clock())


# --- translations ------------------------------------------------------------------------------


@router.get("/translations/{language}")
def get_translations(branch: str, language: str, session: SessionDep, admin: CurrentAdmin) -> dict[str, Any]:
    """What citizens read, each string with its Japanese, English and this language's text."""
    return service.translations_of(session, branch_id=branch, language=language, staff=admin)


@router.put("/translations/{language}")
def replace_translations(
    branch: str, language: str, body: TranslationSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> TranslationSpec:
    """Set one language's words (ids as in the configuration; ruby {漢字|かんじ} for ja_easy)."""
    return service.replace_translations(
        session, branch_id=branch, language=language, translation=body, staff=admin, now=clock()
    )


# --- hours and issuing ------------------------------------------------------------------------


@router.get("/hours")
def get_hours(branch: str, session: SessionDep, admin: CurrentAdmin) -> HoursSpec:
    """Opening, closing and last-ticket times."""
    service.admin_branch(session, branch_id=branch, staff=admin)
    return service.current_config(session, branch_id=branch).hours


@router.put("/hours")
def replace_hours(
    branch: str, body: HoursSpec, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> HoursSpec:
    """Set opening, closing and last-ticket times (every service cut-off must still fit)."""
    return service.replace_hours(session, branch_id=branch, hours=body, staff=admin, now=clock())


@router.get("/issuing")
def get_issuing(branch: str, session: SessionDep, admin: CurrentAdmin) -> IssuingState:
    """Whether ticket issuing is stopped right now."""
    return IssuingState(stopped=service.admin_branch(session, branch_id=branch, staff=admin).issuing_stopped)


@router.put("/issuing")
def set_issuing(
    branch: str, body: IssuingState, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> IssuingState:
    """Stop or resume issuing tickets now (kiosks and staff alike); audited."""
    row = service.set_issuing_stopped(session, branch_id=branch, stopped=body.stopped, staff=admin, now=clock())
    return IssuingState(stopped=row.issuing_stopped)


# --- devices ----------------------------------------------------------------------------------


@router.get("/devices")
def list_devices(branch: str, session: SessionDep, admin: CurrentAdmin, clock: ClockDep) -> list[DeviceAdmin]:
    """Kiosks and display boards with health (ok / warning / fault), revoked ones last."""
    return service.list_devices(session, branch_id=branch, staff=admin, now=clock())


@router.post("/devices", status_code=status.HTTP_201_CREATED)
def create_device(
    branch: str, body: DeviceCreate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> DeviceCreated:
    """Register a kiosk or display board; its token is shown in this answer only."""
    now = clock()
    token, device = service.register_device(
        session, branch_id=branch, name=body.name, kind=body.kind, staff=admin, now=now
    )
    return DeviceCreated(device=service.device_admin_view(device, now=now), token=token)


@router.post("/devices/{device}/revoke")
def revoke_device(
    branch: str, device: RowId, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> DeviceAdmin:
    """Revoke a device's token at once (a lost or replaced kiosk)."""
    now = clock()
    row = service.revoke_device(session, branch_id=branch, device_id=device, staff=admin, now=now)
    return service.device_admin_view(row, now=now)


# --- staff accounts ---------------------------------------------------------------------------


@router.get("/staff")
def list_staff(branch: str, session: SessionDep, admin: CurrentAdmin) -> list[StaffAccount]:
    """Staff accounts of the branch (never their passwords)."""
    return service.list_staff(session, branch_id=branch, staff=admin)


@router.post("/staff", status_code=status.HTTP_201_CREATED)
def create_staff(
    branch: str, body: StaffCreate, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> StaffAccount:
    """Create a staff account for this branch."""
    account = service.create_staff_account(
        session,
        branch_id=branch,
        username=body.username,
        role=body.role,
        password=body.password,
        staff=admin,
        now=clock(),
    )
    return service.staff_account(account)


def _set_active(
    session: Session, *, branch: str, account: int, active: bool, admin: Staff, now: datetime
) -> StaffAccount:
    row = service.set_staff_active(session, branch_id=branch, account_id=account, active=active, staff=admin, now=now)
    return service.staff_account(row)


@router.post("/staff/{account}/disable")
def disable_staff(
    branch: str, account: RowId, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> StaffAccount:
    """Disable an account; its sign-ins end at once."""
    return _set_active(session, branch=branch, account=account, active=False, admin=admin, now=clock())


@router.post("/staff/{account}/enable")
def enable_staff(
    branch: str, account: RowId, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> StaffAccount:
    """Re-enable a disabled account."""
    return _set_active(session, branch=branch, account=account, active=True, admin=admin, now=clock())


@router.post("/staff/{account}/password")
def reset_password(
    branch: str, account: RowId, body: PasswordReset, session: WriteSessionDep, admin: CurrentAdmin, clock: ClockDep
) -> StaffAccount:
    """Set a new password; the account's existing sign-ins end."""
    row = service.reset_password(
        session, branch_id=branch, account_id=account, password=body.password, staff=admin, now=clock()
    )
    return service.staff_account(row)


# --- audit log --------------------------------------------------------------------------------


@router.get("/audit")
def list_audit(
    branch: str,
    session: SessionDep,
    admin: CurrentAdmin,
    target: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
) -> list[AuditRecord]:
    """Who changed what and when, newest first; filter by target ("service:pickup" or "service")."""
    return service.list_audit(session, branch_id=branch, staff=admin, target=target, limit=limit, before_id=before_id)
