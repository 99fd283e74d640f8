"""Webhook receivers: adding, changing, key rotation, dead letters, the receiver from settings.

Key rotation without downtime: add a key (the receiver now accepts both), switch `signing_key_id`
to it, and once the receiver only knows the new one, remove the old. Every change is audited;
secrets never enter the audit log, a response (except the one that creates them) or a log line.
"""

import secrets as random_secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, or_, select

from server.admin.service import admin_branch
from server.errors import Conflict, NotFound
from server.models import AuditEntry, Branch, OutboxDelivery, OutboxStatus, Staff, WebhookKey, WebhookReceiver
from server.outbox.store import KIND_WEBHOOK
from server.webhooks.relay import ensure_cursor
from server.webhooks.schemas import (
    DeadLetter,
    KeyCreate,
    KeyCreated,
    KeyView,
    ReceiverCreate,
    ReceiverCreated,
    ReceiverUpdate,
    ReceiverView,
    Resent,
)

SETTINGS_RECEIVER_NAME = "MADOGUCHI_WEBHOOK_URL"
DEAD_LETTER_LIMIT = 200


def _audit(
    session: Session, *, branch_id: str, staff: Staff, now: datetime, action: str, target: str, after: dict[str, Any]
) -> None:
    session.add(
        AuditEntry(
            branch_id=branch_id,
            at=now,
            staff_id=staff.id,
            username=staff.username,
            action=action,
            target=target,
            before=None,
            after=after,
        )
    )


def _default_key_id(now: datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S")


def _new_secret() -> str:
    return random_secrets.token_urlsafe(32)


def _visible(session: Session, *, branch_id: str, receiver_id: int) -> WebhookReceiver:
    receiver = session.get(WebhookReceiver, receiver_id)
    if receiver is None or receiver.branch_id not in (branch_id, None):
        raise NotFound(f"No webhook receiver {receiver_id} at branch {branch_id!r}.", code="webhook_not_found")
    return receiver


def _editable(session: Session, *, branch_id: str, receiver_id: int) -> WebhookReceiver:
    receiver = _visible(session, branch_id=branch_id, receiver_id=receiver_id)
    if receiver.from_settings or receiver.branch_id is None:
        raise Conflict(
            "This receiver comes from the server's settings (MADOGUCHI_WEBHOOK_URL); change it there.",
            code="webhook_from_settings",
        )
    return receiver


def _view(session: Session, receiver: WebhookReceiver) -> ReceiverView:
    assert receiver.id is not None
    keys = session.exec(
        select(WebhookKey).where(WebhookKey.receiver_id == receiver.id).order_by(col(WebhookKey.created_at))
    ).all()
    counts = dict(
        session.exec(
            select(OutboxDelivery.status, func.count())
            .where(
                OutboxDelivery.receiver_id == receiver.id,
                col(OutboxDelivery.status).in_([OutboxStatus.pending, OutboxStatus.dead]),
            )
            .group_by(col(OutboxDelivery.status))
        ).all()
    )
    last_delivered = session.exec(
        select(func.max(OutboxDelivery.delivered_at)).where(OutboxDelivery.receiver_id == receiver.id)
    ).one()
    last_error = session.exec(
        select(OutboxDelivery.last_error)
        .where(
            OutboxDelivery.receiver_id == receiver.id,
            col(OutboxDelivery.status).in_([OutboxStatus.pending, OutboxStatus.dead]),
            col(OutboxDelivery.last_error).is_not(None),
        )
        .order_by(col(OutboxDelivery.id).desc())
        .limit(1)
    ).first()
    return ReceiverView(
        id=receiver.id,
        name=receiver.name,
        url=receiver.url,
        branch=receiver.branch_id,
        enabled=receiver.enabled,
        include_answers=receiver.include_answers,
        from_settings=receiver.from_settings,
        signing_key_id=receiver.signing_key_id,
        keys=[
            KeyView(key_id=key.key_id, created_at=key.created_at, signing=key.key_id == receiver.signing_key_id)
            for key in keys
        ],
        pending=int(counts.get(OutboxStatus.pending, 0)),
        dead=int(counts.get(OutboxStatus.dead, 0)),
        last_delivered_at=last_delivered,
        last_error=last_error,
    )


def list_receivers(session: Session, *, branch_id: str, staff: Staff) -> list[ReceiverView]:
    admin_branch(session, branch_id=branch_id, staff=staff)
    receivers = session.exec(
        select(WebhookReceiver)
        .where(or_(col(WebhookReceiver.branch_id) == branch_id, col(WebhookReceiver.branch_id).is_(None)))
        .order_by(col(WebhookReceiver.id))
    ).all()
    return [_view(session, receiver) for receiver in receivers]


def add_receiver(
    session: Session, *, branch_id: str, body: ReceiverCreate, staff: Staff, now: datetime
) -> ReceiverCreated:
    admin_branch(session, branch_id=branch_id, staff=staff, lock=True)
    key_id = body.key_id or _default_key_id(now)
    secret = body.secret or _new_secret()
    receiver = WebhookReceiver(
        branch_id=branch_id,
        name=body.name,
        url=str(body.url),
        include_answers=body.include_answers,
        signing_key_id=key_id,
        created_at=now,
    )
    session.add(receiver)
    session.flush()
    assert receiver.id is not None
    session.add(WebhookKey(receiver_id=receiver.id, key_id=key_id, secret=secret, created_at=now))
    ensure_cursor(session, branch_id)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="webhook.create",
        target=f"webhook:{receiver.id}",
        after={
            "name": receiver.name,
            "url": receiver.url,
            "include_answers": receiver.include_answers,
            "key_id": key_id,
        },
    )
    session.commit()
    return ReceiverCreated(receiver=_view(session, receiver), key=KeyCreated(key_id=key_id, secret=secret))


