"""Webhooks to a real receiver on loopback: a simulated day through the real API arrives whole,
once per delivery id, signed and in order per ticket; a receiver that is down gets everything
when it is back, and never slows issuing or calling."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.config import Settings
from server.main import create_app
from server.models import OutboxDelivery, OutboxStatus
from tests.server.test_crash_recovery import free_port
from tests.server.webhooks.checks import (
    assert_delivered_once_signed_and_in_order,
    expected_webhooks,
    received_webhooks,
)
from tests.server.webhooks.day import issue_day, work_the_day
from tests.server.webhooks.receiver import Receiver
from tests.support import BRANCH, FixedClock

API = "/api/v1"
SECRET = "settings-secret-0123456789"


def fast(database_url: str, tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        database_url=database_url,
        audio_cache_dir=tmp_path / "audio",
        announcement_prefetch=False,
        outbox_poll_seconds=0.05,
        outbox_retry_base_seconds=0.05,
        outbox_retry_max_seconds=0.2,
        **extra,
    )


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(port=free_port(), secrets={"k1": SECRET}).start()
    yield running
    running.stop()


def test_a_simulated_day_arrives_once_signed_and_in_order(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    receiver: Receiver,
    auth: dict[str, dict[str, str]],
    kiosk: dict[str, str],
) -> None:
    settings = fast(database_url, tmp_path, webhook_url=receiver.url, webhook_secret=SECRET, webhook_key_id="k1")
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        issue_day(client, kiosk, 24)
        calls = work_the_day(client, auth["admin"])
        assert calls >= 24
        expected = expected_webhooks(engine)
        wait_for(lambda: received_webhooks(receiver) == expected)
        # A row is marked delivered a moment after its receiver answered.
        wait_for(lambda: _statuses(engine) == {OutboxStatus.delivered})
    assert_delivered_once_signed_and_in_order(receiver, engine)
    assert len(receiver.snapshot()) == len(receiver.unique())  # nothing was sent twice while all was well
    kinds = {item.body["type"] for item in receiver.snapshot()}
    assert kinds == {"ticket.issued", "stop.completed", "ticket.finished"}
    finished = [item.body for item in receiver.snapshot() if item.body["type"] == "ticket.finished"]
    assert {body["ticket"]["status"] for body in finished} == {"done", "no_show"}
    completed = next(item.body for item in receiver.snapshot() if item.body["type"] == "stop.completed")
    assert set(completed["stop"]) >= {"service", "counter", "stage", "waited_minutes", "served_minutes", "staff"}
    assert all("answers" not in item.body["ticket"] for item in receiver.snapshot())  # off by default
    assert _statuses(engine) == {OutboxStatus.delivered}


def _statuses(engine: Engine) -> set[OutboxStatus]:
    with Session(engine) as session:
        return {row.status for row in session.exec(select(OutboxDelivery)).all()}


def test_a_receiver_that_is_down_gets_everything_when_it_is_back(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    receiver: Receiver,
    auth: dict[str, dict[str, str]],
    kiosk: dict[str, str],
) -> None:
    settings = fast(database_url, tmp_path)
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        added = client.post(
            f"{API}/admin/branches/{BRANCH}/webhooks",
            json={"name": "基幹系", "url": receiver.url, "key_id": "k1"},
            headers=auth["admin"],
        )
        assert added.status_code == 201, added.text
        receiver.secrets = {"k1": added.json()["key"]["secret"]}
        receiver.stop()
        started = time.monotonic()
        issue_day(client, kiosk, 12)
        work_the_day(client, auth["admin"])
        elapsed = time.monotonic() - started

        def tried() -> bool:
            # The first delivery of each ticket was tried (the later ones wait behind it).
            with Session(engine) as session:
                rows = session.exec(select(OutboxDelivery)).all()
                return len({row.ordering_key for row in rows if row.attempts >= 1}) == 12

        wait_for(tried)
        assert receiver.snapshot() == []
        receiver.start()
        clock.advance(seconds=5)  # the retries fall due
        expected = expected_webhooks(engine)
        wait_for(lambda: received_webhooks(receiver) == expected)
    assert_delivered_once_signed_and_in_order(receiver, engine)
    assert elapsed < 30


def test_a_receiver_that_hangs_never_slows_issuing_or_calling(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    clock: FixedClock,
    auth: dict[str, dict[str, str]],
    kiosk: dict[str, str],
) -> None:
    hanging = Receiver(port=free_port(), secrets={"k1": SECRET}, delay_seconds=3).start()
    settings = fast(
        database_url,
        tmp_path,
        webhook_url=hanging.url,
        webhook_secret=SECRET,
        webhook_key_id="k1",
        webhook_timeout_seconds=2,
    )
    try:
        with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
            timings = []
            for _ in range(8):
                started = time.monotonic()
                issue_day(client, kiosk, 1)
                timings.append(time.monotonic() - started)
            started = time.monotonic()
            calls = work_the_day(client, auth["admin"])
            per_call = (time.monotonic() - started) / calls
            with Session(engine) as session:
                waiting = session.exec(select(OutboxDelivery)).all()
            assert waiting  # the deliveries exist and wait on the receiver, the counters do not
    finally:
        hanging.stop()
    assert max(timings) < 1.5, timings  # a blocking send would take the receiver's 3 s
    assert per_call < 1.5, per_call
