"""Survey rules without HTTP: a race between two answers for one ticket stores exactly one."""

from datetime import datetime

import pytest
from sqlmodel import Session, select

from server.catalog.translations import CITIZEN_LANGUAGES, bare_kanji
from server.counters import service as counters
from server.errors import Conflict
from server.models import Counter, SatisfactionResponse, Staff
from server.satisfaction import service
from server.satisfaction.schemas import Reason
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.support import BRANCH, FixedClock


def finished_token(session: Session, staff: Staff, now: datetime) -> str:
    ticket = issue_ticket(session, branch_id=BRANCH, request=TicketCreate(service="certificate"), issuer=staff, now=now)
    counter = session.exec(select(Counter).where(Counter.code == "7")).one()
    assert counter.id is not None
    counters.open_counter(session, counter_id=counter.id, staff=staff, now=now)
    counters.call_next(session, counter_id=counter.id, staff=staff, now=now)
    counters.complete_stop(session, counter_id=counter.id, staff=staff, now=now)
    return ticket.status_token


def test_an_answer_that_raced_past_the_check_is_refused_by_the_database(
    session: Session, clock: FixedClock, staff_users: dict[str, Staff], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = finished_token(session, staff_users["shokuin"], clock())
    service.record_satisfaction(session, status_token=token, score=5, reason=None, now=clock())
    # The second request looked before the first committed: it saw no answer yet.
    monkeypatch.setattr(service, "_answered", lambda *_: False)
    with pytest.raises(Conflict) as caught:
        service.record_satisfaction(session, status_token=token, score=1, reason=Reason.other, now=clock())
    assert caught.value.code == "already_answered"
    assert [row.score for row in session.exec(select(SatisfactionResponse))] == [5]


def test_every_reason_is_offered_in_every_kiosk_language() -> None:
    for option in service.reason_options():
        assert set(option.labels) == set(CITIZEN_LANGUAGES)
        assert (option.labels["ja"], option.labels["en"]) == (option.label, option.label_en)
        assert all(option.labels.values())
        assert bare_kanji(option.labels["ja_easy"]) == [], option.labels["ja_easy"]
