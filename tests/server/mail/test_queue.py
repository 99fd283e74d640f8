"""queue_mail and cancel_mail write to the outbox in the caller's transaction."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from server.errors import Unprocessable
from server.mail import Attachment, cancel_mail, queue_mail
from server.models import OutboxDelivery, OutboxStatus
from tests.support import FixedClock


def test_a_queued_mail_commits_with_the_caller(session: Session, clock: FixedClock) -> None:
    now = clock()
    mail_id = queue_mail(
        session,
        to="taro@example.jp",
        subject="予約の確認",
        body="予約番号 K7Q3X9",
        now=now,
        attachments=[Attachment("yoyaku.ics", "text/calendar; charset=utf-8; method=PUBLISH", b"BEGIN:VCALENDAR")],
        reference="appointment:1",
    )
    session.rollback()
    assert session.get(OutboxDelivery, mail_id) is None  # rolled back with the caller

    mail_id = queue_mail(session, to="taro@example.jp", subject="件名", body="本文", now=now, reference="appointment:1")
    session.commit()
    row = session.get(OutboxDelivery, mail_id)
    assert row is not None
    assert row.status == OutboxStatus.pending
    assert row.recipient == "taro@example.jp"
    assert row.next_attempt_at == now


def test_cancel_drops_only_unsent_mails_of_the_reference(session: Session, clock: FixedClock) -> None:
    now = clock()
    later = now + timedelta(days=1)
    reminder = queue_mail(session, to="a@example.jp", subject="s", body="b", now=now, send_after=later, reference="r1")
    other = queue_mail(session, to="b@example.jp", subject="s", body="b", now=now, send_after=later, reference="r2")
    session.commit()
    assert cancel_mail(session, reference="r1") == 1
    session.commit()
    rows = {row.id: row for row in session.exec(select(OutboxDelivery)).all()}
    assert rows[reminder].status == OutboxStatus.cancelled
    assert rows[reminder].recipient is None
    assert rows[other].status == OutboxStatus.pending
    assert rows[other].next_attempt_at == later
    assert cancel_mail(session, reference="r1") == 0


@pytest.mark.parametrize("address", ["", "taro", "taro@", "a b@example.jp", "x@y", "a@b.jp, c@d.jp"])
def test_a_bad_address_is_refused(session: Session, clock: FixedClock, address: str) -> None:
    with pytest.raises(Unprocessable) as refused:
        queue_mail(session, to=address, subject="s", body="b", now=clock())
    assert refused.value.code == "invalid_email"
