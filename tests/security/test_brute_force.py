"""Guessing is slow or hopeless: failed sign-ins are throttled per account and per address, and
every token (sign-in, device, status link) is long, random and matched exactly."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.auth.throttle import LoginThrottle
from tests.server.api import API, issue
from tests.support import PASSWORD, FixedClock

Headers = dict[str, str]
LOGIN = f"{API}/auth/login"
# Small limits keep the test quick (each failed attempt costs a deliberate scrypt hash).
PER_ACCOUNT, PER_ADDRESS, WINDOW = 3, 5, timedelta(minutes=5)


@pytest.fixture
def throttled(app: FastAPI) -> LoginThrottle:
    throttle = LoginThrottle(per_account=PER_ACCOUNT, per_address=PER_ADDRESS, window=WINDOW)
    app.state.login_throttle = throttle
    return throttle


@pytest.fixture
def elsewhere(app: FastAPI, throttled: LoginThrottle) -> Iterator[TestClient]:
    """A second client on another address (the default one is "testclient")."""
    with TestClient(app, client=("192.0.2.7", 50000)) as other:
        yield other


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post(LOGIN, json={"username": username, "password": password})


def test_the_default_limits_are_small_and_per_account_below_per_address() -> None:
    throttle = LoginThrottle()
    assert throttle.limits["user"] <= 10
    assert throttle.limits["user"] < throttle.limits["addr"] <= 100
    assert throttle.window >= timedelta(minutes=1)


def test_an_account_locks_after_repeated_failures_even_for_the_right_password(
    client: TestClient, elsewhere: TestClient, staff_users: dict[str, Any], clock: FixedClock
) -> None:
    for _ in range(PER_ACCOUNT):
        assert _login(client, "shokuin", "wrong-password").status_code == 401
    refused = _login(client, "shokuin", PASSWORD)
    assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
    assert "seconds" in refused.json()["detail"]
    # From another address too: the lock is on the account, not the guesser's machine.
    assert _login(elsewhere, "shokuin", PASSWORD).status_code == 429
    # Other accounts are untouched, and the lock lifts when the window has passed.
    assert _login(client, "shokuin2", PASSWORD).status_code == 200
    clock.advance(minutes=5, seconds=1)
    assert _login(client, "shokuin", PASSWORD).status_code == 200


def test_the_account_lock_ignores_the_case_of_the_username(
    client: TestClient, throttled: LoginThrottle, staff_users: dict[str, Any]
) -> None:
    for variant in ("SHOKUIN", "Shokuin", "shoKUIN"):
        assert _login(client, variant, "wrong-password").status_code == 401
    assert _login(client, "shokuin", PASSWORD).status_code == 429


def test_an_address_that_sprays_many_accounts_is_stopped(
    client: TestClient, elsewhere: TestClient, throttled: LoginThrottle, staff_users: dict[str, Any]
) -> None:
    for attempt in range(PER_ADDRESS):
        assert _login(client, f"guess{attempt}", "wrong-password").status_code == 401
    assert _login(client, "admin", PASSWORD).status_code == 429
    # Only that address: staff elsewhere still sign in.
    assert _login(elsewhere, "admin", PASSWORD).status_code == 200


def test_an_unknown_account_and_a_wrong_password_look_the_same(
    client: TestClient, throttled: LoginThrottle, staff_users: dict[str, Any]
) -> None:
    unknown = _login(client, "nobody-here", "wrong-password")
    wrong = _login(client, "shokuin", "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_tokens_are_long_and_random(client: TestClient, auth: dict[str, Headers], kiosk: Headers) -> None:
    sign_in = _login(client, "shokuin", PASSWORD).json()["access_token"]
    device = kiosk["Authorization"].split()[1]
    statuses = [issue(client, kiosk, service="certificate")["status_token"] for _ in range(3)]
    for token in [sign_in, device, *statuses]:
        # URL-safe base64 of at least 128 random bits.
        assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", token), token
    assert len(set(statuses)) == len(statuses)


def test_a_status_token_matches_exactly(client: TestClient, kiosk: Headers) -> None:
    token = issue(client, kiosk, service="certificate")["status_token"]
    assert client.get(f"{API}/tickets/{token}").status_code == 200
    near_misses = [token[:-1], token + "A", token.upper(), token.swapcase(), token[:8], f"{token[:8]}%", "%"]
    answers = [client.get(f"{API}/tickets/{guess}") for guess in near_misses]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.text for answer in answers}) == 1, "a miss must not say how close it was"


def test_a_made_up_sign_in_token_is_refused_everywhere_alike(client: TestClient, auth: dict[str, Headers]) -> None:
    real = auth["shokuin"]["Authorization"].split()[1]
    for guess in (real[:-1], real + "x", real.upper(), "x" * len(real)):
        response = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {guess}"})
        assert (response.status_code, response.json()["code"]) == (401, "invalid_token")
