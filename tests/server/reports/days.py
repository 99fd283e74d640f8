"""Several business days of seeded, varied visits through the real ticket, counter and survey rules.

For the monthly and yearly reports: days on both sides of a month's edges (31 March, 1 May) and a
year before (April 2025, the baseline). Visits follow one another (each is issued after the one
before has left), so every call takes the ticket this script means, and every time is a whole
minute: counts and minutes add up exactly, and percentiles can be checked by hand.

A visit is a certificate (window 7, contractor, or window 8, city staff covering a contractor
step), a staff explanation (window 6, city staff, staff_only) or a household change (window 1 →
review at 6 → data entry at desk B1). About one in eight is a no-show; about half of the finished
visits answer the survey. The last day ends with one ticket still waiting.
"""

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from server.counters import service as counters
from server.models import Staff, Ticket
from server.satisfaction.schemas import Reason
from server.satisfaction.service import record_satisfaction
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.server.reports.day import counter_id
from tests.support import BRANCH, JST, FixedClock

BASELINE_DAYS = (date(2025, 4, 1), date(2025, 4, 15), date(2025, 5, 7))
DAYS = (
    date(2026, 3, 31),
    date(2026, 4, 1),
    date(2026, 4, 2),
    date(2026, 4, 6),
    date(2026, 4, 30),
    date(2026, 5, 1),
)
# After the last day: "today" is 1 May 2026, so April 2026 is a complete month.
NOW = datetime(2026, 5, 1, 17, 30, tzinfo=JST)


def build_days(
    session: Session,
    clock: FixedClock,
    staff: dict[str, Staff],
    days: Sequence[date] = BASELINE_DAYS + DAYS,
    *,
    seed: int = 2026,
) -> dict[date, list[Ticket]]:
    rng = random.Random(seed)
    itaku, shokuin, shokuin2 = staff["itaku"], staff["shokuin"], staff["shokuin2"]
    ids = {code: counter_id(session, code) for code in ("1", "6", "7", "8", "B1")}
    holders = {"1": itaku, "6": shokuin, "7": itaku, "8": shokuin2, "B1": itaku}
    built: dict[date, list[Ticket]] = {}

    for day in days:
        moment = datetime.combine(day, time(8, 50), tzinfo=JST)

        def act(action: str, code: str, at: datetime) -> Ticket | None:
            clock.set(at)
            result: Ticket | None = getattr(counters, action)(
                session, counter_id=ids[code], staff=holders[code], now=at
            )
            return result

        def serve(code: str, ticket: Ticket, at: datetime, *, no_show: bool = False) -> datetime:
            """Call the ticket at this counter, then complete it (or mark it absent); the time after."""
            called = act("call_next", code, at)
            assert called is not None
            assert called.id == ticket.id, f"{code} called {called.number}, expected {ticket.number}"
            at += timedelta(minutes=rng.randint(1, 3))
            if no_show:
                act("mark_no_show", code, at)
                return at
            at += timedelta(minutes=rng.randint(1, 14))
            act("complete_stop", code, at)
            return at

        for code in ids:
            act("open_counter", code, moment)
        tickets: list[Ticket] = []
        visits = rng.randint(5, 9)
        moment = moment.replace(hour=9, minute=0)
        for number in range(visits):
            kind = rng.choice(["certificate", "certificate", "staff_explanation", "household_change"])
            body: dict[str, object] = (
                {"life_event": kind, "answers": {}} if kind == "household_change" else {"service": kind}
            )
            clock.set(moment)
            ticket = issue_ticket(
                session, branch_id=BRANCH, request=TicketCreate.model_validate(body), issuer=shokuin, now=moment
            )
            tickets.append(ticket)
            if day == days[-1] and number == visits - 1:
                break  # still waiting when the day's figures are read
            moment += timedelta(minutes=rng.randint(0, 35))  # the wait
            no_show = rng.random() < 0.125
            if kind == "certificate":
                moment = serve(rng.choice(["7", "8"]), ticket, moment, no_show=no_show)
            elif kind == "staff_explanation":
                moment = serve("6", ticket, moment, no_show=no_show)
            else:
                moment = serve("1", ticket, moment, no_show=no_show)
                if not no_show:
                    moment = serve("6", ticket, moment + timedelta(minutes=rng.randint(0, 10)))
                    moment = serve("B1", ticket, moment + timedelta(minutes=rng.randint(0, 10)))
            session.refresh(ticket)
            if not no_show and rng.random() < 0.5:
                reason = rng.choice([None, *Reason])
                record_satisfaction(
                    session, status_token=ticket.status_token, score=rng.randint(1, 5), reason=reason, now=moment
                )
            moment += timedelta(minutes=rng.randint(1, 20))  # until the next citizen arrives
        moment += timedelta(minutes=5)
        for code in ids:
            act("close_counter", code, moment)
        for ticket in tickets:
            session.refresh(ticket)
        built[day] = tickets
    clock.set(NOW)
    return built
