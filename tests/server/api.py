"""Small helpers for driving the API in tests."""

from typing import Any

from fastapi.testclient import TestClient

from tests.support import BRANCH, demo_config

API = "/api/v1"
# A ticket's fields in the contract (DESIGN.md).
TICKET_KEYS = frozenset(
    {
        "id",
        "number",
        "status",
        "language",
        "priority",
        "issued_at",
        "status_token",
        "status_url",
        "current_stop",
        "stops",
        "visits",
        "position",
        "estimated_wait_minutes",
    }
)


def counter_ids(client: TestClient) -> dict[str, int]:
    response = client.get(f"{API}/branches/{BRANCH}/counters")
    assert response.status_code == 200, response.text
    return {counter["name"]: counter["id"] for counter in response.json()}


def counters_for(service: str) -> list[str]:
    """Codes of the counters that serve a service, in configuration order."""
    return [counter.id for counter in demo_config().counters if service in counter.services]


def first_counter_for(service: str) -> str:
    return counters_for(service)[0]


def issue(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/branches/{BRANCH}/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def act(
    client: TestClient, headers: dict[str, str], counter_id: int, action: str, expected: int = 200, **body: Any
) -> Any:
    response = client.post(f"{API}/counters/{counter_id}/{action}", json=body or None, headers=headers)
    assert response.status_code == expected, response.text
    return response.json() if response.content else None
