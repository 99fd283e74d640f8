"""Reports for city staff: daily, monthly and yearly figures (JSON or CSV) and the staffing planner."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from server.deps import ClockDep, CurrentStaff, SessionDep
from server.models import Staff
from server.reports import periods, planner, service
from server.reports.schemas import DailyReport, DayType, PeriodReport, ReportFormat, StaffingPlan

router = APIRouter(prefix="/branches/{branch}/reports", tags=["reports"])

Day = Annotated[date | None, Query(alias="date", description="Business day (local); default today")]
Output = Annotated[ReportFormat, Query(alias="format")]
# Read as text so that a malformed month gets the report's own message, in Japanese first.
Month = Annotated[str | None, Query(description="YYYY-MM (local business days); default this month")]
Year = Annotated[str | None, Query(description="YYYY, the calendar year; default this year")]
AS_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "The report, as JSON or (format=csv) CSV."}
}


def report_reader(branch: str, staff: CurrentStaff) -> Staff:
    service.ensure_may_read_reports(staff, branch_id=branch)
    return staff


ReportReader = Annotated[Staff, Depends(report_reader)]


@router.get("/daily", response_model=DailyReport, responses=AS_CSV)
def daily_report(
    branch: str,
    session: SessionDep,
    _reader: ReportReader,
    clock: ClockDep,
    day: Day = None,
    output: Output = ReportFormat.json,
) -> Any:
    """One business day's figures: waits, stays, service and staff minutes by role, counters, satisfaction."""
    now = clock()
    business_on = service.report_day(session, branch_id=branch, day=day, now=now)
    report = service.daily_report(session, branch_id=branch, business_on=business_on, now=now)
    return report if output == ReportFormat.json else _csv(report, f"{report.branch}-{business_on}")


@router.get("/monthly", response_model=PeriodReport, responses=AS_CSV)
def monthly_report(
    branch: str,
    session: SessionDep,
    _reader: ReportReader,
    clock: ClockDep,
    month: Month = None,
    baseline: Annotated[str | None, Query(description="YYYY-MM to compare with, e.g. before the reform")] = None,
    output: Output = ReportFormat.json,
) -> Any:
    """A month's figures and one row per day; with a baseline month, its figures and the differences."""
    report = periods.monthly_report(session, branch_id=branch, month=month, baseline=baseline, now=clock())
    return report if output == ReportFormat.json else _csv(report, _period_name(report))


@router.get("/yearly", response_model=PeriodReport, responses=AS_CSV)
def yearly_report(
    branch: str,
    session: SessionDep,
    _reader: ReportReader,
    clock: ClockDep,
    year: Year = None,
    baseline: Annotated[str | None, Query(description="YYYY to compare with, e.g. the year before the reform")] = None,
    output: Output = ReportFormat.json,
) -> Any:
    """A calendar year's figures and one row per month; with a baseline year, its figures and the differences."""
    report = periods.yearly_report(session, branch_id=branch, year=year, baseline=baseline, now=clock())
    return report if output == ReportFormat.json else _csv(report, _period_name(report))


def _period_name(report: PeriodReport) -> str:
    name = f"{report.branch}-{report.period}"
    return name if report.baseline is None else f"{name}-vs-{report.baseline.period}"


def _csv(report: DailyReport | PeriodReport, name: str) -> Response:
    # A byte-order mark so that Excel, the tool the figures usually end up in, reads UTF-8.
    return Response(
        content="\ufeff" + service.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="madoguchi-{name}.csv"'},
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
