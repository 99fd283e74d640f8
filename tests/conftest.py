"""Fixtures shared by every test: one database per run (SQLite, or PostgreSQL when
MADOGUCHI_TEST_DATABASE_URL is set), emptied and reloaded with the demo city hall per test."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from server.config import Settings
from server.database_setup import migrate
from server.db import create_db_engine
from server.main import create_app
from server.models import DeviceKind, Role
from tests.support import (
    PASSWORD,
    PG_URL,
    FixedClock,
    create_database,
    drop_database,
    make_device,
    make_staff,
    reset_database,
    staff_token,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run in the SQLite pass only: the PostgreSQL pass covers the same server code
    through the API and process tests, and a second browser pass would cost CI a quarter of its time."""
    if not PG_URL:
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if not item.get_closest_marker("browser")]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = create_database(str(tmp_path_factory.mktemp("db")))
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    migrate(engine)  # the real migrations, not create_all: they are under test too
    yield engine
    engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    reset_database(migrated_engine)
    return migrated_engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def settings(database_url: str, tmp_path: Any) -> Settings:
    return Settings(database_url=database_url, audio_cache_dir=tmp_path / "audio")


@pytest.fixture
def app(settings: Settings, engine: Engine, clock: FixedClock) -> Any:
    return create_app(settings, engine=engine, clock=clock)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def staff_users(engine: Engine, clock: FixedClock) -> dict[str, Any]:
    return {
        "admin": make_staff(engine, "admin", Role.admin, clock()),
        "shokuin": make_staff(engine, "shokuin", Role.municipal, clock()),
        "shokuin2": make_staff(engine, "shokuin2", Role.municipal, clock()),
        "itaku": make_staff(engine, "itaku", Role.contractor, clock()),
    }


@pytest.fixture
def auth(engine: Engine, clock: FixedClock, staff_users: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Bearer headers per demo user."""
    return {
        name: {"Authorization": f"Bearer {staff_token(engine, staff, clock())}"} for name, staff in staff_users.items()
    }


@pytest.fixture
def kiosk(engine: Engine, clock: FixedClock) -> dict[str, str]:
    token, _ = make_device(engine, DeviceKind.kiosk, clock())
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def display_token(engine: Engine, clock: FixedClock) -> str:
    token, _ = make_device(engine, DeviceKind.display, clock())
    return token
