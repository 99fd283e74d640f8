"""The reports page (/admin/reports): the reform's figures for one business day, drawn in the browser."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.consoles.staff import page

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/admin/reports")
def reports_page() -> FileResponse:
    """Daily figures, charts and the staffing planner (the data comes from the reports API after sign-in)."""
    return page("reports")
