"""Every state-changing route, enumerated from the app itself, refuses a request without a token."""

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from server.main import create_app

PUBLIC_WRITES = {
    ("POST", "/api/v1/auth/login"),
    # The post-visit survey: the ticket's unguessable status token is the capability (no account).
    ("POST", "/api/v1/tickets/{status_token}/satisfaction"),
    # "Your turn is near" by e-mail, asked for and stopped on the status page (status token again).
    ("POST", "/api/v1/tickets/{status_token}/email-notice"),
    ("DELETE", "/api/v1/tickets/{status_token}/email-notice"),
    # Booking a visit needs no account (throttled per address; staff may sign in for a telephone
    # booking), and the booking's unguessable manage token is the capability to cancel it.
    ("POST", "/api/v1/branches/{branch}/appointments"),
    ("DELETE", "/api/v1/appointments/{manage_token}"),
}


def _api_routes() -> list[tuple[str, str]]:
    app = create_app()
    routes = []
    for route in app.router.routes:
        for candidate in getattr(route, "routes", [route]):
            if isinstance(candidate, APIRoute):
                routes.extend((method, candidate.path) for method in sorted(candidate.methods))
    schema_paths = app.openapi()["paths"]
    for path, operations in schema_paths.items():
        routes.extend((method.upper(), path) for method in operations)
    return sorted(set(routes))


STATE_CHANGING = [
    (m, p) for m, p in _api_routes() if m in {"POST", "PUT", "PATCH", "DELETE"} and (m, p) not in PUBLIC_WRITES
]


def test_the_enumeration_found_the_counter_actions() -> None:
    paths = {path for _, path in STATE_CHANGING}
    assert "/api/v1/counters/{counter}/call-next" in paths
    assert "/api/v1/branches/{branch}/tickets" in paths
    assert "/api/v1/admin/branches/{branch}/webhooks/{receiver_id}/keys" in paths
    assert "/api/v1/admin/branches/{branch}/webhooks/dead-letters/{delivery_id}/retry" in paths


@pytest.mark.parametrize(("method", "path"), STATE_CHANGING)
def test_state_changing_route_needs_a_token(client: TestClient, method: str, path: str) -> None:
    concrete = re.sub(r"\{[^}]+\}", lambda m: "honcho" if m.group(0) == "{branch}" else "1", path)
    response = client.request(method, concrete, json={})
    assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
    body: dict[str, Any] = response.json()
    assert body["code"] in {"missing_token", "invalid_token"}


@pytest.mark.parametrize(("method", "path"), STATE_CHANGING)
def test_state_changing_route_refuses_a_made_up_token(client: TestClient, method: str, path: str) -> None:
    concrete = re.sub(r"\{[^}]+\}", lambda m: "honcho" if m.group(0) == "{branch}" else "1", path)
    response = client.request(method, concrete, json={}, headers={"Authorization": "Bearer made-up"})
    assert response.status_code == 401
