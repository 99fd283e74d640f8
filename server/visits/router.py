"""Admin API: the visits export for systems that pull (DESIGN.md, "Hand-off to other systems")."""

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from server.admin.service import admin_branch
from server.deps import CurrentAdmin, SessionDep
from server.visits.export import VisitRange, csv_lines, jsonl_lines, most_stops, parse_range

router = APIRouter(prefix="/admin/branches/{branch}/visits", tags=["admin"])


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


@router.get(
    "",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {}, "application/x-ndjson": {}},
            "description": "One line per visit: CSV (stop columns stop1_… to the longest route) or JSON Lines.",
        }
    },
)
def export_visits(
    branch: str,
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    first: Annotated[str, Query(alias="from", description="First business day, YYYY-MM-DD", max_length=40)],
    last: Annotated[str, Query(alias="to", description="Last business day (included), YYYY-MM-DD", max_length=40)],
    format: Annotated[ExportFormat, Query()] = ExportFormat.csv,
) -> StreamingResponse:
    """Every visit of the business days from … to (at most 366), streamed: number, day, life event
    or service, times, status, language and each stop's service, stage, counter, minutes and staff."""
    admin_branch(session, branch_id=branch, staff=admin)
    start, end = parse_range(first, last)
    visits = VisitRange(branch_id=branch, first=start, last=end)
    engine = request.app.state.engine
    name = f"madoguchi-visits-{branch}-{start}-{end}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == ExportFormat.jsonl:
        return StreamingResponse(jsonl_lines(engine, visits), media_type="application/x-ndjson", headers=headers)
    stop_count = most_stops(session, visits)
    return StreamingResponse(
        csv_lines(engine, visits, stop_count), media_type="text/csv; charset=utf-8", headers=headers
    )
