"""Mail through a real SMTP server on loopback (aiosmtpd): after the commit, with its attachment,
in UTF-8 Japanese; a server that is down costs the caller nothing and gets the mail when back;
the address is gone from the database once sent, and never in a log line."""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.config import Settings
from server.mail import Attachment, queue_mail
from server.mail.retention import erase_stale_addresses
from server.mail.smtp import parse_smtp_url, smtp_sender
from server.main import create_app
from server.models import OutboxDelivery, OutboxStatus
from server.outbox.dispatcher import OutboxDispatcher, Retry
from server.outbox.store import KIND_MAIL
from tests.server.mail.smtpd import Inbox, self_signed, server_context, start_smtpd
from tests.server.test_crash_recovery import free_port
from tests.support import FixedClock

ADDRESS = "yamada.taro@example.jp"
SUBJECT = "【予約確認】マイナンバーカード交付 12月8日(火)10:00"
BODY = "ご予約ありがとうございます。\n予約番号: K7Q3X9\n当日は本庁舎1階へお越しください。\n"
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nSUMMARY:マイナンバーカード交付\r\nEND:VCALENDAR\r\n".encode()
ICS_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def queue_one(engine: Engine, clock: FixedClock) -> int:
    with Session(engine) as session:
        mail_id = queue_mail(
            session,
            to=ADDRESS,
            subject=SUBJECT,
            body=BODY,
            now=clock(),
            attachments=[Attachment("yoyaku.ics", ICS_TYPE, ICS)],
            reference="appointment:1",
        )
        session.commit()
    return mail_id


def row(engine: Engine, mail_id: int) -> OutboxDelivery:
    with Session(engine) as session:
        found = session.get(OutboxDelivery, mail_id)
        assert found is not None
        return found


def check_the_mail(inbox: Inbox, delivery_id: str) -> None:
    ((envelope, message),) = inbox.messages
    assert envelope.rcpt_tos == [ADDRESS]
    assert envelope.mail_from == "madoguchi@city.example.jp"
    assert message["Subject"] == SUBJECT
    assert delivery_id in message["Message-ID"]
    text = message.get_body(("plain",))
    assert text is not None
    assert text.get_content().replace("\r\n", "\n") == BODY
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "yoyaku.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_payload(decode=True) == ICS


def dispatcher(engine: Engine, clock: FixedClock, url: str) -> OutboxDispatcher:
    sender = smtp_sender(url, mail_from="madoguchi@city.example.jp", timeout=5, clock=clock)
    return OutboxDispatcher(engine, clock, senders={KIND_MAIL: sender}, retry=Retry(base_seconds=1, max_seconds=4))


