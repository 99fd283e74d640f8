"""Administration of a branch's rules, devices and staff accounts.

Every rule change takes one path: export the live rules as a configuration (export_config),
edit that, check it with the loader's rules (validate_config — the same ones that guard the YAML
file), write it back (apply_config), record an audit entry, commit once. A refused change raises
InvalidConfiguration before anything is written, so nothing changes. New tickets read the
database, so a change applies to the next ticket issued.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel
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
from server.catalog.service import apply_config, export_config
from server.catalog.translations import citizen_strings, without_removed_ids
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


def admin_branch(session: Session, *, branch_id: str, staff: Staff, lock: bool = False) -> Branch:
    """The branch, if this administrator manages it; `lock` serialises concurrent rule changes."""
    if staff.role != Role.admin:
        raise Forbidden("This needs an administrator account.", code="admin_only")
    if staff.branch_id is not None and staff.branch_id != branch_id:
        raise Forbidden(f"Your account manages branch {staff.branch_id!r} only.", code="wrong_branch")
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


def _open(session: Session, *, branch_id: str, staff: Staff) -> CityHallConfig:
    admin_branch(session, branch_id=branch_id, staff=staff, lock=True)
    return current_config(session, branch_id=branch_id)


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


def _save(
    session: Session,
    config: CityHallConfig,
    *,
    staff: Staff,
    now: datetime,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> CityHallConfig:
    data = config.model_dump(mode="json")
    if not action.startswith("translations."):  # an id typed into the translations is refused
        data = without_removed_ids(data)
    try:
        checked = validate_config(data)
    except ConfigError as error:
        raise InvalidConfiguration(describe_problems(error, data)) from None
    apply_config(session, checked)
    record_event(session, type=EventType.catalog_changed, branch_id=checked.branch.id, now=now)
    _audit(
        session,
        branch_id=checked.branch.id,
        staff=staff,
        now=now,
        action=action,
        target=target,
        before=before,
        after=after,
    )
    session.commit()
    return checked


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
    config = _open(session, branch_id=branch_id, staff=staff)
    items = section.items(config)
    items.append(item)
    key = getattr(item, section.key)
    saved = _save(
        session,
        config,
        staff=staff,
        now=now,
        action=f"{section.noun}.create",
        target=_target(section, key),
        before=None,
        after=_dump(item),
    )
    return section.items(saved)[len(items) - 1]


def add_service(
    session: Session, *, branch_id: str, service: ServiceSpec, counters: list[str], staff: Staff, now: datetime
) -> ServiceSpec:
    """Add a service and the counters that serve it, in one change (a service nobody serves is refused)."""
    config = _open(session, branch_id=branch_id, staff=staff)
    for code in counters:
        counter = config.counters[_index(config.counters, COUNTERS, code)]
        counter.services = [*counter.services, service.id]
    config.services.append(service)
    saved = _save(
        session,
        config,
        staff=staff,
        now=now,
        action="service.create",
        target=_target(SERVICES, service.id),
        before=None,
        after={**service.model_dump(mode="json"), "counters": counters},
    )
    return saved.services[-1]


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
    config = _open(session, branch_id=branch_id, staff=staff)
    return _replace(session, config, section=section, key=key, changes=changes, staff=staff, now=now)


def _replace(
    session: Session,
    config: CityHallConfig,
    *,
    section: Section[Item],
    key: str,
    changes: dict[str, Any],
    staff: Staff,
    now: datetime,
    action: str = "update",
) -> Item:
    items = section.items(config)
    index = _index(items, section, key)
    before = items[index]
    # Unvalidated copy on purpose: validate_config checks the whole result in one go.
    items[index] = before.model_copy(update=changes)
    saved = _save(
        session,
        config,
        staff=staff,
        now=now,
        action=f"{section.noun}.{action}",
        target=_target(section, key),
        before=_dump(before),
        after=_dump(items[index]),
    )
    return section.items(saved)[index]


def _remove(
    session: Session, config: CityHallConfig, *, section: Section[Any], key: str, staff: Staff, now: datetime
) -> None:
    items = section.items(config)
    index = _index(items, section, key)
    removed = items.pop(index)
    _save(
        session,
        config,
        staff=staff,
        now=now,
        action=f"{section.noun}.deactivate",
        target=_target(section, key),
        before=_dump(removed),
        after=None,
    )


def deactivate_service(session: Session, *, branch_id: str, key: str, staff: Staff, now: datetime) -> None:
    """Stop offering a service: counters stop serving it; a life-event route that still uses it refuses."""
    config = _open(session, branch_id=branch_id, staff=staff)
    _index(config.services, SERVICES, key)
    for counter in config.counters:
        counter.services = [service for service in counter.services if service != key]
    _remove(session, config, section=SERVICES, key=key, staff=staff, now=now)


def deactivate_counter(session: Session, *, branch_id: str, key: str, staff: Staff, now: datetime) -> None:
    config = _open(session, branch_id=branch_id, staff=staff)
    row = session.exec(select(Counter).where(Counter.branch_id == branch_id, Counter.code == key)).first()
    if row is not None and row.state == CounterState.open:
        raise Conflict(f"Counter {key!r} is open; close it before removing it.", code="counter_open")
    _remove(session, config, section=COUNTERS, key=key, staff=staff, now=now)


def deactivate_priority_category(session: Session, *, branch_id: str, key: str, staff: Staff, now: datetime) -> None:
    config = _open(session, branch_id=branch_id, staff=staff)
    _remove(session, config, section=PRIORITY_CATEGORIES, key=key, staff=staff, now=now)


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
    config = _open(session, branch_id=branch_id, staff=staff)
    event = config.life_events[_index(config.life_events, LIFE_EVENTS, life_event)]
    stops = list(event.stops)
    if position is not None and position > len(stops):
        raise Unprocessable(
            f"Position {position} is past the end of the route ({len(stops)} stops).", code="invalid_position"
        )
    stops.insert(len(stops) if position is None else position, stop)
    return _replace(
        session,
        config,
        section=LIFE_EVENTS,
        key=life_event,
        changes={"stops": stops},
        staff=staff,
        now=now,
        action="add_stop",
    )


def replace_hours(session: Session, *, branch_id: str, hours: HoursSpec, staff: Staff, now: datetime) -> HoursSpec:
    config = _open(session, branch_id=branch_id, staff=staff)
    before, config.hours = config.hours, hours
    saved = _save(
        session,
        config,
        staff=staff,
        now=now,
        action="hours.update",
        target="hours",
        before=_dump(before),
        after=_dump(hours),
    )
    return saved.hours


def replace_fairness(
    session: Session, *, branch_id: str, fairness: FairnessSpec, staff: Staff, now: datetime
) -> FairnessSpec:
    config = _open(session, branch_id=branch_id, staff=staff)
    before, config.fairness = config.fairness, fairness
    saved = _save(
        session,
        config,
        staff=staff,
        now=now,
        action="fairness.update",
        target="fairness",
        before=_dump(before),
        after=_dump(fairness),
    )
    return saved.fairness


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
    current = _open(session, branch_id=branch_id, staff=staff)
    try:
        config = parse_config_text(text, source="")
    except ConfigError as error:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        raise InvalidConfiguration(describe_problems(error, data)) from None
    if config.branch.id != branch_id:
        raise InvalidConfiguration(
            f"The change was refused; nothing was changed.\nbranch › id: the file is for branch "
            f"{config.branch.id!r}, but this is branch {branch_id!r}."
        )
    old, new = current.model_dump(mode="json"), config.model_dump(mode="json")
    changed = [name for name in new if old.get(name) != new[name]]
    return _save(
        session,
        config,
        staff=staff,
        now=now,
        action="config.import",
        target="config",
        before={name: old.get(name) for name in changed},
        after={name: new[name] for name in changed},
    )


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
    config = _open(session, branch_id=branch_id, staff=staff)
    before = config.translations.get(language)
    config.translations[language] = translation
    saved = _save(
        session,
        config,
        staff=staff,
        now=now,
        action="translations.update",
        target=f"translations:{language}",
        before=_dump(before) if before is not None else None,
        after=_dump(translation),
    )
    return saved.translations[language]


def _known_language(language: str) -> None:
    if language not in TRANSLATED_LANGUAGES:
        raise NotFound(
            f"Unknown language {language!r}: translations are for {', '.join(TRANSLATED_LANGUAGES)}."
            f" / 翻訳できる言語は {', '.join(TRANSLATED_LANGUAGES)} です。",
            code="language_not_found",
        )
