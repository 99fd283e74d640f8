"""A booking's mails through a real SMTP server on loopback (aiosmtpd): the confirmation carries
the code, the manage link and an .ics a calendar program reads; the reminder waits for the day
before and goes away with a cancellation; a mail server that is down never blocks a booking, and
the mail goes out once it is back. The address is erased when its time comes."""

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import icalendar
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.appointments.retention import erase_booking_addresses
from server.appointments.throttle import BookingThrottle
from server.config import Settings
from server.mail.smtp import smtp_sender
from server.main import create_app
from server.models import Appointment, OutboxDelivery, OutboxStatus
from server.outbox.dispatcher import OutboxDispatcher, Retry
from server.outbox.store import KIND_MAIL
from tests.server.appointments.conftest import BOOK, TOMORROW_9, book
from tests.server.mail.smtpd import Inbox, start_smtpd
from tests.server.test_crash_recovery import free_port
from tests.support import JST, FixedClock

ADDRESS = "yamada.hanako@example.jp"


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def mails(engine: Engine) -> list[OutboxDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxDelivery).order_by(OutboxDelivery.id)).all())  # type: ignore[arg-type]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_confirmation_with_its_calendar_file_then_cancellation_through_a_real_smtp_server(
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
        public_base_url="https://madoguchi.city.example.jp",
    )
    app = create_app(settings, engine=engine, clock=clock)
    try:
        with TestClient(app) as client:
            app.state.booking_throttle = BookingThrottle(limit=100)
            booking = book(client, email=ADDRESS, language="en")
            wait_for(lambda: len(inbox.messages) == 1)
            ((envelope, confirmation),) = inbox.messages
            assert envelope.rcpt_tos == [ADDRESS]
            assert confirmation["Subject"] == "【サンプル市役所 本庁舎】ご予約を承りました"
            body = text_of(confirmation)
            assert body.index("ご予約を承りました") < body.index("Your booking is confirmed")  # Japanese first
            assert booking["code"] in body
            assert f"https://madoguchi.city.example.jp/a/{booking['manage_token']}" in body
            assert "2026年4月2日(木)09:00〜09:15" in body
            (attachment,) = confirmation.iter_attachments()
            assert attachment.get_content_type() == "text/calendar"
            data = attachment.get_payload(decode=True)
            assert isinstance(data, bytes)
            calendar = icalendar.Calendar.from_ical(data)
            (event,) = calendar.walk("VEVENT")
            assert event.decoded("DTSTART") == datetime(2026, 4, 2, 9, 0, tzinfo=JST)
            assert event.decoded("DTEND") == datetime(2026, 4, 2, 9, 15, tzinfo=JST)
            assert str(event["LOCATION"]) == "サンプル市役所 本庁舎"
            assert booking["code"] in str(event["SUMMARY"])
            assert "yamada" not in data.decode()
            served = client.get(f"/api/v1/appointments/{booking['manage_token']}/calendar.ics")
            assert served.headers["content-type"].startswith("text/calendar")
            (same,) = icalendar.Calendar.from_ical(served.content).walk("VEVENT")
            assert (same["UID"], same.decoded("DTSTART")) == (event["UID"], event.decoded("DTSTART"))

            # The reminder waits for the day before at 17:00 (send_after): not sent yet.
            reminder = [row for row in mails(engine) if row.reference and row.reference.endswith(":reminder")]
            assert [row.status for row in reminder] == [OutboxStatus.pending]
            assert reminder[0].next_attempt_at == datetime(2026, 4, 1, 17, 0, tzinfo=JST)

            cancelled = client.delete(f"/api/v1/appointments/{booking['manage_token']}")
            assert cancelled.status_code == 200
            wait_for(lambda: len(inbox.messages) == 2)
            notice = inbox.messages[1][1]
            assert notice["Subject"] == "【サンプル市役所 本庁舎】ご予約を取り消しました"
            assert "This booking has been cancelled." in text_of(notice)

            def statuses() -> dict[str, OutboxStatus]:
                return {row.reference.rsplit(":", 1)[1]: row.status for row in mails(engine) if row.reference}

            # The row is marked delivered a moment after the SMTP server has the mail.
            expected = {
                "confirmation": OutboxStatus.delivered,
                "reminder": OutboxStatus.cancelled,
                "cancellation": OutboxStatus.delivered,
            }
            wait_for(lambda: statuses() == expected)
    finally:
        smtpd.stop()
    with Session(engine) as session:
        stored = session.exec(select(Appointment)).one()
    assert stored.email is None  # cancelled: the address is gone at once


def test_with_the_mail_server_down_booking_succeeds_and_the_mail_goes_out_when_it_is_back(
    client: TestClient, app: object, engine: Engine, clock: FixedClock
) -> None:
    app.state.booking_throttle = BookingThrottle(limit=100)  # type: ignore[attr-defined]
    port = free_port()  # nobody listens here yet
    sender = smtp_sender(f"smtp://127.0.0.1:{port}", mail_from="madoguchi@city.example.jp", timeout=5, clock=clock)
    outbox = OutboxDispatcher(engine, clock, senders={KIND_MAIL: sender}, retry=Retry(base_seconds=1, max_seconds=4))
    booking = book(client, email=ADDRESS)
    assert booking["status"] == "booked"
    asyncio.run(outbox.run_once())
    (confirmation,) = [row for row in mails(engine) if row.reference and row.reference.endswith(":confirmation")]
    assert (confirmation.status, confirmation.attempts) == (OutboxStatus.pending, 1)

    inbox = Inbox()
    smtpd = start_smtpd(inbox, port)
    try:
        clock.advance(seconds=2)
        asyncio.run(outbox.run_once())
    finally:
        smtpd.stop()
    ((envelope, message),) = inbox.messages
    assert envelope.rcpt_tos == [ADDRESS]
    assert booking["code"] in text_of(message)

    # The address stays with the booking until the configured days after the visit (demo: 7).
    with Session(engine) as session:
        stored = session.exec(select(Appointment)).one()
    assert stored.email == ADDRESS
    assert stored.email_erase_after == datetime(2026, 4, 9, 9, 15, tzinfo=JST)
    assert erase_booking_addresses(engine, now=clock()) == 0
    assert erase_booking_addresses(engine, now=clock() + timedelta(days=9)) == 1
    with Session(engine) as session:
        assert session.exec(select(Appointment)).one().email is None
    day = client.get(f"{BOOK}/slots", params={"service": "mynumber_pickup", "date": TOMORROW_9[:10]})
    assert day.json()[0]["available"] == 1
