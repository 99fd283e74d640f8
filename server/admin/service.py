"""Administration of a branch's rules, devices and staff accounts.

Every rule change takes one path (save_rules): export the live rules as a configuration
(export_config), edit that, check it with the loader's rules (validate_config — the same ones
that guard the YAML file), then, under the write lock, write what changed (apply_config), record
an audit entry, commit once. A refused change raises InvalidConfiguration before anything is
written, so nothing changes. New tickets read the database, so a change applies to the next
ticket issued.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from server.admin.schemas import AuditRecord, DeviceAdmin, StaffAccount
from server.auth import service as auth_service
from server.catalog.loader import ConfigError, PathKey, parse_config_text, validate_config
from server.catalog.schemas import (
    TRANSLATED_LANGUAGES,
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
from server.catalog.service import LISTS, StoredRules, apply_config, config_of, export_config, read_rules
from server.catalog.translations import citizen_strings, without_removed_ids
from server.db import reader
from server.devices.schemas import HealthLevel
from server.devices.service import device_view
from server.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.models import (
    AuditEntry,
    Branch,
    Counter,
    CounterState,
    Device,
    DeviceKind,
    Role,
    Staff,
    StaffSession,
)
from server.realtime.events import EventType, record_event

# Kiosks report every half minute; three missed reports mean the kiosk is down or cut off.
KIOSK_OFFLINE_AFTER = timedelta(seconds=90)


class InvalidConfiguration(Unprocessable):
    code = "invalid_configuration"


Item = TypeVar("Item", bound=BaseModel)


@dataclass(frozen=True)
class Section(Generic[Item]):
    """A list in the configuration whose items the admin API edits one at a time."""

    name: str  # attribute of CityHallConfig
    key: str  # the item's identifying field
    noun: str  # for audit actions, targets and messages
    model: type[Item]

    def items(self, config: CityHallConfig) -> list[Item]:
        items: list[Item] = getattr(config, self.name)
        return items


QUEUES = Section("queues", "prefix", "queue", QueueSpec)
SERVICES = Section("services", "id", "service", ServiceSpec)
COUNTERS = Section("counters", "id", "counter", CounterSpec)
QUESTIONS = Section("questions", "id", "question", QuestionSpec)
LIFE_EVENTS = Section("life_events", "id", "life_event", LifeEventSpec)
PRIORITY_CATEGORIES = Section("priority_categories", "id", "priority_category", PriorityCategorySpec)

_NOUNS = {
    "queues": "queue",
    "services": "service",
    "counters": "counter",
    "questions": "question",
    "life_events": "life event",
    "priority_categories": "priority category",
    "reason_codes": "reason code",
}


# --- access -------------------------------------------------------------------------------


def _may_administer(staff: Staff, branch_id: str) -> None:
    if staff.role != Role.admin:
        raise Forbidden("This needs an administrator account.", code="admin_only")
    if staff.branch_id is not None and staff.branch_id != branch_id:
        raise Forbidden(f"Your account manages branch {staff.branch_id!r} only.", code="wrong_branch")


def admin_branch(session: Session, *, branch_id: str, staff: Staff, lock: bool = False) -> Branch:
    """The branch, if this administrator manages it; `lock` serialises concurrent rule changes."""
    _may_administer(staff, branch_id)
    statement = select(Branch).where(Branch.id == branch_id)
    if lock:
        # PostgreSQL: two admins saving at once would otherwise both edit the same export and
        # the later save would silently undo the earlier one. SQLite's write session already
        # holds the database lock (FOR UPDATE renders as nothing there).
        statement = statement.with_for_update()
    branch = session.exec(statement).first()
    if branch is None:
        raise NotFound(f"Unknown branch {branch_id!r}.", code="branch_not_found")
    return branch


# --- the one path for rule changes --------------------------------------------------------


def current_config(session: Session, *, branch_id: str) -> CityHallConfig:
    return export_config(session, branch_id)


@dataclass(frozen=True)
class Change:
    """What an edit did to the configuration, for the audit log."""

    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


# An edit changes the exported configuration in place and says what it did; it may refuse (4xx).
Edit = Callable[[CityHallConfig], Change]
# Checks of state outside the rules, made again under the write lock (a counter still closed).
Guard = Callable[[Session], None]


def _dump(item: BaseModel | None) -> dict[str, Any] | None:
    return None if item is None else item.model_dump(mode="json")


def _audit(
    session: Session,
    *,
    branch_id: str,
    staff: Staff,
    now: datetime,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        AuditEntry(
            branch_id=branch_id,
            at=now,
            staff_id=staff.id,
            username=staff.username,
            action=action,
            target=target,
            before=before,
            after=after,
        )
    )


def _checked(config: CityHallConfig, action: str) -> CityHallConfig:
    data = config.model_dump(mode="json")
    if not action.startswith("translations."):  # an id typed into the translations is refused
        data = without_removed_ids(data)
    try:
        return validate_config(data)
    except ConfigError as error:
        raise InvalidConfiguration(describe_problems(error, data)) from None


@dataclass(frozen=True)
class _Prepared:
    checked: CityHallConfig
    change: Change
    stored: StoredRules
    version: int
    lists: frozenset[str]  # those the edit changed (see apply_config)


def _prepare(session: Session, *, branch_id: str, staff: Staff, edit: Edit) -> _Prepared:
    """Export, edit and check the rules; the rows read stay in the session for apply_config."""
    admin_branch(session, branch_id=branch_id, staff=staff)
    stored = read_rules(session, branch_id)
    version = stored.branch.catalog_version  # read first: a change committed after it shows in it
    config = config_of(stored)
    exported = config.model_copy(deep=True)
    change = edit(config)
    checked = _checked(config, change.action)
    changed = frozenset(name for name in LISTS if getattr(checked, name) != getattr(exported, name))
    return _Prepared(checked, change, stored, version, changed)


def _prepare_unlocked(session: Session, *, branch_id: str, staff: Staff, edit: Edit) -> _Prepared:
    """`_prepare` in a read transaction of its own: no write lock is held meanwhile."""
    write_bind = session.get_bind()
    assert isinstance(write_bind, Engine)  # sessions here are bound to an engine
    session.bind = reader(write_bind)
    try:
        prepared = _prepare(session, branch_id=branch_id, staff=staff, edit=edit)
        session.commit()  # nothing written: ends the read; the rows read stay in the session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.bind = write_bind
    return prepared


def save_rules(
    session: Session, *, branch_id: str, staff: Staff, now: datetime, edit: Edit, guard: Guard | None = None
) -> CityHallConfig:
    """Edit the branch's rules and write what changed; returns the rules as saved.

    Reading, editing and checking the whole configuration takes tens of milliseconds, and while
    a save holds SQLite's write lock no ticket is issued and no counter calls: so it is done
    first, without the lock. Under the lock, the branch's catalog_version (one more with every
    change of the rules) says whether the rules read are still the stored ones; if so, only the
    differences are written (a few statements). If another save came in between, the edit is
    made again on the new rules, this time under the lock from the start, so two admins saving
    at once never undo each other and neither waits forever. PostgreSQL: the branch row is
    locked until the commit, so saves of one branch take turns there too.
    """
    write_bind = session.get_bind()
    prepared = _prepare_unlocked(session, branch_id=branch_id, staff=staff, edit=edit)
    version = session.exec(select(Branch.catalog_version).where(Branch.id == branch_id).with_for_update()).one()
    if version != prepared.version:
        session.rollback()
        session.bind = write_bind  # a request's session reads after a rollback (server/deps.py)
        # The transaction begun here holds the lock (SQLite) or the branch row (PostgreSQL).
        session.exec(select(Branch.catalog_version).where(Branch.id == branch_id).with_for_update()).one()
        prepared = _prepare(session, branch_id=branch_id, staff=staff, edit=edit)
    if guard is not None:
        guard(session)
    change = prepared.change
    apply_config(session, prepared.checked, prepared.stored, prepared.lists)
    record_event(session, type=EventType.catalog_changed, branch_id=branch_id, now=now)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action=change.action,
        target=change.target,
        before=change.before,
        after=change.after,
    )
    session.commit()
    return prepared.checked


def describe_problems(error: ConfigError, data: Any) -> str:
    """One line per problem, naming items by their id rather than by list index."""
    lines = ["The change was refused; nothing was changed."]
    for problem in error.problems:
        line = error.line_of(problem.path) if error.lines else None
        place = f"line {line}: " if line is not None else ""
        lines.append(f"{place}{_where(problem.path, data)}: {problem.message}")
    return "\n".join(lines)


def _where(path: PathKey, data: Any) -> str:
    if not path:
        return "configuration"
    section, rest = path[0], path[1:]
    words = [str(section)]
    items = data.get(section) if isinstance(data, dict) else None
    index = rest[0] if rest else None
    if isinstance(index, int) and isinstance(items, list) and index < len(items):
        rest = rest[1:]
        item = items[index]
        key = item.get("id", item.get("prefix")) if isinstance(item, dict) else None
        noun = _NOUNS.get(str(section), str(section))
        words = [f"{noun} {key!r}" if key is not None else f"{noun} #{index + 1}"]
    words.extend(f"#{part + 1}" if isinstance(part, int) else str(part) for part in rest)
    return " › ".join(words)


def _index(items: list[Item], section: Section[Item], key: str) -> int:
    for index, item in enumerate(items):
        if getattr(item, section.key) == key:
            return index
    raise NotFound(f"No {section.noun.replace('_', ' ')} {key!r} in this branch.", code=f"{section.noun}_not_found")


def _target(section: Section[Any], key: str) -> str:
    return f"{section.noun}:{key}"


# --- items of the configuration -----------------------------------------------------------


def list_items(session: Session, *, branch_id: str, section: Section[Item], staff: Staff) -> list[Item]:
    admin_branch(session, branch_id=branch_id, staff=staff)
    return section.items(current_config(session, branch_id=branch_id))


def add_item(
    session: Session, *, branch_id: str, section: Section[Item], item: Item, staff: Staff, now: datetime
) -> Item:
    """Append a new queue, counter, question or priority category.

    A duplicate id or prefix is left to the loader's rules, which refuse it with the others.
    """
    key = getattr(item, section.key)

    def edit(config: CityHallConfig) -> Change:
        section.items(config).append(item)
        return Change(f"{section.noun}.create", _target(section, key), None, _dump(item))

    saved = save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit)
    return _item(saved, section, key)


def add_service(
    session: Session, *, branch_id: str, service: ServiceSpec, counters: list[str], staff: Staff, now: datetime
) -> ServiceSpec:
    """Add a service and the counters that serve it, in one change (a service nobody serves is refused)."""

    def edit(config: CityHallConfig) -> Change:
        for code in counters:
            counter = config.counters[_index(config.counters, COUNTERS, code)]
            counter.services = [*counter.services, service.id]
        config.services.append(service)
        after = {**service.model_dump(mode="json"), "counters": counters}
        return Change("service.create", _target(SERVICES, service.id), None, after)

    saved = save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit)
    return _item(saved, SERVICES, service.id)


def update_item(
    session: Session,
    *,
    branch_id: str,
    section: Section[Item],
    key: str,
    changes: dict[str, Any],
    staff: Staff,
    now: datetime,
) -> Item:
    edit = _replacing(section, key, lambda _: changes, action="update")
    return _item(save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit), section, key)


def _item(config: CityHallConfig, section: Section[Item], key: str) -> Item:
    items = section.items(config)
    return items[_index(items, section, key)]


def _replacing(section: Section[Item], key: str, changes: Callable[[Item], dict[str, Any]], *, action: str) -> Edit:
    """An edit that changes some fields of one item (`changes`: from the item as it is)."""

    def edit(config: CityHallConfig) -> Change:
        items = section.items(config)
        index = _index(items, section, key)
        before = items[index]
        # Unvalidated copy on purpose: validate_config checks the whole result in one go.
        items[index] = before.model_copy(update=changes(before))
        return Change(f"{section.noun}.{action}", _target(section, key), _dump(before), _dump(items[index]))

    return edit


def _removing(section: Section[Any], key: str, *, also: Callable[[CityHallConfig], None] | None = None) -> Edit:
    """An edit that takes one item out of the rules (its row becomes inactive); `also` first
    adjusts the rest (counters stop serving a removed service)."""

    def edit(config: CityHallConfig) -> Change:
        items = section.items(config)
        index = _index(items, section, key)
        if also is not None:
            also(config)
        removed = items.pop(index)
        return Change(f"{section.noun}.deactivate", _target(section, key), _dump(removed), None)

    return edit


def deactivate_service(session: Session, *, branch_id: str, key: str, staff: Staff, now: datetime) -> None:
    """Stop offering a service: counters stop serving it; a life-event route that still uses it refuses."""

    def unserve(config: CityHallConfig) -> None:
        for counter in config.counters:
            counter.services = [service for service in counter.services if service != key]

    save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=_removing(SERVICES, key, also=unserve))


def deactivate_counter(session: Session, *, branch_id: str, key: str, staff: Staff, now: datetime) -> None:
    def closed(session: Session) -> None:
        state = session.exec(select(Counter.state).where(Counter.branch_id == branch_id, Counter.code == key)).first()
        if state == CounterState.open:
            raise Conflict(f"Counter {key!r} is open; close it before removing it.", code="counter_open")

    save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=_removing(COUNTERS, key), guard=closed)


def deactivate_priority_category(session: Session, *, branch_id: str, key: str, staff: Staff, now: datetime) -> None:
    save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=_removing(PRIORITY_CATEGORIES, key))


def add_stop(
    session: Session,
    *,
    branch_id: str,
    life_event: str,
    stop: StopSpec,
    position: int | None,
    staff: Staff,
    now: datetime,
) -> LifeEventSpec:
    """Put a service into a life event's route at a place (0 = first; none = last)."""

    def with_stop(event: LifeEventSpec) -> dict[str, Any]:
        stops = list(event.stops)
        if position is not None and position > len(stops):
            raise Unprocessable(
                f"Position {position} is past the end of the route ({len(stops)} stops).", code="invalid_position"
            )
        stops.insert(len(stops) if position is None else position, stop)
        return {"stops": stops}

    edit = _replacing(LIFE_EVENTS, life_event, with_stop, action="add_stop")
    return _item(save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit), LIFE_EVENTS, life_event)


