"""Security headers on every response, no cookies anywhere, and page policies the pages can live with.

Every HTTP route of the app (API, pages, docs) is requested as nobody and as an administrator,
with placeholder path values, plus the static files, an unknown path and a wrong method.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.routing import Route

from server.config import Settings
from server.main import create_app
from server.models import Role
from server.security import API_POLICY
from tests.server.api import API
from tests.support import BRANCH, PASSWORD, FixedClock, make_staff, reset_database, staff_token

Headers = dict[str, str]
# A TestClient response: httpx's or httpx2's, whichever starlette picked.
Response = Any
Answers = list[Any]  # [responses, {resource path: status}]

DOCS = {"/docs", "/redoc", "/docs/oauth2-redirect", "/openapi.json"}
STATIC_FILES = ["/consoles/static/common/api.js", "/static/display/board.js", "/static/display/board.css"]


def _routes() -> list[tuple[str, str]]:
    """(method, path) of every HTTP route the app serves, schema or not."""
    routes = set()
    for context in iter_route_contexts(create_app().routes):
        if isinstance(context.original_route, APIRoute | Route) and context.path is not None:
            routes |= {(method, context.path) for method in context.methods or () if method != "HEAD"}
    return sorted(routes)


ROUTES = _routes()


def _concrete(path: str) -> str:
    values = {"{branch}": BRANCH, "{status_token}": "no-such-token", "{key}": "pickup", "{prefix}": "A"}
    return re.sub(r"\{[^}]+\}", lambda m: values.get(m.group(0), "1"), path)


@pytest.fixture(scope="module")
def answers(migrated_engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Every route's answers, gathered once for the module (about 200 requests)."""
    reset_database(migrated_engine)
    clock = FixedClock()
    admin = make_staff(migrated_engine, "admin", Role.admin, clock())
    settings = Settings(
        database_url=database_url, audio_cache_dir=tmp_path_factory.mktemp("audio"), announcement_prefetch=False
    )
    answered = []
    with TestClient(create_app(settings, engine=migrated_engine, clock=clock)) as client:
        for headers in ({}, {"Authorization": f"Bearer {staff_token(migrated_engine, admin, clock())}"}):
            for method, path in ROUTES:
                if (method, path) == ("POST", f"{API}/auth/logout"):
                    continue  # would end the admin's session half way through
                body: dict[str, Any] | None = {} if method != "GET" else None
                answered.append(client.request(method, _concrete(path), json=body, headers=headers))
        answered += [client.get(path) for path in STATIC_FILES]
        answered += [client.get("/no/such/page"), client.delete(f"{API}/branches"), client.get(f"{API}/nowhere")]
        login = client.post(f"{API}/auth/login", json={"username": "admin", "password": PASSWORD})
        assert login.status_code == 200
        answered.append(login)
        # The page checks below fetch what each page loads, from the same app.
        pages = [response for response in answered if _is_page(response)]
        loads = {resource: client.get(resource).status_code for page in pages for resource in _resources(page)}
    return [answered, loads]


def test_the_enumeration_reached_pages_api_and_docs(answers: Answers) -> None:
    responses, _ = answers
    paths = {response.request.url.path for response in responses}
    assert {"/staff", "/admin", f"/display/{BRANCH}", "/t/no-such-token", "/docs", f"{API}/auth/login"} <= paths
    assert any(response.status_code == 200 for response in responses if response.request.url.path.startswith(API))


def test_no_response_sets_a_cookie(answers: Answers) -> None:
    """The consoles keep their bearer token in sessionStorage and send it in a header.

    A browser never attaches it on its own, so another site cannot make a signed-in request
    (no ambient credential, hence no CSRF to defend against). That holds only while no
    response ever sets a cookie.
    """
    responses, _ = answers
    for response in responses:
        assert "set-cookie" not in response.headers, f"{response.request.method} {response.request.url.path}"


def test_every_response_carries_the_baseline_headers(answers: Answers) -> None:
    responses, _ = answers
    for response in responses:
        where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
        assert response.headers.get("x-content-type-options") == "nosniff", where
        # Status URLs carry the ticket's token; a followed link must never hand it on.
        assert response.headers.get("referrer-policy") == "no-referrer", where
        assert response.headers.get("x-frame-options") == "DENY", where


def test_api_answers_are_never_cached_nor_rendered(answers: Answers) -> None:
    responses, _ = answers
    checked = 0
    for response in responses:
        path = response.request.url.path
        if not path.startswith(API) or path.endswith(".wav"):
            continue  # announcement audio is public, fixed per event, and cached on purpose
        checked += 1
        where = f"{response.request.method} {path} ({response.status_code})"
        assert response.headers.get("cache-control") == "no-store", where
        assert response.headers.get("content-security-policy") == API_POLICY, where
    assert checked > 100


def test_the_sign_in_answer_with_its_token_is_not_stored(client: TestClient) -> None:
    login = client.post(f"{API}/auth/login", json={"username": "nobody", "password": "x" * 10})
    assert login.headers["cache-control"] == "no-store"


@dataclass
class PageScan(HTMLParser):
    inline: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script" and not named.get("src"):
            self.inline.append("<script> without src")
        for name in ("src", "href"):
            if named.get(name) and not (tag == "a" and name == "href"):
                self.resources.append(str(named[name]))


def _is_page(response: Response) -> bool:
    return (
        response.status_code == 200
        and response.headers.get("content-type", "").startswith("text/html")
        and response.request.url.path not in DOCS
    )


def _scan(page: Response) -> PageScan:
    scan = PageScan()
    scan.feed(page.text)
    return scan


def _resources(page: Response) -> list[str]:
    """Same-origin paths the page loads; anything from elsewhere is returned whole (and fails)."""
    found = []
    for resource in _scan(page).resources:
        url = urlsplit(urljoin(str(page.request.url), resource))
        if url.scheme == "data":
            continue  # e.g. the empty favicon; img-src allows data:
        found.append(url.path if url.netloc == page.request.url.host else url.geturl())
    return found


def test_pages_state_a_strict_policy_and_need_nothing_it_forbids(answers: Answers) -> None:
    responses, loads = answers
    pages = [response for response in responses if _is_page(response)]
    assert {page.request.url.path for page in pages} >= {"/staff", "/admin", f"/display/{BRANCH}"}
    for page in pages:
        path = page.request.url.path
        policy = page.headers.get("content-security-policy", "")
        directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
        assert directives.get("frame-ancestors") == ["'none'"], path
        assert directives.get("object-src") == ["'none'"], path
        for name in ("script-src", "style-src"):
            assert directives.get(name, directives.get("default-src")) == ["'self'"], f"{path} {name}"
        assert _scan(page).inline == [], f"{path}: inline code the policy blocks"
        for resource in _resources(page):
            assert resource.startswith("/"), f"{path} loads {resource} from elsewhere"
            assert loads[resource] == 200, f"{path} needs {resource}"


def test_the_interactive_docs_come_from_the_package_under_the_page_policy(answers: Answers) -> None:
    responses, _ = answers
    docs = [response for response in responses if response.request.url.path == "/docs"]
    assert docs
    for response in docs:
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]  # Swagger UI comes from the package


def test_a_closed_network_can_turn_the_cdn_docs_off(settings: Settings, engine: Engine) -> None:
    quiet = settings.model_copy(update={"api_docs": False})
    with TestClient(create_app(quiet, engine=engine)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200  # the contract stays readable
