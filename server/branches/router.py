from typing import Annotated

from fastapi import APIRouter, Query

from server.branches import service
from server.branches.schemas import (
    BranchPublic,
    CounterInfo,
    Menu,
    PriorityCategoryInfo,
    QueueInfo,
    ReasonCodeInfo,
    ServiceInfo,
)
from server.deps import ClockDep, CurrentStaff, SessionDep, SettingsDep
from server.tickets.schemas import Language
from server.tickets.views import queue_overview

router = APIRouter(prefix="/branches", tags=["branches"])


@router.get("")
def list_branches(session: SessionDep) -> list[BranchPublic]:
    """Every branch (building) this server runs."""
    return service.list_branches(session)


@router.get("/{branch}/menu")
def menu(
    branch: str, session: SessionDep, settings: SettingsDep, clock: ClockDep, lang: Annotated[Language, Query()] = "ja"
) -> Menu:
    """What the kiosk offers: single procedures and life events with their yes/no questions."""
    return service.menu(session, branch_id=branch, language=lang, now=clock(), ignore_hours=settings.ignore_hours)


@router.get("/{branch}/services")
def list_services(branch: str, session: SessionDep, _staff: CurrentStaff) -> list[ServiceInfo]:
    """All services of the branch, with stage and staff-only flags (staff only)."""
    return service.list_services(session, branch_id=branch)


@router.get("/{branch}/priority-categories")
def list_priority_categories(branch: str, session: SessionDep, _staff: CurrentStaff) -> list[PriorityCategoryInfo]:
    """Categories of priority calling (合理的配慮) staff may grant on request (staff only)."""
    return service.list_priority_categories(session, branch_id=branch)


@router.get("/{branch}/reason-codes")
def list_reason_codes(branch: str, session: SessionDep, _staff: CurrentStaff) -> list[ReasonCodeInfo]:
    """Reason codes for returning work (差戻し) to the contractor team's queue (staff only)."""
    return service.list_reason_codes(session, branch_id=branch)


@router.get("/{branch}/counters")
def list_counters(branch: str, session: SessionDep) -> list[CounterInfo]:
    """Counters and internal desks, open or closed, with the number each has in hand."""
    return service.list_counters(session, branch_id=branch)


@router.get("/{branch}/queues")
def list_queues(branch: str, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> list[QueueInfo]:
    """People waiting per citizen-facing service, with the estimated wait."""
    rows = queue_overview(session, branch_id=branch, now=clock(), sample=settings.estimate_sample_size)
    return [QueueInfo(**row) for row in rows]
