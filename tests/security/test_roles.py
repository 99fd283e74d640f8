"""Every protected route admits exactly the roles its guard allows, and the guards match our policy.

The table is derived from the app, not written by hand: each route's dependency tree is searched
for the guard functions of server.deps (and the two of their kind elsewhere), so a new route is
checked the day it is added. tests/server/test_route_security.py covers "no token → 401"; this
drives every guarded route with each kind of caller and compares the answer with the table.

The policy the table must satisfy is stated separately, by hand (test_the_policy_*):
- a kiosk device changes nothing but tickets it issues and its own health and help calls;
- a display board changes nothing;
- contractors and municipal staff reach no admin route; contractors never read the reports
  (the city's view of the contract) nor handle staff-only (公権力の行使) steps.
"""

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from server import deps
from server.devices.router import current_device, current_kiosk
from server.edge.remote import edge_link
from server.main import create_app
from server.reports.router import report_reader
from tests.server.api import API, act, issue
from tests.support import BRANCH, demo_config

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Caller(StrEnum):
    anonymous = "anonymous"
    display = "display"
    kiosk = "kiosk"
    contractor = "contractor"
    municipal = "municipal"
    admin = "admin"


STAFF = {Caller.contractor, Caller.municipal, Caller.admin}

# Guard → who gets past it. When a route has several, the strictest (first listed) decides.
GUARDS: list[tuple[Callable[..., Any], frozenset[Caller]]] = [
    (deps.current_admin, frozenset({Caller.admin})),
    (report_reader, frozenset({Caller.municipal, Caller.admin})),
    (current_kiosk, frozenset({Caller.kiosk})),
    (deps.staff_or_kiosk, frozenset({Caller.kiosk, *STAFF})),
    (deps.current_staff, frozenset(STAFF)),
    (current_device, frozenset({Caller.display, Caller.kiosk})),
    # Only the city hall's own edge link holds its key: no caller here is let in.
    (edge_link, frozenset()),
]
EVERYONE = frozenset(Caller)
# The codes with which a guard turns a caller away (a rule further in may refuse with others).
GUARD_CODES = {"missing_token", "invalid_token", "admin_only", "wrong_device", "reports_city_staff_only"}


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    found = {dependant.call} if dependant.call is not None else set()
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _allowed(path: str, dependant: Dependant) -> frozenset[Caller]:
    calls = _calls(dependant)
    for guard, callers in GUARDS:
        if guard in calls:
            return callers
    # Reading the bearer token without a known guard would be a new kind of check: extend GUARDS.
    assert deps.bearer_token not in calls, f"{path} reads a token through no known guard"
    return EVERYONE


def _table() -> dict[tuple[str, str], frozenset[Caller]]:
    """(method, path) → callers admitted, for every HTTP route under /api/v1 (schema or not)."""
    table = {}
    # Included routers are resolved lazily; their contexts carry the full path and the dependency
    # tree with any router-level dependencies merged in.
    for context in iter_route_contexts(create_app().routes):
        path = context.path
        if isinstance(context.original_route, APIRoute) and path is not None and path.startswith(API):
            for method in context.methods or ():
                table[(method, path)] = _allowed(path, context.dependant)
    return table


TABLE = _table()
GUARDED = sorted(key for key, callers in TABLE.items() if callers != EVERYONE)


def _writes_for(caller: Caller) -> set[tuple[str, str]]:
    return {(m, p) for (m, p), callers in TABLE.items() if m in WRITE_METHODS and caller in callers}


def test_the_policy_a_kiosk_only_issues_tickets_and_reports_itself() -> None:
    assert _writes_for(Caller.kiosk) == {
        ("POST", f"{API}/branches/{{branch}}/tickets"),
        ("POST", f"{API}/devices/health"),
        ("POST", f"{API}/devices/help"),
        # How a slip the concierge sent to this kiosk came out of its printer.
        ("POST", f"{API}/devices/print-requests/{{request_id}}/result"),
        # An appointment's check-in: a ticket marked as a booked visit.
        ("POST", f"{API}/branches/{{branch}}/appointments/{{code}}/check-in"),
        # The voice guide: a screen's words spoken (changes nothing but a disk cache).
        ("POST", f"{API}/kiosk/speech"),
    } | _writes_for(Caller.anonymous)


