"""Guessing is slow or hopeless: failed sign-ins are throttled per account and per address (in
bounded memory), password hashes keep their cost so it can be raised, and every token (sign-in,
device, status link) is long, random and matched exactly."""

import hashlib
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.auth import service as auth_service
from server.auth.throttle import LoginThrottle, TooManyAttempts
from server.models import Staff
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


def _stored_hash(engine: Engine, username: str) -> str:
    with Session(engine) as session:
        staff = session.exec(select(Staff).where(Staff.username == username)).one()
        return staff.password_hash


def _store_hash(engine: Engine, username: str, password_hash: str) -> None:
    with Session(engine) as session:
        staff = session.exec(select(Staff).where(Staff.username == username)).one()
        staff.password_hash = password_hash
        session.add(staff)
        session.commit()


def _scrypt_hash(password: str, *, n: int, r: int = 8, p: int = 1, legacy: bool = False) -> str:
    """A hash made without the code under test: the first format named no parameters."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p).hex()
    return f"scrypt${salt.hex()}${digest}" if legacy else f"scrypt$n={n},r={r},p={p}${salt.hex()}${digest}"


def test_a_password_hash_names_its_cost() -> None:
    stored = auth_service.hash_password(PASSWORD)
    scheme, params, salt, digest = stored.split("$")
    assert (scheme, params) == ("scrypt", "n=16384,r=8,p=1")
    assert (len(bytes.fromhex(salt)), len(bytes.fromhex(digest))) == (16, 64)
    assert auth_service.verify_password(PASSWORD, stored)
    assert not auth_service.verify_password("wrong-password", stored)
    assert not auth_service.password_needs_rehash(stored)


@pytest.mark.parametrize(
    "stored",
    ["", "scrypt", "bcrypt$aa$bb", "scrypt$zz$00", "scrypt$n=16384,r=8$00$00", "scrypt$n=x,r=8,p=1$00$00",
     "scrypt$n=16384,r=8,p=1,n=2$00$00", "scrypt$n=1000,r=8,p=1$00$00", "scrypt$n=16384,r=8,p=0$00$00",
     "scrypt$a$b$c$d"],
)  # fmt: skip
def test_a_malformed_hash_never_verifies(stored: str) -> None:
    assert not auth_service.verify_password(PASSWORD, stored)
    assert auth_service.password_needs_rehash(stored)


def test_an_old_format_hash_signs_in_and_is_upgraded(
    client: TestClient, engine: Engine, staff_users: dict[str, Any]
) -> None:
    old = _scrypt_hash(PASSWORD, n=2**14, legacy=True)  # scrypt$salt$digest, as stored before
    _store_hash(engine, "shokuin", old)
    assert _login(client, "shokuin", "wrong-password").status_code == 401
    assert _stored_hash(engine, "shokuin") == old, "a failed sign-in must not touch the hash"

    assert _login(client, "shokuin", PASSWORD).status_code == 200
    upgraded = _stored_hash(engine, "shokuin")
    assert upgraded.startswith("scrypt$n=16384,r=8,p=1$")
    assert auth_service.verify_password(PASSWORD, upgraded)
    assert _login(client, "shokuin", PASSWORD).status_code == 200
    assert _stored_hash(engine, "shokuin") == upgraded, "a hash at today's cost is kept"


def test_a_hash_at_another_cost_signs_in_and_is_rehashed_at_todays(
    client: TestClient, engine: Engine, staff_users: dict[str, Any]
) -> None:
    _store_hash(engine, "shokuin", _scrypt_hash(PASSWORD, n=2**10, r=4))
    assert _login(client, "shokuin", PASSWORD).status_code == 200
    assert _stored_hash(engine, "shokuin").startswith("scrypt$n=16384,r=8,p=1$")


def test_raising_the_cost_keeps_older_hashes_signing_in(
    client: TestClient,
    engine: Engine,
    staff_users: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # n=2**15 needs more than OpenSSL's default 32 MiB: the hash must ask for what it needs.
    monkeypatch.setattr(auth_service, "_SCRYPT", {"n": 2**15, "r": 8, "p": 1})
    old = _scrypt_hash(PASSWORD, n=2**14, legacy=True)
    _store_hash(engine, "shokuin", old)
    assert _login(client, "shokuin", PASSWORD).status_code == 200
    raised = _stored_hash(engine, "shokuin")
    assert raised.startswith("scrypt$n=32768,r=8,p=1$")
    assert _login(client, "shokuin", PASSWORD).status_code == 200
    assert _stored_hash(engine, "shokuin") == raised
    # Accounts still at the previous cost (the fixture's hash, new format) sign in and move up too.
    assert _stored_hash(engine, "admin").startswith("scrypt$n=16384,r=8,p=1$")
    assert _login(client, "admin", PASSWORD).status_code == 200
    assert _stored_hash(engine, "admin").startswith("scrypt$n=32768,r=8,p=1$")


def test_the_throttle_remembers_a_bounded_number_of_keys() -> None:
    throttle = LoginThrottle()
    assert throttle.max_keys == 10_000
    start = FixedClock()
    largest = 0
    for attempt in range(50_000):
        now = start.advance(milliseconds=1)  # all within one window: nothing expires by itself
        throttle.record_failure(username=f"made-up-{attempt}", address=f"2001:db8::{attempt:x}", now=now)
        largest = max(largest, len(throttle))
    assert largest <= throttle.max_keys
    assert len(throttle) == throttle.max_keys
    # The latest keys are the ones kept: an account being guessed right now still locks.
    for _ in range(throttle.limits["user"] - 1):
        throttle.record_failure(username="made-up-49999", address="192.0.2.1", now=start())
    with pytest.raises(TooManyAttempts):
        throttle.check(username="made-up-49999", address="192.0.2.2", now=start())


def test_the_throttle_forgets_keys_whose_failures_left_the_window() -> None:
    throttle = LoginThrottle(window=WINDOW)
    clock = FixedClock()
    for attempt in range(1_000):
        throttle.record_failure(username=f"guess{attempt}", address="192.0.2.1", now=clock())
    assert len(throttle) == 1_001
    # Checking never adds a key, whatever is asked about.
    for attempt in range(1_000):
        throttle.check(username=f"other{attempt}", address=f"198.51.100.{attempt % 250}", now=clock())
    assert len(throttle) == 1_001
    clock.advance(minutes=5, seconds=1)
    throttle.record_failure(username="late", address="192.0.2.9", now=clock())
    assert len(throttle) == 2
    # A checked key with only stale failures is dropped too.
    clock.advance(minutes=5, seconds=1)
    throttle.check(username="late", address="192.0.2.9", now=clock())
    assert len(throttle) == 0
