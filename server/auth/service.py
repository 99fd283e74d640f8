"""Staff accounts, login sessions and device tokens. Secrets are stored only as hashes."""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from server.errors import Conflict, NotFound, Unauthorized
from server.models import Branch, Device, DeviceKind, Role, Staff, StaffSession
from server.realtime.events import EventType, record_event

# Today's cost. Each hash records the parameters it was made with, so raising these later keeps
# older hashes verifying; a successful sign-in re-hashes them with today's (see `login`).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# The first format, "scrypt$salt$digest", named no parameters: it was always made with these.
_LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _scrypt(password: str, salt: bytes, params: dict[str, int]) -> bytes:
    n, r, p = params["n"], params["r"], params["p"]
    # OpenSSL refuses more than 32 MiB by default; allow what these parameters need.
    maxmem = 128 * r * (n + p + 2) + 2**20
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=maxmem)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT)
    params = ",".join(f"{name}={value}" for name, value in _SCRYPT.items())
    return f"scrypt${params}${salt.hex()}${digest.hex()}"


def _parse_hash(stored: str) -> tuple[dict[str, int], bytes, str] | None:
    """(parameters, salt, digest in hex) of a stored hash in either format; None if malformed."""
    parts = stored.split("$")
    if parts[0] != "scrypt":
        return None
    try:
        if len(parts) == 3:
            return dict(_LEGACY_SCRYPT), bytes.fromhex(parts[1]), parts[2]
        if len(parts) == 4:
            pairs = [item.split("=", 1) for item in parts[1].split(",")]
            params = {name: int(value) for name, value in pairs}
            if set(params) != {"n", "r", "p"} or len(pairs) != 3 or min(params.values()) < 1:
                return None
            return params, bytes.fromhex(parts[2]), parts[3]
    except ValueError:  # not hex, not a number, no "="
        return None
    return None


def verify_password(password: str, stored: str) -> bool:
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    params, salt, digest_hex = parsed
    try:
        digest = _scrypt(password, salt, params)
    except (ValueError, OverflowError, MemoryError):  # parameters scrypt refuses (n not a power of two, …)
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def password_needs_rehash(stored: str) -> bool:
    """True when `stored` was not made with today's parameters (or in today's format)."""
    parsed = _parse_hash(stored)
    return parsed is None or len(stored.split("$")) != 4 or parsed[0] != _SCRYPT


def hash_token(token: str) -> str:
    # Tokens are 256-bit random values, so a plain digest is enough (no salt or stretching).
    return hashlib.sha256(token.encode()).hexdigest()


# Checked against when a username is unknown, so both paths take the same time.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def check_password_strength(password: str) -> None:
    if len(password) < 8:
        raise Conflict(
            "パスワードは8文字以上にしてください。 The password must be at least 8 characters long.",
            code="weak_password",
        )


def create_staff(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    branch_id: str | None,
    now: datetime,
    commit: bool = True,
) -> Staff:
    """`commit=False` lets a caller (the admin API) commit the account with its audit entry."""
    check_password_strength(password)
    if session.exec(select(Staff).where(Staff.username == username)).first() is not None:
        raise Conflict(
            f"ユーザー名「{username}」のアカウントはすでにあります。"
            f" A staff account named {username!r} already exists.",
            code="staff_exists",
        )
    if branch_id is not None and session.get(Branch, branch_id) is None:
        raise NotFound(f"庁舎「{branch_id}」はありません。 Unknown branch {branch_id!r}.", code="branch_not_found")
    staff = Staff(
        username=username, password_hash=hash_password(password), role=role, branch_id=branch_id, created_at=now
    )
    session.add(staff)
    _finish(session, commit=commit)
    return staff


def _finish(session: Session, *, commit: bool) -> None:
    if commit:
        session.commit()
    else:
        session.flush()


def set_password(session: Session, *, username: str, password: str) -> Staff:
    staff = session.exec(select(Staff).where(Staff.username == username)).first()
    if staff is None:
        raise NotFound(
            f"ユーザー名「{username}」のアカウントはありません。 No staff account named {username!r}.",
            code="staff_not_found",
        )
    staff.password_hash = hash_password(password)
    session.add(staff)
    session.commit()
    return staff


def login(session: Session, *, username: str, password: str, now: datetime, hours: int) -> tuple[str, Staff]:
    staff = session.exec(select(Staff).where(Staff.username == username)).first()
    valid = verify_password(password, staff.password_hash if staff else _DUMMY_HASH)
    if staff is None or not valid or not staff.active:
        raise Unauthorized(
            "ユーザー名またはパスワードが違います。 Wrong username or password.", code="invalid_credentials"
        )
    if password_needs_rehash(staff.password_hash):
        # The password is at hand only now: bring an older hash up to today's cost.
        staff.password_hash = hash_password(password)
        session.add(staff)
    token = _open_session(session, staff=staff, now=now, hours=hours)
    session.commit()
    return token, staff