def replacing_part(name: str, value: BaseModel, *, action: str, target: str) -> Edit:
    """An edit that replaces one whole part of the rules (hours, fairness, calendar …)."""

    def edit(config: CityHallConfig) -> Change:
        before = getattr(config, name)
        setattr(config, name, value)
        return Change(action, target, _dump(before), _dump(value))

    return edit


def replace_hours(session: Session, *, branch_id: str, hours: HoursSpec, staff: Staff, now: datetime) -> HoursSpec:
    edit = replacing_part("hours", hours, action="hours.update", target="hours")
    return save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit).hours


def replace_fairness(
    session: Session, *, branch_id: str, fairness: FairnessSpec, staff: Staff, now: datetime
) -> FairnessSpec:
    edit = replacing_part("fairness", fairness, action="fairness.update", target="fairness")
    return save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit).fairness


# --- whole configuration ------------------------------------------------------------------


def export_yaml(session: Session, *, branch_id: str, staff: Staff, now: datetime) -> str:
    admin_branch(session, branch_id=branch_id, staff=staff)
    config = current_config(session, branch_id=branch_id)
    header = (
        f"# Madoguchi configuration of branch {branch_id}, exported {now.isoformat(timespec='seconds')}"
        f" by {staff.username}.\n# Edit and import it back in the admin console, or load it with"
        " `madoguchi init --config FILE`.\n"
    )
    body: str = yaml.safe_dump(config.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=1000)
    return header + body


