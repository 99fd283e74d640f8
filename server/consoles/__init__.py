"""Staff-facing web pages (staff console, floor concierge, admin console) and their shared assets.

Pages are static HTML + vanilla JS (no build step); they sign in through the API and keep the
bearer token in sessionStorage, so no cookie is ever sent and no CSRF defence is needed.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/consoles/static"

# Only our own scripts, styles and same-origin API/WebSocket calls; nobody may frame a console.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    # Status links carry a ticket's token; never leak them to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def install_consoles(app: FastAPI) -> None:
    """Serve the console pages and their static files (shared ones under /consoles/static/common/)."""
    from server.consoles.admin import router as admin_router
    from server.consoles.reports import router as reports_router
    from server.consoles.staff import router as staff_router

    app.include_router(staff_router)
    app.include_router(reports_router)
    app.include_router(admin_router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="console-static")
