"""The admin console page (/admin): rules, devices, staff accounts, audit log, YAML export/import."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.consoles.staff import page

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/admin")
def admin_console() -> FileResponse:
    """The admin console; everything it shows comes from the admin API after an administrator signs in."""
    return page("admin")