def import_yaml(session: Session, *, branch_id: str, text: str, staff: Staff, now: datetime) -> CityHallConfig:
    """Replace the branch's rules with an uploaded configuration; problems name their line."""
    _may_administer(staff, branch_id)  # before reading what was sent
    try:
        uploaded = parse_config_text(text, source="")
    except ConfigError as error:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        raise InvalidConfiguration(describe_problems(error, data)) from None
    if uploaded.branch.id != branch_id:
        raise InvalidConfiguration(
            f"The change was refused; nothing was changed.\nbranch › id: the file is for branch "
            f"{uploaded.branch.id!r}, but this is branch {branch_id!r}."
        )

    def edit(config: CityHallConfig) -> Change:
        old, new = config.model_dump(mode="json"), uploaded.model_dump(mode="json")
        for name in type(config).model_fields:  # the whole configuration, replaced in place
            setattr(config, name, getattr(uploaded, name))
        changed = [name for name in new if old.get(name) != new[name]]
        return Change(
            "config.import",
            "config",
            {name: old.get(name) for name in changed},
            {name: new[name] for name in changed},
        )

    return save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit)


# --- issuing --------------------------------------------------------------------------------


def set_issuing_stopped(session: Session, *, branch_id: str, stopped: bool, staff: Staff, now: datetime) -> Branch:
    """Stop or resume issuing tickets at once (kiosks and staff alike)."""
    branch = admin_branch(session, branch_id=branch_id, staff=staff, lock=True)
    if branch.issuing_stopped != stopped:
        _audit(
            session,
            branch_id=branch.id,
            staff=staff,
            now=now,
            action="issuing.stop" if stopped else "issuing.resume",
            target="issuing",
            before={"stopped": branch.issuing_stopped},
            after={"stopped": stopped},
        )
        branch.issuing_stopped = stopped
        session.add(branch)
        record_event(session, type=EventType.catalog_changed, branch_id=branch.id, now=now)
        session.commit()
    return branch


