"""Counter actions. Every route needs a signed-in staff member."""

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from sqlmodel import Session

from server.config import Settings
from server.counters import service
from server.counters.schemas import CounterDesk, CounterTicket, TransferRequest, WaitingItem
from server.deps import ClockDep, CurrentStaff, RowId, SessionDep, SettingsDep, WriteSessionDep, request_session
from server.models import Staff, Ticket
from server.responses import model_response
from server.tickets.router import base_url
from server.tickets.views import ticket_view

router = APIRouter(prefix="/counters", tags=["counters"])

Action = Callable[..., Ticket | None]


def _envelope(
    session: Session, ticket: Ticket | None, request: Request, settings: Settings, now: datetime
) -> CounterTicket:
    if ticket is None:
        return CounterTicket(ticket=None)
    return CounterTicket(
        ticket=ticket_view(
            session, ticket, base_url=base_url(request, settings), now=now, sample=settings.estimate_sample_size
        )
    )


@router.post("/{counter}/open")
def open_counter(counter: RowId, session: WriteSessionDep, staff: CurrentStaff, clock: ClockDep) -> dict[str, str]:
    """Open this counter and take it as yours."""
    row = service.open_counter(session, counter_id=counter, staff=staff, now=clock())
    return {"state": str(row.state)}


@router.post("/{counter}/close")
def close_counter(counter: RowId, session: WriteSessionDep, staff: CurrentStaff, clock: ClockDep) -> dict[str, str]:
    """Close this counter (nothing may be in hand)."""
    row = service.close_counter(session, counter_id=counter, staff=staff, now=clock())
    return {"state": str(row.state)}


def _act(
    function: Action,
    counter: int,
    request: Request,
    staff: Staff,
    settings: Settings,
    now: datetime,
    **extra: str | None,
) -> Response:
    """One counter action and its answer. The session is opened and closed here, in the
    endpoint's thread, not by a dependency (two trips to the thread pool fewer on the counters'
    busiest requests), and the answer is serialised once."""
    with request_session(request, write=True) as session:
        ticket = function(session, counter_id=counter, staff=staff, now=now, **extra)
        if ticket is None:
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        answer = _envelope(session, ticket, request, settings, now)
    return model_response(answer)


@router.post(
    "/{counter}/call-next",
    response_model=CounterTicket,
    responses={204: {"description": "Nothing waits that this counter and this staff member may take."}},
)
def call_next(
    counter: RowId, request: Request, staff: CurrentStaff, settings: SettingsDep, clock: ClockDep
) -> Response:
    """Call the best waiting ticket this counter serves and this staff member may handle."""
    return _act(service.call_next, counter, request, staff, settings, clock())


@router.post("/{counter}/recall", response_model=CounterTicket)
def recall(counter: RowId, request: Request, staff: CurrentStaff, settings: SettingsDep, clock: ClockDep) -> Response:
    """Call the ticket in hand again (display and announcement repeat it)."""
    return _act(service.recall, counter, request, staff, settings, clock())


@router.post("/{counter}/start", response_model=CounterTicket)
def start(counter: RowId, request: Request, staff: CurrentStaff, settings: SettingsDep, clock: ClockDep) -> Response:
    """The citizen has arrived: start serving the ticket in hand."""
    return _act(service.start, counter, request, staff, settings, clock())


@router.post("/{counter}/complete", response_model=CounterTicket)
def complete(counter: RowId, request: Request, staff: CurrentStaff, settings: SettingsDep, clock: ClockDep) -> Response:
    """Finish this stop; the same ticket moves to its next counter."""
    return _act(service.complete_stop, counter, request, staff, settings, clock())


@router.post("/{counter}/no-show", response_model=CounterTicket)
def no_show(counter: RowId, request: Request, staff: CurrentStaff, settings: SettingsDep, clock: ClockDep) -> Response:
    """The called citizen did not come."""
    return _act(service.mark_no_show, counter, request, staff, settings, clock())


@router.post("/{counter}/transfer", response_model=CounterTicket)
def transfer(
    counter: RowId,
    body: TransferRequest,
    request: Request,
    staff: CurrentStaff,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    """Hand the ticket in hand to another service's queue; with a reason code, return it (差戻し) to the front."""
    return _act(
        service.transfer,
        counter,
        request,
        staff,
        settings,
        clock(),
        service_key=body.service,
        reason=body.reason,
    )


@router.get("/{counter}")
def desk(
    counter: RowId, request: Request, session: SessionDep, staff: CurrentStaff, settings: SettingsDep, clock: ClockDep
) -> CounterDesk:
    """This counter's state, whether it is yours, and the ticket in hand with its whole route (staff only)."""
    view = service.counter_desk(session, counter_id=counter, staff=staff)
    row = view.counter
    assert row.id is not None
    return CounterDesk(
        id=row.id,
        name=row.code,
        label=row.name_ja,
        label_en=row.name_en,
        public=row.public,
        state=row.state,
        mine=view.mine,
        ticket=_envelope(session, view.ticket, request, settings, clock()).ticket,
        returned_reason=view.returned_reason,
    )


@router.get("/{counter}/waiting")
def waiting(counter: RowId, session: SessionDep, staff: CurrentStaff, clock: ClockDep) -> list[WaitingItem]:
    """Tickets this counter would call for you, in call order, with minutes waited (staff only)."""
    return service.waiting_list(session, counter_id=counter, staff=staff, now=clock())
