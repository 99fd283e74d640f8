from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from server.tickets.schemas import TicketPublic


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: Annotated[str, StringConstraints(min_length=1, max_length=60)]


class CounterTicket(BaseModel):
    """The ticket a counter action touched (null after close)."""

    ticket: TicketPublic | None
