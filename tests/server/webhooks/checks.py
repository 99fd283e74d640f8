"""What a simulated day must have sent: one webhook per issued ticket, completed stop and finished visit."""

from collections import Counter, defaultdict

from sqlalchemy import Engine
from sqlmodel import Session, select

from server.models import FINISHED_TICKET_STATUSES, Stop, StopStatus, Ticket
from tests.server.webhooks.receiver import Receiver


def expected_webhooks(engine: Engine) -> Counter[tuple[int, str]]:
    """(ticket id, type) → how many webhooks of that type the ticket must get."""
    expected: Counter[tuple[int, str]] = Counter()
    with Session(engine) as session:
        for ticket in session.exec(select(Ticket)).all():
            assert ticket.id is not None
            expected[(ticket.id, "ticket.issued")] += 1
            if ticket.status in FINISHED_TICKET_STATUSES:
                expected[(ticket.id, "ticket.finished")] += 1
        for stop in session.exec(select(Stop).where(Stop.status == StopStatus.done)).all():
            expected[(stop.ticket_id, "stop.completed")] += 1
    return expected


def received_webhooks(receiver: Receiver) -> Counter[tuple[int, str]]:
    """The same count from what arrived, each delivery id counted once."""
    return Counter((item.body["ticket"]["id"], item.body["type"]) for item in receiver.unique().values())


def assert_delivered_once_signed_and_in_order(receiver: Receiver, engine: Engine) -> None:
    assert received_webhooks(receiver) == expected_webhooks(engine)
    unique = receiver.unique()
    for item in unique.values():
        assert receiver.verified(item), item.delivery_id
        assert item.body["id"] == item.delivery_id
    # Order per ticket: events in log order, issued first and finished last.
    per_ticket: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for item in unique.values():  # dict order = order of first arrival
        per_ticket[item.body["ticket"]["id"]].append((item.body["event_id"], item.body["type"]))
    for ticket_id, arrivals in per_ticket.items():
        assert [event_id for event_id, _ in arrivals] == sorted(event_id for event_id, _ in arrivals), ticket_id
        assert arrivals[0][1] == "ticket.issued"
        if any(kind == "ticket.finished" for _, kind in arrivals):
            assert arrivals[-1][1] == "ticket.finished"