# --- devices --------------------------------------------------------------------------------


def device_admin_view(device: Device, *, now: datetime) -> DeviceAdmin:
    view = device_view(device)
    online: bool | None = None
    level = view.level
    # Kiosks report every half minute; a board's open WebSocket is its report (operations/liveness.py).
    if device.revoked_at is None:
        online = device.last_seen_at is not None and now - device.last_seen_at <= KIOSK_OFFLINE_AFTER
        if not online and device.last_seen_at is not None:
            level = HealthLevel.fault
        elif online and device.kind == DeviceKind.display:
            level = HealthLevel.ok  # a board has no printer: connected is healthy
    return DeviceAdmin(
        **view.model_dump(exclude={"level"}),
        level=level,
        created_at=device.created_at,
        revoked_at=device.revoked_at,
        online=online,
    )


def _device_record(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "name": device.name,
        "kind": str(device.kind),
        "revoked_at": device.revoked_at.isoformat() if device.revoked_at else None,
    }


def list_devices(session: Session, *, branch_id: str, staff: Staff, now: datetime) -> list[DeviceAdmin]:
    """Every device of the branch, revoked ones last."""
    admin_branch(session, branch_id=branch_id, staff=staff)
    devices = session.exec(
        select(Device)
        .where(Device.branch_id == branch_id)
        .order_by(col(Device.revoked_at).is_not(None), col(Device.kind), col(Device.name), col(Device.id))
    ).all()
    return [device_admin_view(device, now=now) for device in devices]


