"""A ticket's route: which stops apply, in which order, and which one comes next.

Positions always tell the order the citizen lives: finished stops first, then the stop in hand
or waiting, then the pending ones. Choosing from a group of stops that may be taken in any order
moves the chosen stop to the front of the pending part, so `Ticket.current_stop` stays an index,
and the stops its window also takes right after it (`lead_with`).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import takewhile
from typing import TypeVar

from sqlmodel import Session

from server.models import Counter, Service, Stop, StopStatus, Ticket, TicketStatus

T = TypeVar("T")


def answers_that_count(answers: Mapping[str, bool], shown_when: Mapping[str, Sequence[str]]) -> dict[str, bool]:
    """The answers to questions the citizen was actually asked, in the order asked: a question
    shown only after earlier yes answers (show_when) counts as no without them, whatever a
    client sent. Questions not in `shown_when` are left for the caller to refuse."""
    counted: dict[str, bool] = {key: value for key, value in answers.items() if key not in shown_when}
    for key, conditions in shown_when.items():
        if key in answers and all(counted.get(condition) is True for condition in conditions):
            counted[key] = answers[key]
    return counted


def step_applies(
    answers: dict[str, bool], *, when: Sequence[str], when_any: Sequence[str], unless: Sequence[str] = ()
) -> bool:
    """All of `when`, at least one of `when_any` (if given) and none of `unless` answered yes
    (unanswered = no)."""
    every = all(answers.get(question, False) for question in when)
    some = not when_any or any(answers.get(question, False) for question in when_any)
    return every and some and not any(answers.get(question, False) for question in unless)


@dataclass(frozen=True)
class PlannedStop:
    service: Service
    group: str | None

    @property
    def service_id(self) -> int:
        assert self.service.id is not None  # catalog services are stored rows
        return self.service.id


def order_by_window(route: list[PlannedStop], window_of: Callable[[Service], str | None]) -> list[PlannedStop]:
    """Stops at the same window group become one visit: within each run of citizen-facing stops,
    they move next to the first stop of their window group.

    Back-office work stays where the rules put it, and nothing crosses it: what comes after it
    needs its result (a record entered, a document made).
    """
    ordered: list[PlannedStop] = []
    run: dict[str | None, list[PlannedStop]] = {}

    def flush() -> None:
        for stops in run.values():
            ordered.extend(stops)
        run.clear()

    for planned in route:
        if not planned.service.citizen_present:
            flush()
            ordered.append(planned)
            continue
        window = window_of(planned.service)
        # A stop no public window serves keeps its own place (None never groups).
        run.setdefault(window if window is not None else f"#{len(ordered)}.{len(run)}", []).append(planned)
    flush()
    return ordered


def leading_choices(items: Sequence[T], group_of: Callable[[T], str | None]) -> list[T]:
    """What may come next of these (in route order): the first, or the run of its any-order group."""
    if not items:
        return []
    group = group_of(items[0])
    return list(items[:1]) if group is None else list(takewhile(lambda item: group_of(item) == group, items))


def pending_choices(stops: Sequence[tuple[Stop, Service]]) -> list[tuple[Stop, Service]]:
    """The stops that may come next: the first pending one, or the run of its any-order group."""
    pending = [(stop, service) for stop, service in stops if stop.status == StopStatus.pending]
    return leading_choices(pending, lambda choice: choice[0].group)


def lead_with(choices: Sequence[T], chosen: T, windows_of: Callable[[T], frozenset[str]]) -> list[T]:
    """Of stops that may come in any order (route order), `chosen` first, then those every window
    that takes it also takes, then the rest: the window that calls `chosen` goes on with those
    without a second call, so the route reads them as that one visit, not split by another
    window's stop (the visit rule of visits.py)."""
    windows = windows_of(chosen)
    others = [choice for choice in choices if choice is not chosen]
    goes_along = [bool(windows) and windows <= windows_of(choice) for choice in others]
    along = [choice for choice, goes in zip(others, goes_along, strict=True) if goes]
    rest = [choice for choice, goes in zip(others, goes_along, strict=True) if not goes]
    return [chosen, *along, *rest]


def move_to_front(
    session: Session,
    choices: Sequence[tuple[Stop, Service]],
    chosen: tuple[Stop, Service],
    windows_of: Callable[[Service], frozenset[str]],
) -> None:
    """Give `chosen` (one of `choices`: pending, in position order) the first position among
    them, with the stops its window also takes right after it (`lead_with`)."""
    order = lead_with(choices, chosen, lambda choice: windows_of(choice[1]))
    if any(ordered is not choice for ordered, choice in zip(order, choices, strict=True)):
        renumber(session, [stop for stop, _ in order], start=choices[0][0].position)


def renumber(session: Session, stops: Sequence[Stop], *, start: int) -> None:
    """Give these stops positions start, start+1 … in this order; (ticket, position) stays unique
    at every statement, so first park them on negative positions."""
    for offset, stop in enumerate(stops):
        stop.position = -1 - offset
        session.add(stop)
    session.flush()
    for offset, stop in enumerate(stops):
        stop.position = start + offset
        session.add(stop)
    session.flush()


def make_waiting(ticket: Ticket, stop: Stop, service: Service, *, now: datetime) -> None:
    """This stop is the ticket's next: it joins its service's queue."""
    stop.status, stop.waiting_since, stop.counter_id = StopStatus.waiting, now, None
    stop.called_at = stop.started_at = None
    # Re-entry keeps the original arrival time unless the service says otherwise.
    stop.sort_at = ticket.issued_at if service.fair_by_arrival else now
    ticket.current_stop = stop.position
    ticket.status = TicketStatus.waiting if service.citizen_present else TicketStatus.processing


def begin_at_counter(
    ticket: Ticket, stop: Stop, service: Service, counter: Counter, *, staff_id: int | None, now: datetime
) -> None:
    """The counter starts this stop without a call: a desk taking back-office work, or the same
    window going on with the citizen already sitting there."""
    stop.status, stop.counter_id, stop.staff_id = StopStatus.serving, counter.id, staff_id
    stop.waiting_since = stop.waiting_since or now
    stop.sort_at = stop.sort_at or now
    stop.called_at = stop.started_at = now
    ticket.current_stop = stop.position
    ticket.status = TicketStatus.serving if service.citizen_present else TicketStatus.processing
    counter.current_stop_id = stop.id