def test_the_policy_a_display_changes_nothing() -> None:
    assert _writes_for(Caller.display) == _writes_for(Caller.anonymous)


def test_the_policy_public_writes_are_only_sign_in_and_the_survey() -> None:
    assert _writes_for(Caller.anonymous) == {
        ("POST", f"{API}/auth/login"),
        ("POST", f"{API}/tickets/{{status_token}}/satisfaction"),  # the status token is the capability
        # "Your turn is near" by e-mail: the status token again (server/notices/).
        ("POST", f"{API}/tickets/{{status_token}}/email-notice"),
        ("DELETE", f"{API}/tickets/{{status_token}}/email-notice"),
        # Booking a visit (throttled per address) and cancelling it by its unguessable manage token.
        ("POST", f"{API}/branches/{{branch}}/appointments"),
        ("DELETE", f"{API}/appointments/{{manage_token}}"),
    }


def test_the_policy_sign_in_routes_open_to_everyone_are_known() -> None:
    # Single sign-on: the browser arrives with no token; these change nothing but start or finish
    # a sign-in (the callback checks the provider's signed ID token, tests/security/test_oidc.py).
    assert {
        path for (method, path), callers in TABLE.items() if path.startswith(f"{API}/auth/") and callers == EVERYONE
    } == {
        f"{API}/auth/login",
        f"{API}/auth/methods",
        f"{API}/auth/oidc/login",
        f"{API}/auth/oidc/callback",
        f"{API}/auth/oidc/logout",
    }
    assert {method for (method, path) in TABLE if path.startswith(f"{API}/auth/oidc/")} == {"GET"}


def test_the_policy_every_admin_route_is_for_administrators_only() -> None:
    admin_routes = [key for key in TABLE if key[1].startswith(f"{API}/admin/")]
    assert len(admin_routes) > 30
    for key in admin_routes:
        assert TABLE[key] == {Caller.admin}, key


def test_the_policy_hand_off_routes_are_for_administrators_only() -> None:
    # Webhook receivers (their keys, dead letters) and the visits export (server/webhooks, server/visits).
    hooks = f"{API}/admin/branches/{{branch}}/webhooks"
    hand_off = {key for key in TABLE if key[1].startswith(hooks) or key[1].endswith("/visits")}
    assert hand_off == {
        ("GET", hooks),
        ("POST", hooks),
        ("PATCH", f"{hooks}/{{receiver_id}}"),
        ("POST", f"{hooks}/{{receiver_id}}/keys"),
        ("DELETE", f"{hooks}/{{receiver_id}}/keys/{{key_id}}"),
        ("GET", f"{hooks}/dead-letters"),
        ("POST", f"{hooks}/dead-letters/{{delivery_id}}/retry"),
        ("GET", f"{API}/admin/branches/{{branch}}/visits"),
    }
    for key in hand_off:
        assert TABLE[key] == {Caller.admin}, key


def test_the_policy_contractors_never_read_the_reports() -> None:
    reports = [key for key in TABLE if "/reports/" in key[1]]
    assert reports
    for key in reports:
        assert Caller.contractor not in TABLE[key]
        assert Caller.municipal in TABLE[key]


@pytest.fixture
def callers(auth: dict[str, dict[str, str]], kiosk: dict[str, str], display_token: str) -> dict[Caller, dict[str, str]]:
    # Admin last: some admin routes (revoke device 1, disable account 1) would spoil the others.
    return {
        Caller.anonymous: {},
        Caller.display: {"Authorization": f"Bearer {display_token}"},
        Caller.kiosk: kiosk,
        Caller.contractor: auth["itaku"],
        Caller.municipal: auth["shokuin"],
        Caller.admin: auth["admin"],
    }


