"""One hand-computed business day (1 April 2026, JST), built through the real ticket and counter rules.

Timeline (local time); w = issue → first call, s = call → completion, stay = issue → last completion:

  09:30 itaku (contractor) opens window 7
  09:40 T1 certificate issued          09:50 called at 7, 09:51 started, 09:56 done   w 10  s 6  stay 16
  09:45 T2 certificate issued          10:05 called at 7, 10:09 done                  w 20  s 4  stay 24
  10:00 shokuin (municipal) opens window 6 (never closed: open until "now", 12:30)
  10:10 T3 certificate issued          10:12 called at 7, 10:15 no-show               w 2
  10:20 T4 staff_explanation issued    10:30 called at 6, 10:31 started, 10:45 done   w 10  s 15 (staff_only)  stay 25
  10:30 itaku closes 7; 10:45 opens window 1
  10:50 T5 life event household_change (no answers: household_change → civil_review → civil_entry)
        11:00 called at 1, 11:08 done (s 8, contractor) → 11:10 called at 6, 11:13 done (s 3, municipal,
        staff_only) → 11:15 itaku closes 1, opens desk B1, calls, 11:20 done (s 5, contractor)       w 10  stay 30
  11:30 B1 closed
  11:30 T6 certificate issued          shokuin2 opens window 8 at 11:35; 11:41 called, 11:43 done (s 2,
        municipal covering a contractor-eligible step); 11:50 window 8 closed                   w 11  stay 13
  11:50 T7 certificate issued, never called
  12:30 now
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from server.counters import service as counters
from server.models import Counter, Staff, Ticket
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.support import BRANCH, JST, FixedClock

DAY = "2026-04-01"


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 4, 1, hour, minute, tzinfo=JST)


@dataclass
class BuiltDay:
    tickets: dict[str, Ticket]
    counters: dict[str, int]


def counter_id(session: Session, code: str) -> int:
    counter = session.exec(select(Counter).where(Counter.branch_id == BRANCH, Counter.code == code)).one()
    assert counter.id is not None
    return counter.id


def build_day(session: Session, clock: FixedClock, staff: dict[str, Staff]) -> BuiltDay:
    itaku, shokuin, shokuin2 = staff["itaku"], staff["shokuin"], staff["shokuin2"]
    ids = {code: counter_id(session, code) for code in ("1", "6", "7", "8", "B1")}
    tickets: dict[str, Ticket] = {}

    def move(hour: int, minute: int) -> datetime:
        clock.set(at(hour, minute))
        return clock()

    def issue(name: str, hour: int, minute: int, **body: object) -> None:
        tickets[name] = issue_ticket(
            session, branch_id=BRANCH, request=TicketCreate.model_validate(body), issuer=shokuin, now=move(hour, minute)
        )

    def act(action: str, code: str, who: Staff, hour: int, minute: int) -> Ticket | None:
        function = getattr(counters, action)
        result: Ticket | None = function(session, counter_id=ids[code], staff=who, now=move(hour, minute))
        return result

    def call(code: str, who: Staff, hour: int, minute: int, expected: str) -> None:
        called = act("call_next", code, who, hour, minute)
        assert called is not None
        assert called.id == tickets[expected].id, f"{code} called {called.number}, expected {expected}"

    act("open_counter", "7", itaku, 9, 30)
    issue("T1", 9, 40, service="certificate")
    issue("T2", 9, 45, service="certificate")
    call("7", itaku, 9, 50, "T1")
    act("start", "7", itaku, 9, 51)
    act("complete_stop", "7", itaku, 9, 56)
    act("open_counter", "6", shokuin, 10, 0)
    call("7", itaku, 10, 5, "T2")
    act("complete_stop", "7", itaku, 10, 9)
    issue("T3", 10, 10, service="certificate")
    call("7", itaku, 10, 12, "T3")
    act("mark_no_show", "7", itaku, 10, 15)
    issue("T4", 10, 20, service="staff_explanation")
    act("close_counter", "7", itaku, 10, 30)
    call("6", shokuin, 10, 30, "T4")
    act("start", "6", shokuin, 10, 31)
    act("complete_stop", "6", shokuin, 10, 45)
    act("open_counter", "1", itaku, 10, 45)
    issue("T5", 10, 50, life_event="household_change", answers={})
    call("1", itaku, 11, 0, "T5")
    act("complete_stop", "1", itaku, 11, 8)
    call("6", shokuin, 11, 10, "T5")
    act("complete_stop", "6", shokuin, 11, 13)
    act("close_counter", "1", itaku, 11, 15)
    act("open_counter", "B1", itaku, 11, 15)
    call("B1", itaku, 11, 15, "T5")
    act("complete_stop", "B1", itaku, 11, 20)
    act("close_counter", "B1", itaku, 11, 30)
    issue("T6", 11, 30, service="certificate")
    act("open_counter", "8", shokuin2, 11, 35)
    call("8", shokuin2, 11, 41, "T6")
    act("complete_stop", "8", shokuin2, 11, 43)
    act("close_counter", "8", shokuin2, 11, 50)
    issue("T7", 11, 50, service="certificate")
    move(12, 30)
    for ticket in tickets.values():
        session.refresh(ticket)
    return BuiltDay(tickets=tickets, counters=ids)
