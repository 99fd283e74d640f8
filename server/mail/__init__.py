"""E-mail through the outbox: queue_mail in the caller's transaction, sent after the commit.

The address is personal data: it lives only in the outbox row's `recipient` column, is erased
once the mail is sent (and from undelivered rows after MADOGUCHI_MAIL_RETENTION_DAYS, by
`madoguchi retention`), and never enters an event, a log line or a report.
"""

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from server.errors import Unprocessable
from server.models import OutboxDelivery, OutboxStatus
from server.outbox.store import KIND_MAIL, enqueue

# Deliberately loose (RFC 5322 allows far more); it only keeps obvious mistakes out of the outbox.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
MAX_ADDRESS_LENGTH = 254


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; charset=utf-8; method=PUBLISH"
    data: bytes


def valid_address(address: str) -> bool:
    return len(address) <= MAX_ADDRESS_LENGTH and _ADDRESS.match(address) is not None


def queue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    attachments: Sequence[Attachment] = (),
    send_after: datetime | None = None,
    reference: str | None = None,
) -> int:
    """Adds a mail to the outbox in the caller's transaction (the caller commits); returns its outbox id."""
    address = to.strip()
    if not valid_address(address):
        raise Unprocessable("The e-mail address is not valid (for example name@example.jp).", code="invalid_email")
    payload = {
        "subject": subject,
        "body": body,
        "attachments": [
            {
                "filename": attachment.filename,
                "content_type": attachment.content_type,
                "data": base64.b64encode(attachment.data).decode("ascii"),
            }
            for attachment in attachments
        ],
    }
    row = enqueue(
        session,
        kind=KIND_MAIL,
        payload=payload,
        now=now,
        reference=reference,
        recipient=address,
        send_after=send_after,
    )
    assert row.id is not None
    return row.id


def cancel_mail(session: Session, *, reference: str) -> int:
    """Drops unsent mails with this reference (a reminder of a cancelled booking); returns how many."""
    result = session.exec(
        update(OutboxDelivery)
        .where(
            col(OutboxDelivery.kind) == KIND_MAIL,
            col(OutboxDelivery.reference) == reference,
            col(OutboxDelivery.status) == OutboxStatus.pending,
        )
        .values(status=OutboxStatus.cancelled, recipient=None, payload={}, lease_until=None)
    )
    return int(result.rowcount or 0)


__all__ = ["Attachment", "cancel_mail", "queue_mail", "valid_address"]