def register_device(
    session: Session, *, branch_id: str, name: str, kind: DeviceKind, staff: Staff, now: datetime
) -> tuple[str, Device]:
    admin_branch(session, branch_id=branch_id, staff=staff)
    token, device = auth_service.create_device(
        session, name=name, kind=kind, branch_id=branch_id, now=now, commit=False
    )
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="device.create",
        target=f"device:{device.id}",
        before=None,
        after=_device_record(device),
    )
    session.commit()
    return token, device


def revoke_device(session: Session, *, branch_id: str, device_id: int, staff: Staff, now: datetime) -> Device:
    """The device's token stops working at once; the row stays for the event history."""
    admin_branch(session, branch_id=branch_id, staff=staff)
    device = session.get(Device, device_id)
    if device is None or device.branch_id != branch_id:
        raise NotFound(f"No device {device_id} in this branch.", code="device_not_found")
    if device.revoked_at is not None:
        return device
    before = _device_record(device)
    device.revoked_at = now
    session.add(device)
    record_event(session, type=EventType.access_revoked, branch_id=branch_id, now=now, device=device.id)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="device.revoke",
        target=f"device:{device.id}",
        before=before,
        after=_device_record(device),
    )
    session.commit()
    return device


# --- staff accounts -------------------------------------------------------------------------


