"""How many wait at each service of a branch, kept by this process between issues.

A ticket's first answer says how many wait ahead of it. Counted in the database, that is a walk
over every waiting stop of the services its counters share, on every issue: the longer the
queue, the dearer each new ticket. Here the count is kept per branch, as of the branch's newest
event, and a newcomer who joins at the end of every queue it is counted in (the usual walk-in)
is placed from it and added to it when its transaction commits.

Every change to who waits writes an event of the branch in the same transaction, so if the
branch's newest event id (one index seek) is still the one the tally was read at, nothing
waiting changed since. If only issues came since (another process's, or this one's whose commit
hook has not run yet), their first stops are read from the log and counted in; after anything
else (a call, a transfer, a command run by another program) the branch's waiting stops are
counted again, once. A tally moves on to the issue's event only if nothing else committed an
event of the branch in between:
- SQLite: every writer of this process holds one lock from its first statement until its
  commit's hooks have run; another process's write moves the newest id on.
- PostgreSQL: writers run side by side, so a count is kept only if the branch's newest event is
  the same after it as before, and an issue checks, once its event is written (holding the
  branch's event lock, which every event's writer takes until it commits), that the event before
  its own is the one it was placed by. Issues of one queue are placed one after another anyway:
  the day's number row is locked from the number to the commit (service.py places after it).
"""

import threading
from bisect import bisect_right, insort
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, func
from sqlalchemy import select as sql_select
from sqlmodel import Session, col

from server.catalog.snapshot import branch_catalog
from server.db import DriverStatement, on_commit
from server.models import STOP_WAITING, Event, Stop
from server.realtime.events import PENDING_EVENTS_KEY, EventType

WAITING_TALLY_KEY = "madoguchi_waiting_tally"
# In a session's info: the stop this transaction is placing, until its event is written.
_JOINING_KEY = "madoguchi_waiting_joining"

_NEWEST_EVENT = DriverStatement(
    sql_select(func.max(col(Event.id))).where(
        col(Event.branch_id) == bindparam("branch_id"), col(Event.id) < bindparam("before")
    ),
    (),
)
_BEYOND_ANY_ID = 2**31 - 1  # the largest INTEGER: `_newest_before` it is the branch's newest event
_WAITING_BY_KIND = (
    sql_select(col(Stop.service_id), col(Stop.is_priority), func.count(), func.max(col(Stop.sort_at)))
    .where(
        STOP_WAITING,
        col(Stop.service_id).in_(bindparam("services", expanding=True)),
    )
    .group_by(col(Stop.service_id), col(Stop.is_priority))
)


# Up to this many events since the tally are read from the log, and counted in if all are
# issues (from other processes, or this one's before their commit hooks ran); more, and the
# queues are counted again.
CATCH_UP = 8
_ISSUED_SINCE = (
    sql_select(col(Event.id), col(Event.type), col(Stop.service_id), col(Stop.is_priority), col(Stop.sort_at))
    .outerjoin(Stop, (col(Stop.ticket_id) == col(Event.ticket_id)) & (col(Stop.position) == 0))
    .where(
        col(Event.branch_id) == bindparam("branch_id"),
        col(Event.id) > bindparam("after"),
        col(Event.id) <= bindparam("through"),
    )
    .order_by(col(Event.id))
    .limit(CATCH_UP + 1)
)

# Latest arrivals kept per service and kind. Requests take their time when they arrive and then
# queue for the write lock, so a newcomer may be stamped a little before others already in: it
# is placed among the latest arrivals; one from further back (a booked visit's start) is counted
# by the database.
TAIL = 64


@dataclass(frozen=True)
class _Kind:
    """Waiting stops of one service and kind (priority or not): how many, and the latest
    arrival times in order (the largest `TAIL`, or all of them when fewer)."""

    count: int = 0
    tail: tuple[datetime, ...] = ()

    def ahead_of(self, sort_at: datetime) -> int | None:
        """How many of these arrived at or before `sort_at` (ties go first, as in
        `_called_before`); None when that is further back than the tail tells."""
        if self.count > len(self.tail) and (not self.tail or sort_at < self.tail[0]):
            return None
        return self.count - (len(self.tail) - bisect_right(self.tail, sort_at))

    def joined_by(self, sort_at: datetime) -> "_Kind":
        if self.count > len(self.tail) and (not self.tail or sort_at < self.tail[0]):
            return _Kind(self.count + 1, self.tail)  # older than the tail: not among the latest
        tail = list(self.tail)
        insort(tail, sort_at)
        return _Kind(self.count + 1, tuple(tail[-TAIL:]))


@dataclass(frozen=True)
class _Service:
    priority: _Kind = _Kind()
    others: _Kind = _Kind()

    def ahead_of(self, is_priority: bool, sort_at: datetime) -> int | None:
        """How many a counter calls before a stop of this kind arriving at `sort_at`: priority
        first, then by arrival (as `_called_before` orders them); None when the tally cannot tell."""
        if is_priority:
            return self.priority.ahead_of(sort_at)
        others = self.others.ahead_of(sort_at)
        return None if others is None else self.priority.count + others


