"""How many wait at each service of a branch, kept by this process between issues.

A ticket's first answer says how many wait ahead of it. Counted in the database, that is a walk
over every waiting stop of the services its counters share, on every issue: the longer the
queue, the dearer each new ticket. Here the count is kept per branch, as of the branch's newest
event, and a newcomer who joins at the end of every queue it is counted in (the usual walk-in)
is placed from it and added to it when its transaction commits.

Every change to who waits writes an event of the branch in the same transaction, so if no
event of the branch came after the one the tally was read at, nothing waiting changed since. If
only issues came since (another process's, or this one's whose commit hook has not run yet),
their first stops are read from the log and counted in; after anything else (a call, a transfer,
a command run by another program) the branch's waiting stops are counted again, once.

An issue is placed holding what every event writer of its branch takes before it writes: SQLite's
write lock (one writer at a time, from the first statement to the commit's hooks), PostgreSQL's
branch event lock (taken with the number, held until the commit: numbering.py). So no other
change to who waits commits between its read of the log and its own event, and the tally moves
on to that event with the newcomer in.
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
    sql_select(func.max(col(Event.id))).where(col(Event.branch_id) == bindparam("branch_id")), ()
)
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
        known = self._known.get(branch_id)
        current = self._brought_up_to_date(session, branch_id, known) if known is not None else None
        if current is None:
            current = _Branch(self._newest(session, branch_id), self._count(session, branch_id))
        if current is not known:
            with self._lock:
                self._known[branch_id] = current
        # Counted in once committed, also when the database has to place it.
        session.info[_JOINING_KEY] = (stop, branch_id, current.as_of)
        ahead: dict[int, int] = {}
        for service_id in service_ids:
            counted = current.services.get(service_id, _Service()).ahead_of(stop.is_priority, stop.sort_at)
            if counted is None:
                return None
            ahead[service_id] = counted
        return ahead

    @staticmethod
    def _newest(session: Session, branch_id: str) -> int:
        """The id of the branch's newest event (0: none)."""
        return int(_NEWEST_EVENT.scalar(session.connection(), {"branch_id": branch_id}) or 0)

    def issue_recorded(self, session: Session, stop: Stop, event_id: int) -> None:
        """`stop` is written with the issue's event (and nothing after it changes who waits): once
        the transaction commits, the tally it was placed by moves on to that event with it in."""
        joining = session.info.pop(_JOINING_KEY, None)
        if joining is None or joining[0] is not stop:
            return
        _, branch_id, as_of = joining
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

    @classmethod
    def _brought_up_to_date(cls, session: Session, branch_id: str, known: _Branch) -> _Branch | None:
        """`known` as of the branch's newest event: itself when nothing came since, moved on by
        the issues since (of this process or another: one short read of the log and the tickets'
        first stops), or None when the queues have to be counted again."""
        if session.get_bind().dialect.name == "sqlite" and cls._newest(session, branch_id) == known.as_of:
            return known  # one seek through SQLite's driver: the usual answer, cheaper than the read below
        rows = session.connection().execute(_ISSUED_SINCE, {"branch_id": branch_id, "after": known.as_of}).all()
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
