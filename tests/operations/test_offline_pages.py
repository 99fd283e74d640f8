"""On a closed network: the API documentation and the front page render in Chromium with every
request outside the server blocked (SQLite run only, like every browser test)."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.support import run_cli
from tests.realtime.live_server import live_server, server_environment

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/ops")


def _closed_network(page: Any, base_url: str) -> list[str]:
    """Abort every request that leaves the server; return what was attempted."""
    blocked: list[str] = []
    server = urlsplit(base_url).netloc

    def route(request_route: Any) -> None:
        if urlsplit(request_route.request.url).netloc == server:
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return blocked


def test_api_docs_and_the_front_page_render_without_the_internet(browser: Any, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    environment = server_environment(f"sqlite:///{tmp_path / 'madoguchi.db'}", audio_cache_dir=str(tmp_path / "audio"))
    run_cli(environment, "init")
    with live_server(environment, tmp_path, name="offline") as server:
        for width, height, size in ((1280, 900, "desktop"), (390, 844, "phone")):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            blocked = _closed_network(page, server.base_url)
            errors: list[str] = []
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))

            page.goto(f"{server.base_url}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            assert "Madoguchi" in page.inner_text(".swagger-ui .info .title")
            assert page.locator(".opblock").count() > 20  # every operation is listed
            page.screenshot(path=str(SHOTS / f"api-docs-{size}.png"))

            page.goto(server.base_url + "/")
            links = page.locator("a").evaluate_all("links => links.map(link => link.getAttribute('href'))")
            assert {"/staff", "/concierge", "/admin", "/admin/reports", "/docs"} <= set(links)
            page.screenshot(path=str(SHOTS / f"front-page-{size}.png"), full_page=True)

            assert blocked == [], f"pages reached for the internet: {blocked}"
            assert errors == []
            context.close()