def test_a_queued_mail_goes_out_after_the_commit_and_its_address_is_erased(
    engine: Engine, database_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    inbox, port = Inbox(), free_port()
    smtpd = start_smtpd(inbox, port)
    settings = Settings(
        database_url=database_url,
        audio_cache_dir=tmp_path / "audio",
        announcement_prefetch=False,
        smtp_url=f"smtp://127.0.0.1:{port}",
        mail_from="madoguchi@city.example.jp",
        outbox_poll_seconds=0.05,
    )
    try:
        with TestClient(create_app(settings, engine=engine, clock=clock)):
            mail_id = queue_one(engine, clock)
            wait_for(lambda: row(engine, mail_id).status == OutboxStatus.delivered)
    finally:
        smtpd.stop()
    sent = row(engine, mail_id)
    check_the_mail(inbox, sent.delivery_id)
    assert sent.recipient is None
    assert sent.payload == {}  # the body (a manage link) goes too


def test_with_the_mail_server_down_the_caller_commits_and_the_mail_goes_out_when_it_is_back(
    engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    outbox = dispatcher(engine, clock, f"smtp://127.0.0.1:{port}")
    caplog.set_level(logging.DEBUG, logger="madoguchi")
    mail_id = queue_one(engine, clock)  # committed: nothing waited for a mail server
    asyncio.run(outbox.run_once())
    failed = row(engine, mail_id)
    assert failed.status == OutboxStatus.pending
    assert failed.attempts == 1
    assert failed.last_error
    assert failed.next_attempt_at > clock()
    inbox = Inbox()
    smtpd = start_smtpd(inbox, port)
    try:
        asyncio.run(outbox.run_once())
        assert inbox.messages == []  # not due yet: the backoff holds
        clock.advance(seconds=2)
        asyncio.run(outbox.run_once())
    finally:
        smtpd.stop()
    sent = row(engine, mail_id)
    assert sent.status == OutboxStatus.delivered
    assert sent.recipient is None
    check_the_mail(inbox, sent.delivery_id)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("madoguchi"))
    assert "attempt 1 failed" in ours
    assert "yamada" not in ours


def test_a_refused_recipient_is_a_dead_letter_at_once_without_its_address_in_the_error(
    engine: Engine, clock: FixedClock
) -> None:
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
            return f"550 5.1.1 <{address}>: Recipient address rejected"

    inbox, port = Refusing(), free_port()
    smtpd = start_smtpd(inbox, port)
    try:
        mail_id = queue_one(engine, clock)
        asyncio.run(dispatcher(engine, clock, f"smtp://127.0.0.1:{port}").run_once())
    finally:
        smtpd.stop()
    dead = row(engine, mail_id)
    assert dead.status == OutboxStatus.dead
    assert dead.attempts == 1
    assert "550" in (dead.last_error or "")
    assert "yamada" not in (dead.last_error or "")


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # smtps is TLS; aiosmtpd cannot tell
def test_tls_and_sign_in_when_the_url_asks(engine: Engine, clock: FixedClock, tmp_path: Path, mode: str) -> None:
    cert, key = self_signed(tmp_path)

    def authenticate(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"madoguchi", b"p@ss word")
        return AuthResult(success=ok)

    inbox, port = Inbox(), free_port()
    if mode == "smtps":
        # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS from the first byte.
        smtpd = start_smtpd(
            inbox,
            port,
            ssl_context=server_context(cert, key),
            authenticator=authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
        url = f"smtps://madoguchi:p%40ss%20word@127.0.0.1:{port}?cafile={cert}"
    else:
        smtpd = start_smtpd(
            inbox,
            port,
            tls_context=server_context(cert, key),
            require_starttls=True,
            authenticator=authenticate,
            auth_required=True,
        )
        url = f"smtp://madoguchi:p%40ss%20word@127.0.0.1:{port}?starttls=true&cafile={cert}"
    try:
        mail_id = queue_one(engine, clock)
        asyncio.run(dispatcher(engine, clock, url).run_once())
    finally:
        smtpd.stop()
    sent = row(engine, mail_id)
    assert sent.status == OutboxStatus.delivered, sent.last_error
    check_the_mail(inbox, sent.delivery_id)


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://mail.city.local:25")
    assert (plain.host, plain.port, plain.tls, plain.starttls, plain.username) == (
        "mail.city.local",
        25,
        False,
        False,
        None,
    )
    assert parse_smtp_url("smtps://mail.city.local").port == 465
    upgraded = parse_smtp_url("smtp+starttls://u:p@mail.city.local")
    assert (upgraded.port, upgraded.starttls, upgraded.username, upgraded.password) == (587, True, "u", "p")
    with pytest.raises(ValueError, match="smtp://host:port"):
        parse_smtp_url("http://mail.city.local")


def test_addresses_of_mails_never_sent_are_erased_after_the_configured_days(engine: Engine, clock: FixedClock) -> None:
    old = queue_one(engine, clock)
    clock.advance(days=8)
    recent = queue_one(engine, clock)
    assert erase_stale_addresses(engine, days=7, now=clock()) == 1
    assert row(engine, old).recipient is None
    assert row(engine, old).status == OutboxStatus.cancelled
    assert row(engine, recent).recipient == ADDRESS
    assert erase_stale_addresses(engine, days=0, now=clock() + timedelta(days=30)) is None
    with Session(engine) as session:
        assert session.exec(select(OutboxDelivery).where(OutboxDelivery.recipient == ADDRESS)).all()