def update_receiver(
    session: Session, *, branch_id: str, receiver_id: int, body: ReceiverUpdate, staff: Staff, now: datetime
) -> ReceiverView:
    admin_branch(session, branch_id=branch_id, staff=staff, lock=True)
    receiver = _editable(session, branch_id=branch_id, receiver_id=receiver_id)
    changes = body.changes()
    if (
        "signing_key_id" in changes
        and not session.exec(
            select(WebhookKey).where(
                WebhookKey.receiver_id == receiver_id, WebhookKey.key_id == changes["signing_key_id"]
            )
        ).first()
    ):
        raise NotFound(
            f"The receiver has no key {changes['signing_key_id']!r}; add it first.", code="webhook_key_not_found"
        )
    for name, value in changes.items():
        setattr(receiver, name, value)
    session.add(receiver)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="webhook.update",
        target=f"webhook:{receiver_id}",
        after=dict(changes),
    )
    session.commit()
    return _view(session, receiver)


def add_key(
    session: Session, *, branch_id: str, receiver_id: int, body: KeyCreate, staff: Staff, now: datetime
) -> KeyCreated:
    """A new key beside the current one: the receiver learns it first; then switch signing_key_id."""
    admin_branch(session, branch_id=branch_id, staff=staff, lock=True)
    _editable(session, branch_id=branch_id, receiver_id=receiver_id)
    key_id = body.key_id or _default_key_id(now)
    if session.exec(
        select(WebhookKey).where(WebhookKey.receiver_id == receiver_id, WebhookKey.key_id == key_id)
    ).first():
        raise Conflict(f"The receiver already has a key {key_id!r}.", code="webhook_key_exists")
    secret = body.secret or _new_secret()
    session.add(WebhookKey(receiver_id=receiver_id, key_id=key_id, secret=secret, created_at=now))
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="webhook.key_add",
        target=f"webhook:{receiver_id}",
        after={"key_id": key_id},
    )
    session.commit()
    return KeyCreated(key_id=key_id, secret=secret)


def remove_key(session: Session, *, branch_id: str, receiver_id: int, key_id: str, staff: Staff, now: datetime) -> None:
    admin_branch(session, branch_id=branch_id, staff=staff, lock=True)
    receiver = _editable(session, branch_id=branch_id, receiver_id=receiver_id)
    key = session.exec(
        select(WebhookKey).where(WebhookKey.receiver_id == receiver_id, WebhookKey.key_id == key_id)
    ).first()
    if key is None:
        raise NotFound(f"The receiver has no key {key_id!r}.", code="webhook_key_not_found")
    if receiver.signing_key_id == key_id:
        raise Conflict(
            "This key signs the deliveries; switch to another key before removing it.", code="webhook_key_signing"
        )
    session.delete(key)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="webhook.key_remove",
        target=f"webhook:{receiver_id}",
        after={"key_id": key_id},
    )
    session.commit()