def staff_account(staff: Staff) -> StaffAccount:
    assert staff.id is not None
    return StaffAccount(
        id=staff.id,
        username=staff.username,
        role=staff.role,
        branch=staff.branch_id,
        active=staff.active,
        created_at=staff.created_at,
        sign_in="sso" if staff.oidc_subject else "local",
    )


def _staff_record(staff: Staff) -> dict[str, Any]:
    # Never the password hash.
    return {"username": staff.username, "role": str(staff.role), "branch": staff.branch_id, "active": staff.active}


def list_staff(session: Session, *, branch_id: str, staff: Staff) -> list[StaffAccount]:
    admin_branch(session, branch_id=branch_id, staff=staff)
    accounts = session.exec(select(Staff).where(Staff.branch_id == branch_id).order_by(col(Staff.username))).all()
    return [staff_account(account) for account in accounts]


def create_staff_account(
    session: Session, *, branch_id: str, username: str, role: Role, password: str, staff: Staff, now: datetime
) -> Staff:
    admin_branch(session, branch_id=branch_id, staff=staff)
    account = auth_service.create_staff(
        session, username=username, password=password, role=role, branch_id=branch_id, now=now, commit=False
    )
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="staff.create",
        target=f"staff:{account.username}",
        before=None,
        after=_staff_record(account),
    )
    session.commit()
    return account


def _branch_account(session: Session, *, branch_id: str, account_id: int) -> Staff:
    account = session.get(Staff, account_id)
    if account is None or account.branch_id != branch_id:
        raise NotFound(f"No staff account {account_id} in this branch.", code="staff_not_found")
    return account


def _end_sessions(session: Session, account: Staff, *, branch_id: str, now: datetime) -> None:
    session.exec(delete(StaffSession).where(col(StaffSession.staff_id) == account.id))
    record_event(session, type=EventType.access_revoked, branch_id=branch_id, now=now, staff=account.id)


def set_staff_active(
    session: Session, *, branch_id: str, account_id: int, active: bool, staff: Staff, now: datetime
) -> Staff:
    """Disable (signs the person out everywhere) or re-enable an account."""
    admin_branch(session, branch_id=branch_id, staff=staff)
    account = _branch_account(session, branch_id=branch_id, account_id=account_id)
    if not active and account.id == staff.id:
        raise Conflict("You cannot disable your own account.", code="cannot_disable_self")
    if account.active == active:
        return account
    before = _staff_record(account)
    account.active = active
    session.add(account)
    if not active:
        _end_sessions(session, account, branch_id=branch_id, now=now)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="staff.enable" if active else "staff.disable",
        target=f"staff:{account.username}",
        before=before,
        after=_staff_record(account),
    )
    session.commit()
    return account


