"""Helpers for the admin API tests: URLs and a snapshot of everything a refused change must not touch."""

from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.admin.service import current_config
from server.models import AuditEntry, Branch, Device, Staff
from tests.support import BRANCH

ADMIN = f"/api/v1/admin/branches/{BRANCH}"


def snapshot(engine: Engine) -> dict[str, Any]:
    """The live rules (as an export), the audit log size and the branch's issuing switch."""
    with Session(engine) as session:
        branch = session.get(Branch, BRANCH)
        assert branch is not None
        return {
            "config": current_config(session, branch_id=BRANCH).model_dump(mode="json"),
            "audit_entries": session.exec(select(func.count()).select_from(AuditEntry)).one(),
            "devices": session.exec(select(func.count()).select_from(Device)).one(),
            "staff": session.exec(select(func.count()).select_from(Staff)).one(),
            "issuing_stopped": branch.issuing_stopped,
        }


def audit_entries(engine: Engine) -> list[AuditEntry]:
    """Newest first."""
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())))  # type: ignore[union-attr]
