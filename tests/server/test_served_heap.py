"""A served process sets its start-up heap apart from the garbage collector (server/main.py)."""

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from server.config import Settings
from server.main import create_app
from tests.support import FixedClock


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # this test process builds app after app: none may keep its garbage for good


def test_a_served_app_freezes_its_heap_once_started(
    thawed: None, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    app = create_app(settings, engine=engine, clock=clock, freeze_heap=True)
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        # Modules, schemas and routes: far more than any one request makes.
        assert gc.get_freeze_count() > 50_000
        assert client.get("/healthz").status_code == 200


def test_an_app_built_by_a_test_leaves_the_collector_alone(
    thawed: None, settings: Settings, engine: Engine, clock: FixedClock
) -> None:
    with TestClient(create_app(settings, engine=engine, clock=clock)):
        assert gc.get_freeze_count() == 0
