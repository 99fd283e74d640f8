"""Webhook receivers in the admin API: add, key rotation without downtime, disable, answers only
when asked, dead letters and sending again; every change audited, no secret in the audit log."""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.main import create_app
from server.models import AuditEntry
from tests.server.test_crash_recovery import free_port
from tests.server.webhooks.receiver import Receiver
from tests.server.webhooks.test_delivery import fast
from tests.support import BRANCH, FixedClock

HOOKS = f"/api/v1/admin/branches/{BRANCH}/webhooks"
TICKETS = f"/api/v1/branches/{BRANCH}/tickets"


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(port=free_port()).start()
    yield running
    running.stop()


@pytest.fixture
def app_client(engine: Engine, database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[TestClient]:
    settings = fast(database_url, tmp_path, outbox_max_attempts=2)
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        yield client


def add(client: TestClient, admin: dict[str, str], receiver: Receiver, **extra: object) -> dict[str, object]:
    response = client.post(HOOKS, json={"name": "基幹系", "url": receiver.url, "key_id": "k1", **extra}, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    key = created["key"]
    assert isinstance(key, dict)
    receiver.secrets[key["key_id"]] = key["secret"]
    return created


def test_key_rotation_without_downtime(
    app_client: TestClient, engine: Engine, receiver: Receiver, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    admin = auth["admin"]
    created = add(app_client, admin, receiver)
    receiver_id = created["receiver"]["id"]  # type: ignore[index]
    app_client.post(TICKETS, json={"service": "certificate"}, headers=kiosk)
    wait_for(lambda: len(receiver.snapshot()) == 1)

    # 1. a second key beside the first: the receiver learns it while k1 still signs
    second = app_client.post(f"{HOOKS}/{receiver_id}/keys", json={"key_id": "k2"}, headers=admin)
    assert second.status_code == 201, second.text
    receiver.secrets["k2"] = second.json()["secret"]
    assert len(second.json()["secret"]) >= 32
    # 2. switch the signing key
    switched = app_client.patch(f"{HOOKS}/{receiver_id}", json={"signing_key_id": "k2"}, headers=admin)
    assert switched.status_code == 200, switched.text
    assert [(k["key_id"], k["signing"]) for k in switched.json()["keys"]] == [("k1", False), ("k2", True)]
    app_client.post(TICKETS, json={"service": "certificate"}, headers=kiosk)
    wait_for(lambda: len(receiver.snapshot()) == 2)
    first, then = receiver.snapshot()
    assert (first.key_id, then.key_id) == ("k1", "k2")
    assert all(receiver.verified(item) for item in (first, then))
    # 3. the old key goes; the signing one cannot
    assert app_client.delete(f"{HOOKS}/{receiver_id}/keys/k1", headers=admin).status_code == 204
    refused = app_client.delete(f"{HOOKS}/{receiver_id}/keys/k2", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["code"] == "webhook_key_signing"
    unknown = app_client.patch(f"{HOOKS}/{receiver_id}", json={"signing_key_id": "k9"}, headers=admin)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "webhook_key_not_found"

    with Session(engine) as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action.startswith("webhook."))).all()  # type: ignore[attr-defined]
    assert [entry.action for entry in audit] == [
        "webhook.create",
        "webhook.key_add",
        "webhook.update",
        "webhook.key_remove",
    ]
    logged = json.dumps([entry.after for entry in audit])
    assert all(secret not in logged for secret in receiver.secrets.values())
    listed = app_client.get(HOOKS, headers=admin).text
    assert all(secret not in listed for secret in receiver.secrets.values())


def test_dead_letters_are_listed_and_sent_again_under_the_same_id(
    app_client: TestClient,
    clock: FixedClock,
    receiver: Receiver,
    auth: dict[str, dict[str, str]],
    kiosk: dict[str, str],
) -> None:
    admin = auth["admin"]
    add(app_client, admin, receiver)
    receiver.status = 500
    number = app_client.post(TICKETS, json={"service": "certificate"}, headers=kiosk).json()["number"]

    def dead() -> list[dict[str, object]]:
        clock.advance(seconds=1)  # each retry falls due
        letters: list[dict[str, object]] = app_client.get(f"{HOOKS}/dead-letters", headers=admin).json()
        return letters

    wait_for(lambda: len(dead()) == 1)
    (letter,) = dead()
    assert (letter["type"], letter["number"], letter["attempts"]) == ("ticket.issued", number, 2)
    assert "500" in str(letter["last_error"])
    listed = app_client.get(HOOKS, headers=admin).json()
    assert listed[0]["dead"] == 1

    receiver.status = 200
    again = app_client.post(f"{HOOKS}/dead-letters/{letter['delivery_id']}/retry", headers=admin)
    assert again.status_code == 200, again.text
    wait_for(lambda: len(receiver.snapshot()) == 1)
    assert receiver.snapshot()[0].delivery_id == letter["delivery_id"]
    assert app_client.get(f"{HOOKS}/dead-letters", headers=admin).json() == []
    twice = app_client.post(f"{HOOKS}/dead-letters/{letter['delivery_id']}/retry", headers=admin)
    assert twice.status_code == 409
    assert twice.json()["code"] == "not_dead_letter"
    missing = app_client.post(f"{HOOKS}/dead-letters/no-such-id/retry", headers=admin)
    assert missing.status_code == 404


def test_a_disabled_receiver_gets_nothing_and_answers_go_only_when_asked(
    app_client: TestClient, receiver: Receiver, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    admin = auth["admin"]
    with_answers = Receiver(port=free_port()).start()
    try:
        add(app_client, admin, with_answers, include_answers=True, name="書かない窓口")
        plain = add(app_client, admin, receiver)
        answers = {"from_abroad": True}
        app_client.post(TICKETS, json={"life_event": "move_in", "answers": answers}, headers=kiosk)
        wait_for(lambda: len(with_answers.snapshot()) == 1 and len(receiver.snapshot()) == 1)
        assert with_answers.snapshot()[0].body["ticket"]["answers"] == answers
        assert "answers" not in receiver.snapshot()[0].body["ticket"]

        receiver_id = plain["receiver"]["id"]  # type: ignore[index]
        off = app_client.patch(f"{HOOKS}/{receiver_id}", json={"enabled": False}, headers=admin)
        assert off.json()["enabled"] is False
        app_client.post(TICKETS, json={"service": "certificate"}, headers=kiosk)
        wait_for(lambda: len(with_answers.snapshot()) == 2)
        time.sleep(0.3)
        assert len(receiver.snapshot()) == 1
    finally:
        with_answers.stop()


BAD_RECEIVERS = [
    {"name": "x", "url": "ftp://127.0.0.1/hooks"},
    {"name": "x", "url": "not a url"},
    {"name": "", "url": "http://127.0.0.1/hooks"},
    {"name": "x", "url": "http://127.0.0.1/hooks", "secret": "short"},
    {"name": "x", "url": "http://127.0.0.1/hooks", "key_id": "a key with spaces"},
    {"name": "x", "url": "http://127.0.0.1/hooks", "surprise": True},
]


def test_bad_receivers_are_refused(app_client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    for body in BAD_RECEIVERS:
        response = app_client.post(HOOKS, json=body, headers=auth["admin"])
        assert response.status_code == 422, (body, response.text)
    assert app_client.get(HOOKS, headers=auth["admin"]).json() == []


def test_the_receiver_from_the_settings_is_listed_and_read_only(
    engine: Engine, database_url: str, tmp_path: Path, clock: FixedClock, auth: dict[str, dict[str, str]]
) -> None:
    settings = fast(
        database_url, tmp_path, webhook_url="http://127.0.0.1:9/hooks", webhook_secret="x" * 20, webhook_key_id="env"
    )
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        (listed,) = client.get(HOOKS, headers=auth["admin"]).json()
        assert (listed["from_settings"], listed["branch"], listed["signing_key_id"]) == (True, None, "env")
        refused = client.patch(f"{HOOKS}/{listed['id']}", json={"enabled": False}, headers=auth["admin"])
        assert refused.status_code == 409
        assert refused.json()["code"] == "webhook_from_settings"
        assert client.patch(f"{HOOKS}/999", json={"enabled": False}, headers=auth["admin"]).status_code == 404
    # Without the settings the receiver is switched off at the next start.
    with TestClient(create_app(fast(database_url, tmp_path), engine=engine, clock=clock)) as client:
        (listed,) = client.get(HOOKS, headers=auth["admin"]).json()
        assert listed["enabled"] is False


def test_webhook_routes_are_for_administrators(app_client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    for name in ("shokuin", "itaku"):
        assert app_client.get(HOOKS, headers=auth[name]).status_code == 403
        assert app_client.get(f"{HOOKS}/dead-letters", headers=auth[name]).status_code == 403
    assert app_client.get(HOOKS).status_code == 401
