"""Writing to the outbox: one row per message to the outside, in the caller's transaction.

The row commits (or rolls back) with whatever decided to send it, so a message is never sent for a
change that did not happen, and never lost for one that did. server/outbox/dispatcher.py delivers
committed rows after the fact; nothing here talks to the network.
"""

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from server.models import OutboxDelivery, OutboxStatus

KIND_MAIL = "mail"
KIND_WEBHOOK = "webhook"


def new_delivery_id() -> str:
    return str(uuid.uuid4())


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    branch_id: str | None = None,
    receiver_id: int | None = None,
    ordering_key: str | None = None,
    reference: str | None = None,
    recipient: str | None = None,
    send_after: datetime | None = None,
    delivery_id: str | None = None,
) -> OutboxDelivery:
    """Adds one delivery to the caller's transaction (flushed, so its id is known); the caller commits."""
    row = OutboxDelivery(
        delivery_id=delivery_id or new_delivery_id(),
        kind=kind,
        branch_id=branch_id,
        receiver_id=receiver_id,
        ordering_key=ordering_key,
        reference=reference,
        recipient=recipient,
        payload=payload,
        status=OutboxStatus.pending,
        created_at=now,
        next_attempt_at=send_after if send_after is not None and send_after > now else now,
    )
    session.add(row)
    session.flush()
    return row
