"""“Your turn is near” by e-mail: asked for on the status page, sent once when the number is near
and once when it is called (the number and the window, nothing else), the address erased when the
visit ends; and through a real SMTP server."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.catalog.translations import CITIZEN_LANGUAGES
from server.config import Settings
from server.db import write_session
from server.main import create_app
from server.models import DeviceKind, OutboxDelivery, Role, TicketNotice
from server.notices.service import send_due_notices
from server.notices.texts import TEXTS
from tests.realtime.live_server import free_port
from tests.server.mail.smtpd import Inbox, start_smtpd
from tests.support import BRANCH, FixedClock, make_device, make_staff, staff_token

API = "/api/v1"


def _issue(client: TestClient, kiosk: dict[str, str], count: int, language: str = "ja") -> list[dict[str, Any]]:
    tickets = []
    for _ in range(count):
        response = client.post(
            f"{API}/branches/{BRANCH}/tickets", json={"service": "certificate", "language": language}, headers=kiosk
        )
        assert response.status_code == 201, response.text
        tickets.append(response.json())
    return tickets


def _window(client: TestClient, code: str = "7") -> int:
    counters = client.get(f"{API}/branches/{BRANCH}/counters").json()
    return int(next(counter["id"] for counter in counters if counter["name"] == code))


def _notice_mails(session: Session) -> list[OutboxDelivery]:
    session.rollback()  # a fresh snapshot
    statement = select(OutboxDelivery).where(col(OutboxDelivery.reference).like("ticket-notice:%"))
    return list(session.exec(statement.order_by(col(OutboxDelivery.id))).all())


def test_asking_changing_and_stopping_the_notice(client: TestClient, kiosk: dict[str, str], session: Session) -> None:
    token = _issue(client, kiosk, 1)[0]["status_token"]
    url = f"{API}/tickets/{token}/email-notice"

    asked = client.post(url, json={"email": "taro.yamada@example.jp"})
    assert asked.status_code == 201, asked.text
    assert asked.json() == {"email": "t***@example.jp", "notify_ahead": 3}

    refused = client.post(url, json={"email": "taro.yamada"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_email"
    assert "name@example.jp" in refused.json()["detail"]
    unknown = client.post(f"{API}/tickets/not-a-token/email-notice", json={"email": "a@example.jp"})
    assert unknown.status_code == 404
    assert [row.email for row in session.exec(select(TicketNotice)).all()] == ["taro.yamada@example.jp"]

    for address in ("b@example.jp", "c@example.jp"):
        assert client.post(url, json={"email": address}).status_code == 201
    too_many = client.post(url, json={"email": "d@example.jp"})
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "notice_changes_exceeded"

    assert client.delete(url).status_code == 204
    session.rollback()  # a fresh snapshot
    assert session.exec(select(TicketNotice)).all() == []


def test_one_notice_when_near_and_one_when_called_then_the_address_is_gone(
    client: TestClient,
    kiosk: dict[str, str],
    auth: dict[str, dict[str, str]],
    session: Session,
    engine: Engine,
    clock: FixedClock,
) -> None:
    tickets = _issue(client, kiosk, 6, language="en")
    sixth = tickets[5]
    asked = client.post(f"{API}/tickets/{sixth['status_token']}/email-notice", json={"email": "h@example.jp"})
    assert asked.status_code == 201
    window = _window(client)
    staff = auth["shokuin"]
    assert client.post(f"{API}/counters/{window}/open", headers=staff).status_code == 200

    sent_after_each_call: list[list[str]] = []
    for _ in range(6):
        called = client.post(f"{API}/counters/{window}/call-next", headers=staff)
        assert called.status_code == 200, called.text
        for _ in range(2):  # checking again (or from another process) sends nothing twice
            with write_session(engine) as check:
                send_due_notices(check, branch_ids=[BRANCH], notify_ahead=3, now=clock())
        sent_after_each_call.append([str(mail.reference).split(":")[2] for mail in _notice_mails(session)])
        if called.json()["ticket"]["number"] != sixth["number"]:
            assert client.post(f"{API}/counters/{window}/complete", headers=staff).status_code == 200

    # Five ahead at first; three ahead once the second is called: near. Called on the sixth call.
    assert sent_after_each_call == [[], ["near"], ["near"], ["near"], ["near"], ["near", "called"]]
    near, called = _notice_mails(session)
    assert near.recipient == called.recipient == "h@example.jp"
    assert near.payload["subject"] == f"【まもなく】番号 {sixth['number']}"
    assert "前にお待ちの方: 3人" in near.payload["body"]
    assert "7・8・22番窓口の近くでお待ちください" in near.payload["body"]
    assert "people ahead of you: 3" in near.payload["body"]  # then the ticket's language
    assert "Please come to window 7." in called.payload["body"]
    for mail in (near, called):
        assert "証明書" not in mail.payload["body"]  # the number and the window, never the procedure
        assert "Certificate" not in mail.payload["body"]

    assert client.post(f"{API}/counters/{window}/complete", headers=staff).status_code == 200
    with write_session(engine) as check:
        send_due_notices(check, branch_ids=[BRANCH], notify_ahead=3, now=clock())
    session.rollback()  # a fresh snapshot
    assert session.exec(select(TicketNotice)).all() == []  # the visit ended: the address is erased


def test_every_kiosk_language_has_the_notice_words() -> None:
    assert set(CITIZEN_LANGUAGES) <= set(TEXTS)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    mail = Inbox()
    port = free_port()
    controller = start_smtpd(mail, port)
    yield mail, port
    controller.stop()


def _wait_for_mails(mail: Inbox, count: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(mail.messages) < count:
        time.sleep(0.05)


def test_the_notice_arrives_at_a_real_smtp_server(
    database_url: str, engine: Engine, tmp_path: Any, clock: FixedClock, inbox: tuple[Inbox, int]
) -> None:
    mail, port = inbox
    smtp_url = f"smtp://127.0.0.1:{port}"
    settings = Settings(database_url=database_url, audio_cache_dir=tmp_path / "audio", smtp_url=smtp_url)
    kiosk_token, _ = make_device(engine, DeviceKind.kiosk, clock())
    member = make_staff(engine, "shokuin", Role.municipal, clock())
    staff = {"Authorization": f"Bearer {staff_token(engine, member, clock())}"}
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        ticket = _issue(client, {"Authorization": f"Bearer {kiosk_token}"}, 1)[0]
        token = ticket["status_token"]
        assert (
            client.post(f"{API}/tickets/{token}/email-notice", json={"email": "hanako@example.jp"}).status_code == 201
        )
        window = _window(client)
        assert client.post(f"{API}/counters/{window}/open", headers=staff).status_code == 200
        _wait_for_mails(mail, 1)  # a call within the same moment would make "near" moot: only "called" goes
        assert client.post(f"{API}/counters/{window}/call-next", headers=staff).status_code == 200
        _wait_for_mails(mail, 2)
    # Nobody ahead once the window opened (near), then called.
    assert [envelope.rcpt_tos for envelope, _ in mail.messages] == [["hanako@example.jp"]] * 2
    near, called = (message for _, message in mail.messages)
    assert near["Subject"] == f"【まもなく】番号 {ticket['number']}"
    assert called["Subject"] == f"【お呼び出し】番号 {ticket['number']}"
    assert "7番窓口へお越しください" in called.get_body(("plain",)).get_content()
