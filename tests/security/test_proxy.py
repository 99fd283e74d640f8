"""Behind a reverse proxy, `madoguchi serve` throttles sign-in failures per real client address
(from a trusted proxy's X-Forwarded-For), and believes that header from nobody else."""

from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from server.auth.throttle import LoginThrottle
from tests.realtime.live_server import live_server, server_environment
from tests.server.api import API

pytestmark = pytest.mark.slow

PER_ADDRESS = LoginThrottle().limits["addr"]


def _fail_logins(server_url: str, address: str, count: int) -> list[int]:
    """`count` failed sign-ins from `address`, each to another account (no account lock)."""
    statuses = []
    with httpx.Client(base_url=server_url, timeout=30) as http:
        for attempt in range(count):
            response = http.post(
                f"{API}/auth/login",
                json={"username": f"guess-{address}-{attempt}", "password": "wrong password"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(response.status_code)
    return statuses


@pytest.mark.parametrize(("trusted", "separately"), [("127.0.0.1", True), ("192.0.2.1", False)])
def test_failures_are_counted_per_forwarded_address_only_from_a_trusted_proxy(
    engine: Engine, database_url: str, tmp_path: Path, trusted: str, separately: bool
) -> None:
    environment = server_environment(database_url, trusted_proxies=trusted, announcement_prefetch="false")
    with live_server(environment, tmp_path, production=True) as server:
        assert set(_fail_logins(server.base_url, "198.51.100.1", PER_ADDRESS)) == {401}
        assert _fail_logins(server.base_url, "198.51.100.1", 1) == [429]
        # Another citizen's phone, or another floor's PC, behind the same proxy:
        assert _fail_logins(server.base_url, "198.51.100.2", 1) == ([401] if separately else [429])