@dataclass(frozen=True)
class _Branch:
    as_of: int  # the branch's newest event id when counted
    services: dict[int, _Service]

    def joined(self, event_id: int, service_id: int, is_priority: bool, sort_at: datetime) -> "_Branch":
        """As of `event_id`, which issued a stop that joins the queues (a ticket's first)."""
        counts = self.services.get(service_id, _Service())
        if is_priority:
            counts = replace(counts, priority=counts.priority.joined_by(sort_at))
        else:
            counts = replace(counts, others=counts.others.joined_by(sort_at))
        return _Branch(event_id, {**self.services, service_id: counts})


def _writers_side_by_side(session: Session) -> bool:
    """PostgreSQL: no lock keeps other writers out from a transaction's start to its end."""
    return session.get_bind().dialect.name != "sqlite"


class WaitingTally:
    """This process's waiting counts per branch (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[str, _Branch] = {}

    @staticmethod
    def of(session: Session) -> "WaitingTally | None":
        """The app's tally, for a request's session; None for other sessions (the database counts)."""
        tally: WaitingTally | None = session.info.get(WAITING_TALLY_KEY)
        return tally

    def ahead_of_new_stop(
        self, session: Session, branch_id: str, service_ids: list[int], stop: Stop
    ) -> dict[int, int] | None:
        """Waiting stops per service called before `stop`, which this (write) transaction is about
        to issue; None when the database has to count (a stop placed before the latest arrivals,
        such as a booked visit). Once the transaction commits, `stop` is counted in for the next
        newcomer."""
        assert stop.sort_at is not None
        if session.info.get(PENDING_EVENTS_KEY):
            # Events written before in this transaction would be counted as committed.
            return None
        newest = self._newest_before(session, branch_id)
        known = self._known.get(branch_id)
        if known is None or known.as_of != newest:
            known = self._caught_up(session, branch_id, known, newest) if known is not None else None
            if known is None:
                known = _Branch(newest, self._count(session, branch_id))
                if _writers_side_by_side(session) and self._newest_before(session, branch_id) != newest:
                    return None  # the count met a commit: the database places this one
            with self._lock:
                self._known[branch_id] = known
        # Counted in once committed, also when the database has to place it.
        session.info[_JOINING_KEY] = (stop, branch_id, newest)
        ahead: dict[int, int] = {}
        for service_id in service_ids:
            counted = known.services.get(service_id, _Service()).ahead_of(stop.is_priority, stop.sort_at)
            if counted is None:
                return None
            ahead[service_id] = counted
        return ahead

    @staticmethod
    def _newest_before(session: Session, branch_id: str, event_id: int = _BEYOND_ANY_ID) -> int:
        """The id of the branch's newest event before `event_id` (0: none)."""
        values = {"branch_id": branch_id, "before": event_id}
        return int(_NEWEST_EVENT.scalar(session.connection(), values) or 0)

    def issue_recorded(self, session: Session, stop: Stop, event_id: int) -> None:
        """`stop` is written with the issue's event (and nothing after it changes who waits): once
        the transaction commits, the tally it was placed by moves on to that event with it in."""
        joining = session.info.pop(_JOINING_KEY, None)
        if joining is None or joining[0] is not stop:
            return
        _, branch_id, as_of = joining
        if _writers_side_by_side(session) and self._newest_before(session, branch_id, event_id) != as_of:
            return  # another event came between: the next issue counts again
        service_id, is_priority, sort_at = stop.service_id, stop.is_priority, stop.sort_at
        assert sort_at is not None
        on_commit(session, lambda: self._joined(branch_id, as_of, event_id, service_id, is_priority, sort_at))

    def _joined(
        self, branch_id: str, as_of: int, event_id: int, service_id: int, is_priority: bool, sort_at: datetime
    ) -> None:
        with self._lock:
            known = self._known.get(branch_id)
            if known is not None and known.as_of == as_of:  # else counted or caught up meanwhile
                self._known[branch_id] = known.joined(event_id, service_id, is_priority, sort_at)

    @staticmethod
    def _caught_up(session: Session, branch_id: str, known: _Branch, newest: int) -> _Branch | None:
        """`known` moved on to `newest` if every event since was an issue (of this process or
        another: one short read of the log and the tickets' first stops); None if the queues
        have to be counted again."""
        values = {"branch_id": branch_id, "after": known.as_of, "through": newest}
        rows = session.connection().execute(_ISSUED_SINCE, values).all()
        if len(rows) > CATCH_UP:
            return None
        for event_id, event_type, service_id, is_priority, sort_at in rows:
            if event_type != EventType.ticket_issued or event_id is None or service_id is None or sort_at is None:
                return None  # a call, a transfer …: who waits changed otherwise
            known = known.joined(event_id, service_id, bool(is_priority), sort_at)
        return known

    @staticmethod
    def _count(session: Session, branch_id: str) -> dict[int, _Service]:
        services = list(branch_catalog(session, branch_id).services)
        rows = session.connection().execute(_WAITING_BY_KIND, {"services": services})
        counted: dict[int, dict[bool, _Kind]] = {}
        for service_id, is_priority, count, last in rows.all():
            # The latest arrival alone to begin with: newcomers fill the tail in.
            counted.setdefault(service_id, {})[bool(is_priority)] = _Kind(int(count), (last,) if last else ())
        return {
            service_id: _Service(kinds.get(True, _Kind()), kinds.get(False, _Kind()))
            for service_id, kinds in counted.items()
        }