def dead_letters(session: Session, *, branch_id: str, staff: Staff) -> list[DeadLetter]:
    admin_branch(session, branch_id=branch_id, staff=staff)
    rows = session.exec(
        select(OutboxDelivery, WebhookReceiver.name)
        .join(WebhookReceiver, col(WebhookReceiver.id) == col(OutboxDelivery.receiver_id), isouter=True)
        .where(
            OutboxDelivery.kind == KIND_WEBHOOK,
            OutboxDelivery.branch_id == branch_id,
            OutboxDelivery.status == OutboxStatus.dead,
        )
        .order_by(col(OutboxDelivery.id).desc())
        .limit(DEAD_LETTER_LIMIT)
    ).all()
    return [
        DeadLetter(
            delivery_id=row.delivery_id,
            receiver_id=row.receiver_id,
            receiver=name,
            type=str(row.payload.get("type", "")),
            number=row.payload.get("number"),
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
        )
        for row, name in rows
    ]


def resend(session: Session, *, branch_id: str, delivery_id: str, staff: Staff, now: datetime) -> Resent:
    """A dead letter goes back in the queue with the same delivery id (the receiver may have it)."""
    admin_branch(session, branch_id=branch_id, staff=staff)
    row = session.exec(
        select(OutboxDelivery)
        .where(
            OutboxDelivery.delivery_id == delivery_id,
            OutboxDelivery.kind == KIND_WEBHOOK,
            OutboxDelivery.branch_id == branch_id,
        )
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"No webhook delivery {delivery_id!r} at branch {branch_id!r}.", code="delivery_not_found")
    if row.status != OutboxStatus.dead:
        raise Conflict(f"Delivery {delivery_id} is {row.status}, not a dead letter.", code="not_dead_letter")
    row.status, row.attempts, row.next_attempt_at, row.lease_until = OutboxStatus.pending, 0, now, None
    session.add(row)
    _audit(
        session,
        branch_id=branch_id,
        staff=staff,
        now=now,
        action="webhook.resend",
        target=f"delivery:{delivery_id}",
        after={"type": row.payload.get("type"), "number": row.payload.get("number")},
    )
    session.commit()
    return Resent(delivery_id=delivery_id, status=str(row.status))


def sync_settings_receiver(
    session: Session, *, url: str | None, secret: str | None, key_id: str, now: datetime
) -> None:
    """The receiver from MADOGUCHI_WEBHOOK_URL/_SECRET/_KEY_ID (every branch): created or updated
    at startup, disabled when the settings no longer name one. The caller commits."""
    if session.get_bind().dialect.name == "postgresql":
        # Several processes start at once: one of them creates the row.
        session.exec(text("SELECT pg_advisory_xact_lock(hashtext('madoguchi-webhook-settings'))"))  # type: ignore[call-overload]
    receiver = session.exec(select(WebhookReceiver).where(col(WebhookReceiver.from_settings))).first()
    if not (url and secret):
        if receiver is not None and receiver.enabled:
            receiver.enabled = False
            session.add(receiver)
        return
    if receiver is None:
        receiver = WebhookReceiver(
            branch_id=None,
            name=SETTINGS_RECEIVER_NAME,
            url=url,
            signing_key_id=key_id,
            from_settings=True,
            created_at=now,
        )
        session.add(receiver)
        session.flush()
    assert receiver.id is not None
    receiver.url, receiver.signing_key_id, receiver.enabled = url, key_id, True
    session.add(receiver)
    key = session.exec(
        select(WebhookKey).where(WebhookKey.receiver_id == receiver.id, WebhookKey.key_id == key_id)
    ).first()
    if key is None:
        session.add(WebhookKey(receiver_id=receiver.id, key_id=key_id, secret=secret, created_at=now))
    elif key.secret != secret:
        key.secret = secret
        session.add(key)
    for branch_id in session.exec(select(Branch.id)).all():
        ensure_cursor(session, branch_id)
