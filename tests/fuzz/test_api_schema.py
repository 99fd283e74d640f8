"""Schemathesis against the OpenAPI the real app serves, as every kind of caller.

For each operation, Hypothesis generates requests that fit the schema and requests that do not
(seeded and derandomized, so CI sees the same cases every run); each one is sent as nobody, a
kiosk, a contractor, a municipal officer and an administrator. Whatever the input and the role,
the answer must not be a 5xx, its status must be documented for the operation, and its body must
match the documented content type and schema.
"""

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.main import create_app
from tests.support import BRANCH, demo_config

# Random cases per operation (the coverage phase adds its own boundary cases, ~25 per operation).
MAX_EXAMPLES = 5


def _dictionaries() -> dict[str, dict[str, list[Any]]]:
    """Known-good values mixed into generation, so cases get past "no such branch" to the rules."""
    config = demo_config()
    keys = [
        item.id
        for section in (config.services, config.counters, config.life_events, config.questions)
        for item in section
    ] + [category.id for category in config.priority_categories]
    return {
        "branches": {"values": [BRANCH]},
        # Ids restart at 1 after each test's database reset: counters, devices and staff live low.
        "row_ids": {"values": list(range(1, 31))},
        "keys": {"values": keys},
        "services": {"values": [service.id for service in config.services]},
        "life_events": {"values": [event.id for event in config.life_events]},
        "prefixes": {"values": [queue.prefix for queue in config.queues]},
    }


def _config() -> schemathesis.Config:
    bindings = {
        "path.branch": ("branches", 0.8),
        "path.counter": ("row_ids", 0.8),
        "path.device": ("row_ids", 0.8),
        "path.account": ("row_ids", 0.8),
        "path.key": ("keys", 0.6),
        "path.prefix": ("prefixes", 0.6),
        "body.service": ("services", 0.6),
        "body.life_event": ("life_events", 0.6),
    }
    return schemathesis.Config.from_dict(
        {
            "seed": 20260401,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            # Methods a route does not have only ever meet the router's 405: not worth the time.
            "phases": {"coverage": {"unexpected-methods": []}},
            "dictionaries": _dictionaries(),
            "parameters": {
                key: {"dictionary": name, "probability": probability} for key, (name, probability) in bindings.items()
            },
        }
    )


def _served_schema() -> schemathesis.BaseSchema:
    # The document the app serves at /openapi.json, fetched without starting its lifespan (this
    # app has no test database); every case is sent to the test's own app instead.
    served_by = create_app()
    document = TestClient(served_by).get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document, config=_config())
    schema.app = served_by  # selects the in-process ASGI transport
    return schema


schema = _served_schema()

LONG_POLL_SECONDS = 1


def _seconds(value: Any) -> float:
    """A generated query value as a number of seconds (it may be a string), else 0."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(
    deadline=None,
    # The database is reset per operation, not per case: state built up by earlier cases (a
    # counter opened, a service deactivated) is part of what the later ones meet.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_as_every_role(
    case: schemathesis.Case[Any], app: FastAPI, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    roles = {
        "anonymous": {},
        "kiosk": kiosk,
        "contractor": auth["itaku"],
        "municipal": auth["shokuin"],
        "admin": auth["admin"],
    }
    if case.meta is not None and case.meta.phase.name.value == "coverage":
        # Boundary and wrong-type values for every field (most of the cases): sent as the two
        # callers that between them get past every guard, so each reaches validation and the
        # rules. The random cases of the fuzzing phase go out as everyone.
        roles = {role: roles[role] for role in ("kiosk", "admin")}
    # A kiosk's long poll for print requests waits as long as it is asked (up to 30 s) by design:
    # the fuzzing checks its answers, not its patience.
    if _seconds((case.query or {}).get("wait_seconds")) > LONG_POLL_SECONDS:
        case.query["wait_seconds"] = LONG_POLL_SECONDS
    for role, headers in roles.items():
        try:
            case.call_and_validate(headers=headers, checks=CHECKS, app=app)
        except BaseException as error:
            error.add_note(f"sent as {role}")
            raise


# Found by this fuzzing: ids past the INTEGER column range used to reach the database (500).
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/announcements/{id}.wav",
        "/api/v1/counters/{id}",
        "/api/v1/counters/{id}/open",
        "/api/v1/admin/branches/honcho/audit?before_id={id}",
    ],
)
@pytest.mark.parametrize("row_id", [2**31, 2**63])
def test_an_id_past_the_column_range_is_invalid_not_a_crash(
    client: TestClient, auth: dict[str, dict[str, str]], path: str, row_id: int
) -> None:
    url = path.format(id=row_id)
    response = client.request("POST" if url.endswith("/open") else "GET", url, headers=auth["admin"])
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
