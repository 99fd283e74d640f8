"""E-mail addresses of mails that were never sent are erased after MADOGUCHI_MAIL_RETENTION_DAYS
(a sent mail's address is erased at once by the dispatcher). Run by `madoguchi retention`."""

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlmodel import col, select

from server.db import write_session
from server.models import AuditEntry, OutboxDelivery, OutboxStatus
from server.outbox.store import KIND_MAIL

SYSTEM_USER = "madoguchi-retention"


def erase_stale_addresses(engine: Engine, *, days: int, now: datetime) -> int | None:
    """Unsent mails queued more than `days` ago lose their address and content and are cancelled;
    returns how many (None when days <= 0: kept until sent)."""
    if days <= 0:
        return None
    cutoff = now - timedelta(days=days)
    stale = (
        col(OutboxDelivery.kind) == KIND_MAIL,
        col(OutboxDelivery.recipient).is_not(None),
        col(OutboxDelivery.created_at) < cutoff,
    )
    with write_session(engine) as session:
        count = int(session.exec(select(func.count()).select_from(OutboxDelivery).where(*stale)).one())
        if count:
            session.exec(
                update(OutboxDelivery)
                .where(*stale)
                .values(
                    recipient=None,
                    payload={},
                    lease_until=None,
                    status=OutboxStatus.cancelled,
                    last_error=f"not sent within {days} days; the address was erased",
                )
            )
            session.add(
                AuditEntry(
                    branch_id=None,
                    at=now,
                    staff_id=None,
                    username=SYSTEM_USER,
                    action="retention.mail_addresses",
                    target="outbox",
                    before=None,
                    after={"before": cutoff.isoformat(), "days": days, "addresses_erased": count},
                )
            )
        session.commit()
    return count
