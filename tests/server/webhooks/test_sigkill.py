"""A real server process SIGKILLed while it delivers webhooks loses none: a new process sends
the rest (the killed one's claims run out after their lease), each under its own delivery id."""

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.models import DeviceKind, OutboxDelivery, OutboxStatus, Role
from tests.server.test_crash_recovery import free_port
from tests.server.test_crash_recovery import start_server as start_crash_test_server
from tests.server.webhooks.checks import (
    assert_delivered_once_signed_and_in_order,
    expected_webhooks,
    received_webhooks,
)
from tests.server.webhooks.day import issue_day, work_the_day
from tests.server.webhooks.receiver import Receiver
from tests.support import make_device, make_staff, staff_token

SECRET = "kill-test-secret-0123456789"


def start_server(database_url: str, port: int, receiver: Receiver) -> subprocess.Popen[bytes]:
    return start_crash_test_server(
        database_url,
        port,
        MADOGUCHI_ANNOUNCEMENT_PREFETCH="false",
        MADOGUCHI_WEBHOOK_URL=receiver.url,
        MADOGUCHI_WEBHOOK_SECRET=SECRET,
        MADOGUCHI_WEBHOOK_KEY_ID="k1",
        MADOGUCHI_OUTBOX_POLL_SECONDS="0.1",
        MADOGUCHI_OUTBOX_LEASE_SECONDS="2",
        MADOGUCHI_OUTBOX_RETRY_BASE_SECONDS="0.2",
        MADOGUCHI_OUTBOX_RETRY_MAX_SECONDS="1",
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(port=free_port(), secrets={"k1": SECRET}, delay_seconds=0.1).start()
    yield running
    running.stop()


@pytest.mark.slow
def test_a_server_killed_mid_delivery_loses_no_webhook(engine: Engine, database_url: str, receiver: Receiver) -> None:
    now = datetime.now(UTC)  # real processes run on the real clock
    admin = {"Authorization": f"Bearer {staff_token(engine, make_staff(engine, 'kanri', Role.admin, now), now)}"}
    kiosk = {"Authorization": f"Bearer {make_device(engine, DeviceKind.kiosk, now)[0]}"}
    port = free_port()
    server = start_server(database_url, port, receiver)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            receiver.status = 503  # everything waits in the outbox while the day is worked
            issue_day(client, kiosk, 9)
            work_the_day(client, admin)
        expected = expected_webhooks(engine)
        total = sum(expected.values())
        receiver.status = 200
        deadline = time.monotonic() + 30
        while len(receiver.unique()) < total // 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)
        server.wait()
    finally:
        if server.poll() is None:
            server.kill()
    at_kill = len(receiver.unique())
    assert 0 < at_kill < total, "the kill must fall in the middle of the deliveries"
    with Session(engine) as session:
        left = session.exec(select(OutboxDelivery).where(OutboxDelivery.status == OutboxStatus.pending)).all()
        assert left, "deliveries were still waiting when the server died"

    server = start_server(database_url, port, receiver)
    try:
        deadline = time.monotonic() + 30
        while received_webhooks(receiver) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert_delivered_once_signed_and_in_order(receiver, engine)
