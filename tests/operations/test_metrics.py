"""GET /metrics: Prometheus text that prometheus-client's own parser reads, with figures that move
with traffic; off unless MADOGUCHI_METRICS=true."""

from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from server.config import Settings
from server.db import is_sqlite
from server.main import create_app
from tests.realtime.helpers import board_url, connected
from tests.server.api import act, counter_ids, first_counter_for, issue
from tests.support import BRANCH, FixedClock

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
ISSUE_ROUTE = "/api/v1/branches/{branch}/tickets"


def _scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_move_with_traffic(
    settings: Settings,
    engine: Engine,
    clock: FixedClock,
    auth: dict[str, Any],
    kiosk: dict[str, str],
    display_token: str,
) -> None:
    app = create_app(settings.model_copy(update={"metrics": True}), engine=engine, clock=clock)
    with TestClient(app) as client:
        before = _scrape(client)
        for _ in range(2):
            issue(client, kiosk, service="certificate")
        counter = counter_ids(client)[first_counter_for("certificate")]
        act(client, auth["shokuin"], counter, "open")
        with connected(client, board_url(display_token)) as board:
            board.receive_json()
            during = _scrape(client)
        act(client, auth["shokuin"], counter, "call-next")
        after = _scrape(client)

    issued = ("madoguchi_http_requests_total", "POST", ISSUE_ROUTE, "201")
    name, method, route, status = issued
    assert _value(after, name, method=method, route=route, status=status) == (
        _value(before, name, method=method, route=route, status=status) + 2
    )
    assert _value(after, "madoguchi_ticket_issue_seconds_count") == 2
    assert _value(after, "madoguchi_call_next_seconds_count") == 1
    # Requests are counted by their route template, never by a path that carries a token or id.
    assert not any("honcho" in dict(labels).get("route", "") for _, labels in after)
    # Two certificates waited; one was called.
    assert _value(during, "madoguchi_waiting", branch=BRANCH, queue="C") == 2
    assert _value(after, "madoguchi_waiting", branch=BRANCH, queue="C") == 1
    assert _value(during, "madoguchi_connected_displays") == 1
    assert _value(after, "madoguchi_connected_displays") == 0
    assert _value(after, "madoguchi_write_lock_wait_seconds_count") > _value(
        before, "madoguchi_write_lock_wait_seconds_count"
    )
    assert _value(after, "madoguchi_bus_lag_seconds_count") >= 3  # two issued, one called
    if is_sqlite(engine):  # the only database with one write lock for everyone
        held = _value(after, "madoguchi_write_lock_held_seconds_count") - _value(
            before, "madoguchi_write_lock_held_seconds_count"
        )
        assert held >= 4  # two issued, the counter opened, one called
        assert _value(after, "madoguchi_write_lock_held_seconds_bucket", le="+Inf") == _value(
            after, "madoguchi_write_lock_held_seconds_count"
        )


def test_metrics_are_off_unless_asked_for(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
