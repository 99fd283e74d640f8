"""Overload: when no database connection is free the API answers 503 with Retry-After, not 500,
and nothing is written; once a connection frees up the same request goes through."""

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from server.config import Settings
from server.db import create_db_engine
from server.deps import get_session
from server.main import create_app
from server.models import Ticket
from tests.server.api import API
from tests.support import BRANCH, FixedClock


@pytest.fixture
def small_pool(engine: Engine, database_url: str) -> Iterator[Engine]:
    """The test database (demo loaded by `engine`) behind a pool of one connection."""
    tiny = create_db_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.3)
    yield tiny
    tiny.dispose()


def _tickets(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Ticket)).one()


def test_no_free_connection_is_a_503_to_retry_and_writes_nothing(
    small_pool: Engine, engine: Engine, settings: Settings, clock: FixedClock, kiosk: dict[str, str]
) -> None:
    app = create_app(settings, engine=small_pool, clock=clock)
    issue = f"{API}/branches/{BRANCH}/tickets"
    with TestClient(app) as client:
        with small_pool.connect():  # another request holds the only connection
            refused = client.post(issue, json={"service": "certificate"}, headers=kiosk)
            read = client.get(f"{API}/branches/{BRANCH}/queues")
        for response in (refused, read):
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "busy"
            assert "混み合っています" in response.json()["detail"]
            assert "try again" in response.json()["detail"]
            assert int(response.headers["Retry-After"]) > 0
        assert _tickets(engine) == 0

        retried = client.post(issue, json={"service": "certificate"}, headers=kiosk)
        assert retried.status_code == 201, retried.text
        assert _tickets(engine) == 1


def test_a_database_locked_by_another_process_is_a_503_to_retry(
    engine: Engine, database_url: str, settings: Settings, clock: FixedClock, kiosk: dict[str, str]
) -> None:
    """Another program (a backup, a command-line tool) holds SQLite's write lock past the busy
    timeout: the issue is refused with 503 and Retry-After, not 500, and the next one goes through."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock")
    impatient = create_db_engine(database_url)

    @event.listens_for(impatient, "connect")
    def short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")  # instead of 30 s

    app = create_app(settings, engine=impatient, clock=clock)
    issue = f"{API}/branches/{BRANCH}/tickets"
    other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    try:
        with TestClient(app) as client:
            other.execute("BEGIN IMMEDIATE")
            refused = client.post(issue, json={"service": "certificate"}, headers=kiosk)
            other.execute("ROLLBACK")
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "busy"
            assert int(refused.headers["Retry-After"]) > 0
            assert _tickets(engine) == 0
            retried = client.post(issue, json={"service": "certificate"}, headers=kiosk)
            assert retried.status_code == 201, retried.text
            assert _tickets(engine) == 1
    finally:
        other.close()
        impatient.dispose()


def _dependencies(dependant: Any) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _dependencies(dependency)


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """The app's API routes, also inside the routers it includes (FastAPI keeps those apart)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def test_a_route_that_changes_state_writes_in_a_write_session() -> None:
    """On SQLite a read session's transaction that writes after all is upgraded without this
    process's writers lock: it waits in SQLite's busy handler, or fails at once as "busy" when
    another writer committed since it began to read (a citizen stopping e-mail notices on a busy
    morning was told to try again). Every POST, PUT, PATCH and DELETE route that takes a session
    from a dependency takes the write session."""
    changing = [
        (method, route)
        for route in _api_routes(create_app().router.routes)
        for method in route.methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert len(changing) > 50  # the enumeration reached the included routers
    reading = [
        f"{method} {route.path}" for method, route in changing if get_session in set(_dependencies(route.dependant))
    ]
    assert reading == []