def reset_password(
    session: Session, *, branch_id: str, account_id: int, password: str, staff: Staff, now: datetime
) -> Staff:
    """Set a new password; the account's existing sign-ins end (a leaked token stops working)."""
    admin_branch(session, branch_id=branch_id, staff=staff)
    account = _branch_account(session, branch_id=branch_id, account_id=account_id)
    if account.oidc_subject:
        raise Conflict(
            f"「{account.username}」はシングルサインオンのアカウントです。パスワードは認証基盤で変更してください。 "
            "This account signs in through single sign-on; change its password at the identity provider.",
            code="sso_account",
        )
    auth_service.check_password_strength(password)
    account.password_hash = auth_service.hash_password(password)
    session.add(account)
    _end_sessions(session, account, branch_id=branch_id, now=now)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="staff.reset_password",
        target=f"staff:{account.username}",
        before=None,
        after={"password": "reset"},
    )
    session.commit()
    return account


# --- audit log ------------------------------------------------------------------------------


def list_audit(
    session: Session, *, branch_id: str, staff: Staff, target: str | None, limit: int, before_id: int | None
) -> list[AuditRecord]:
    """Newest first. `target` matches exactly ("service:pickup") or a whole kind ("service")."""
    admin_branch(session, branch_id=branch_id, staff=staff)
    statement = select(AuditEntry).where(AuditEntry.branch_id == branch_id)
    if target:
        statement = statement.where(
            (col(AuditEntry.target) == target) | col(AuditEntry.target).startswith(f"{target}:", autoescape=True)
        )
    if before_id is not None:
        statement = statement.where(col(AuditEntry.id) < before_id)
    entries = session.exec(statement.order_by(col(AuditEntry.id).desc()).limit(limit)).all()
    return [AuditRecord.model_validate(entry, from_attributes=True) for entry in entries]


# --- translations of what citizens read -------------------------------------------------------


def translations_of(session: Session, *, branch_id: str, language: str, staff: Staff) -> dict[str, Any]:
    """Every citizen-facing string with its Japanese and English and this language's text ("" when
    missing: the kiosk shows the English, marked)."""
    _known_language(language)
    admin_branch(session, branch_id=branch_id, staff=staff)
    config = current_config(session, branch_id=branch_id)
    spec = config.translations.get(language)
    current = spec.model_dump() if spec is not None else {}
    items = []
    for item in citizen_strings(config):
        found: Any = current
        for part in item.path:
            found = found.get(part) if isinstance(found, dict) else None
        items.append({"path": ".".join(item.path), "ja": item.ja, "en": item.en, "text": found or ""})
    missing = sum(1 for item in items if not item["text"])
    # `current`: the language's whole entry, which a save sends back with its edits.
    whole = spec.model_dump(exclude_none=True) if spec is not None else {}
    return {"language": language, "items": items, "missing": missing, "current": whole}


def replace_translations(
    session: Session, *, branch_id: str, language: str, translation: TranslationSpec, staff: Staff, now: datetime
) -> TranslationSpec:
    """One language's words, whole (what the admin console's translation table saves)."""
    _known_language(language)

    def edit(config: CityHallConfig) -> Change:
        before = config.translations.get(language)
        config.translations[language] = translation
        return Change(
            "translations.update",
            f"translations:{language}",
            _dump(before) if before is not None else None,
            _dump(translation),
        )

    return save_rules(session, branch_id=branch_id, staff=staff, now=now, edit=edit).translations[language]


def _known_language(language: str) -> None:
    if language not in TRANSLATED_LANGUAGES:
        raise NotFound(
            f"Unknown language {language!r}: translations are for {', '.join(TRANSLATED_LANGUAGES)}."
            f" / 翻訳できる言語は {', '.join(TRANSLATED_LANGUAGES)} です。",
            code="language_not_found",
        )
