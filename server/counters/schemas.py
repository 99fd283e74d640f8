from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from server.models import CounterState
from server.tickets.schemas import TicketPublic


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    # A configured reason code makes this a return (差戻し) to a front service.
    reason: Annotated[str, StringConstraints(min_length=1, max_length=60)] | None = None


class CounterTicket(BaseModel):
    """The ticket a counter action touched (null after close)."""

    ticket: TicketPublic | None


class WaitingItem(BaseModel):
    """One ticket this counter would call, in call order; neutral labels only."""

    number: str
    service: str
    label: str
    label_en: str
    citizen_present: bool
    priority: bool
    waiting_since: datetime
    waited_minutes: int
    # The reason code when the item was returned (差戻し) to this queue.
    returned_reason: str | None
    # A booked visit (予約): its start time, from which it is called before walk-ins.
    appointment_at: datetime | None = None


class CounterDesk(BaseModel):
    """A counter as its console sees it: state, whether it is yours, and the ticket in hand."""

    id: int
    name: str
    label: str
    label_en: str
    public: bool
    state: CounterState
    mine: bool
    ticket: TicketPublic | None
    returned_reason: str | None
