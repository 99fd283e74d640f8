"""Reports for city staff: the daily figures (JSON or CSV) and the staffing planner."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from server.deps import ClockDep, CurrentStaff, SessionDep
from server.models import Staff
from server.reports import planner, service
from server.reports.schemas import DailyReport, DayType, ReportFormat, StaffingPlan

router = APIRouter(prefix="/branches/{branch}/reports", tags=["reports"])

Day = Annotated[date | None, Query(alias="date", description="Business day (local); default today")]


def report_reader(branch: str, staff: CurrentStaff) -> Staff:
    service.ensure_may_read_reports(staff, branch_id=branch)
    return staff


ReportReader = Annotated[Staff, Depends(report_reader)]


@router.get(
    "/daily",
    response_model=DailyReport,
    responses={200: {"content": {"text/csv": {}}, "description": "The report, as JSON or (format=csv) CSV."}},
)
def daily_report(
    branch: str,
    session: SessionDep,
    _reader: ReportReader,
    clock: ClockDep,
    day: Day = None,
    output: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.json,
) -> Any:
    """One business day's figures: waits, stays, service and staff minutes by role, counters, satisfaction."""
    now = clock()
    business_on = service.report_day(session, branch_id=branch, day=day, now=now)
    report = service.daily_report(session, branch_id=branch, business_on=business_on, now=now)
    if output == ReportFormat.json:
        return report
    # A byte-order mark so that Excel, the tool the figures usually end up in, reads UTF-8.
    return Response(
        content="\ufeff" + service.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="madoguchi-{report.branch}-{business_on}.csv"'},
    )


@router.get("/staffing")
def staffing(
    branch: str,
    session: SessionDep,
    _reader: ReportReader,
    clock: ClockDep,
    day: Day = None,
    day_type: Annotated[DayType | None, Query(description="Default: the type of the chosen date")] = None,
    target_wait_minutes: Annotated[float, Query(gt=0, le=240)] = 15,
) -> StaffingPlan:
    """Counters each service group needs per hour for a target mean wait (Erlang C), beside those open."""
    now = clock()
    business_on = service.report_day(session, branch_id=branch, day=day, now=now)
    return planner.staffing_plan(
        session,
        branch_id=branch,
        day=business_on,
        day_type=day_type,
        target_wait_minutes=target_wait_minutes,
        now=now,
    )