def _concrete(path: str) -> str:
    values = {"{branch}": BRANCH, "{status_token}": "no-such-token", "{key}": "pickup", "{prefix}": "A"}
    return re.sub(r"\{[^}]+\}", lambda m: values.get(m.group(0), "1"), path)


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_each_caller_is_admitted_or_refused_as_the_table_says(
    client: TestClient, callers: dict[Caller, dict[str, str]], method: str, path: str
) -> None:
    allowed = TABLE[(method, path)]
    for caller, headers in callers.items():
        # An empty body: a refused caller must be turned away before the body is even looked at.
        response = client.request(method, _concrete(path), json={}, headers=headers)
        body = response.json() if response.content else None
        code = body.get("code") if isinstance(body, dict) else None
        outcome = f"{caller} → {method} {path}: {response.status_code} {code}"
        if caller in allowed:
            assert response.status_code != 401, outcome
            assert code not in GUARD_CODES, outcome
        else:
            assert response.status_code in {401, 403}, outcome
            assert code in GUARD_CODES, outcome


def test_a_revoked_kiosk_and_a_logged_out_staff_member_are_refused(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    devices = client.get(f"{API}/admin/branches/{BRANCH}/devices", headers=auth["admin"]).json()
    kiosk_id = next(device["id"] for device in devices if device["kind"] == "kiosk")
    revoked = client.post(f"{API}/admin/branches/{BRANCH}/devices/{kiosk_id}/revoke", headers=auth["admin"])
    assert revoked.status_code == 200
    refused = client.post(f"{API}/branches/{BRANCH}/tickets", json={"service": "certificate"}, headers=kiosk)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")

    assert client.post(f"{API}/auth/logout", headers=auth["shokuin"]).status_code == 204
    after = client.post(f"{API}/counters/1/open", headers=auth["shokuin"])
    assert (after.status_code, after.json()["code"]) == (401, "invalid_token")


def test_a_disabled_account_loses_its_open_sessions_at_once(
    client: TestClient, auth: dict[str, dict[str, str]], staff_users: dict[str, Any]
) -> None:
    account = staff_users["itaku"].id
    disabled = client.post(f"{API}/admin/branches/{BRANCH}/staff/{account}/disable", headers=auth["admin"])
    assert disabled.status_code == 200
    refused = client.get(f"{API}/auth/me", headers=auth["itaku"])
    assert refused.status_code == 401


def _counter_id(client: TestClient, code: str) -> int:
    counters = client.get(f"{API}/branches/{BRANCH}/counters").json()
    return int(next(counter["id"] for counter in counters if counter["name"] == code))


def _staff_only_desk() -> tuple[str, str]:
    """A desk serving only staff-only services, and a counter serving some of each."""
    config = demo_config()
    staff_only = {service.id for service in config.services if service.staff_only}
    desk = next(counter.id for counter in config.counters if set(counter.services) <= staff_only)
    mixed = next(
        counter.id
        for counter in config.counters
        if set(counter.services) & staff_only and set(counter.services) - staff_only
    )
    return desk, mixed


def test_a_contractor_cannot_take_a_staff_only_desk(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    desk, _ = _staff_only_desk()
    response = client.post(f"{API}/counters/{_counter_id(client, desk)}/open", headers=auth["itaku"])
    assert (response.status_code, response.json()["code"]) == (403, "staff_only_counter")
    municipal = client.post(f"{API}/counters/{_counter_id(client, desk)}/open", headers=auth["shokuin"])
    assert municipal.status_code == 200


def test_a_contractor_is_never_handed_a_staff_only_step(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    _, mixed = _staff_only_desk()
    config = demo_config()
    counter = next(item for item in config.counters if item.id == mixed)
    staff_only = next(key for key in counter.services if next(s for s in config.services if s.id == key).staff_only)
    ticket = issue(client, auth["shokuin"], service=staff_only)
    counter_id = _counter_id(client, mixed)
    act(client, auth["itaku"], counter_id, "open")
    act(client, auth["itaku"], counter_id, "call-next", expected=204)
    act(client, auth["itaku"], counter_id, "close")
    act(client, auth["shokuin"], counter_id, "open")
    called = act(client, auth["shokuin"], counter_id, "call-next")
    assert called["ticket"]["number"] == ticket["number"]
