"""Pages for counter staff: the staff console (/staff) and the floor concierge tablet (/concierge)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.consoles import SECURITY_HEADERS, STATIC_DIR

router = APIRouter(tags=["pages"], include_in_schema=False)


def page(name: str) -> FileResponse:
    """A console's HTML shell; everything else it needs comes from the API after sign-in."""
    return FileResponse(STATIC_DIR / name / "index.html", media_type="text/html", headers=SECURITY_HEADERS)


@router.get("/staff")
def staff_console() -> FileResponse:
    """The counter and back-office desk console."""
    return page("staff")


@router.get("/concierge")
def concierge_console() -> FileResponse:
    """The floor concierge tablet: issue tickets for citizens, queues, kiosk help calls."""
    return page("concierge")
