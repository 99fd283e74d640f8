"""Old outbox rows go with `madoguchi retention`: delivered, cancelled and dead rows queued more
than MADOGUCHI_RETENTION_DAYS ago are deleted (a webhook body may carry a visit's answers when its
receiver asked for them). Pending rows stay: they are still to be sent."""

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func
from sqlmodel import col, select

from server.db import write_session
from server.models import OutboxDelivery, OutboxStatus

FINISHED = (OutboxStatus.delivered, OutboxStatus.cancelled, OutboxStatus.dead)


def prune_outbox(engine: Engine, *, days: int, now: datetime) -> int | None:
    """Deletes finished rows older than `days`; returns how many (None when days <= 0)."""
    if days <= 0:
        return None
    old = (col(OutboxDelivery.status).in_(FINISHED), col(OutboxDelivery.created_at) < now - timedelta(days=days))
    with write_session(engine) as session:
        count = int(session.exec(select(func.count()).select_from(OutboxDelivery).where(*old)).one())
        if count:
            session.exec(delete(OutboxDelivery).where(*old))
        session.commit()
    return count