def _open_session(session: Session, *, staff: Staff, now: datetime, hours: int) -> str:
    token = secrets.token_urlsafe(32)
    assert staff.id is not None
    session.add(
        StaffSession(
            token_hash=hash_token(token), staff_id=staff.id, created_at=now, expires_at=now + timedelta(hours=hours)
        )
    )
    return token


# No scrypt hash: no password ever matches an account made by single sign-on.
NO_PASSWORD = "!sso"  # noqa: S105 - a marker that is no hash, not a secret


def _free_username(session: Session, *, wanted: str, subject: str) -> str:
    name = (wanted.strip() or subject)[:80]
    if session.exec(select(Staff).where(Staff.username == name)).first() is None:
        return name
    # A local account (or another person) has this name: keep theirs, tell ours apart by subject.
    return f"{name[:70]}#{hashlib.sha256(subject.encode()).hexdigest()[:8]}"


def sign_in_with_identity(
    session: Session,
    *,
    subject: str,
    username: str,
    role: Role,
    branch_id: str | None,
    now: datetime,
    hours: int,
) -> tuple[str, Staff]:
    """Sign in a person the identity provider vouched for: their account (made on first sign-in,
    its role and branch brought up to what the provider says now) and a session like `login`'s."""
    staff = session.exec(select(Staff).where(Staff.oidc_subject == subject)).first()
    if staff is None:
        staff = Staff(
            username=_free_username(session, wanted=username, subject=subject),
            password_hash=NO_PASSWORD,
            role=role,
            branch_id=branch_id,
            created_at=now,
            oidc_subject=subject,
        )
    elif not staff.active:
        # An administrator disabled the account here: the provider does not override that.
        raise Unauthorized(
            "このアカウントは停止されています。管理者にお問い合わせください。"
            " This staff account is disabled; ask an administrator.",
            code="staff_disabled",
        )
    elif (staff.role, staff.branch_id) != (role, branch_id):
        # The provider changed what this person may do: other sign-ins of theirs follow at once.
        any_branch = branch_id or staff.branch_id or session.exec(select(Branch.id)).first()
        if any_branch is not None:
            record_event(session, type=EventType.access_revoked, branch_id=any_branch, now=now, staff=staff.id)
    staff.role = role
    staff.branch_id = branch_id
    session.add(staff)
    session.flush()
    token = _open_session(session, staff=staff, now=now, hours=hours)
    session.commit()
    return token, staff


def staff_for_token(session: Session, *, token: str, now: datetime) -> Staff:
    record = session.get(StaffSession, hash_token(token))
    if record is None:
        raise Unauthorized(
            "サインインが無効です。もう一度サインインしてください。 This sign-in is not valid; sign in again.",
            code="invalid_token",
        )
    if record.expires_at <= now:
        raise Unauthorized(
            "サインインの有効期限が切れました。もう一度サインインしてください。"
            " Your sign-in has expired; sign in again.",
            code="token_expired",
        )
    staff = session.get(Staff, record.staff_id)
    if staff is None or not staff.active:
        raise Unauthorized(
            "このアカウントは停止されています。管理者にお問い合わせください。"
            " This staff account is disabled; ask an administrator.",
            code="staff_disabled",
        )
    return staff


def logout(session: Session, *, token: str, now: datetime) -> None:
    record = session.get(StaffSession, hash_token(token))
    if record is not None:
        session.delete(record)
        staff = session.get(Staff, record.staff_id)
        # Every process forgets the token now; the event needs a branch, any one serves.
        branch_id = (staff.branch_id if staff else None) or session.exec(select(Branch.id)).first()
        if branch_id is not None:
            record_event(session, type=EventType.access_revoked, branch_id=branch_id, now=now, staff=record.staff_id)
        session.commit()


def create_device(
    session: Session, *, name: str, kind: DeviceKind, branch_id: str, now: datetime, commit: bool = True
) -> tuple[str, Device]:
    if session.get(Branch, branch_id) is None:
        raise NotFound(f"Unknown branch {branch_id!r}; run `madoguchi init` first.", code="branch_not_found")
    token = secrets.token_urlsafe(32)
    device = Device(name=name, kind=kind, branch_id=branch_id, token_hash=hash_token(token), created_at=now)
    session.add(device)
    _finish(session, commit=commit)
    return token, device


def device_for_token(session: Session, *, token: str) -> Device | None:
    device = session.exec(select(Device).where(Device.token_hash == hash_token(token))).first()
    if device is None or device.revoked_at is not None:
        return None
    return device
