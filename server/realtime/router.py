"""WebSocket endpoints: a branch's event stream (boards, staff) and one ticket's (status page)."""

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, WebSocket
from sqlalchemy import Engine

from server.config import Settings
from server.deps import MAX_ROW_ID, process_caches
from server.errors import DomainError, Forbidden, NotFound
from server.realtime import service
from server.realtime.bus import EventHub
from server.realtime.stream import (
    ClientStream,
    CloseCode,
    StreamLimits,
    TicketStream,
    TicketView,
    close_quietly,
)

router = APIRouter(tags=["realtime"])

T = TypeVar("T")
EventId = Annotated[int | None, Query(ge=0, le=MAX_ROW_ID, description="Resume after this event id")]


def _close_code(error: DomainError) -> int:
    if isinstance(error, Forbidden):
        return CloseCode.forbidden
    if isinstance(error, NotFound):
        return CloseCode.not_found
    return CloseCode.unauthorized


class Context:
    """What an endpoint needs from the app, read once per connection."""

    def __init__(self, websocket: WebSocket) -> None:
        state = websocket.app.state
        self.settings: Settings = state.settings
        self.engine: Engine = state.engine
        self.bus: EventHub = state.bus
        self.clock: Callable[[], datetime] = state.clock
        self.caches = process_caches(state)
        self.limits = StreamLimits(
            lifetime_seconds=self.settings.websocket_max_lifetime_seconds,
        )

    async def read(self, function: Callable[..., T], **kwargs: Any) -> T:
        """Run one read in a worker thread with its own short, consistent session."""

        def in_session() -> T:
            with service.consistent_read(self.engine, self.caches) as session:
                return function(session, **kwargs)

        return await asyncio.to_thread(in_session)


def http_base_url(websocket: WebSocket, settings: Settings) -> str:
    """Links in a ticket view point at the web page, so ws:// becomes http://."""
    if settings.public_base_url:
        return settings.public_base_url
    url = str(websocket.base_url)
    return "http" + url[2:] if url.startswith("ws") else url


@router.websocket("/branches/{branch}/events")
async def branch_events(websocket: WebSocket, branch: str, token: str | None = None, after: EventId = None) -> None:
    """A branch's live events: a snapshot (or the events after `after`), then each event as it commits."""
    await websocket.accept()  # first, so a refusal can carry its close code and reason
    context = Context(websocket)
    try:
        board = await context.read(service.authorize_board, token=token, branch_id=branch, now=context.clock())
    except DomainError as error:
        await close_quietly(websocket, _close_code(error), error.message)
        return
    # A board's open socket is its report that it is alive (server/operations/liveness.py).
    await websocket.app.state.board_liveness.enter(board)
    # Subscribe before reading: an event that commits meanwhile is queued, and dropped by id
    # if the read already saw it. No gap, no duplicate.
    subscription = context.bus.subscribe(branch)
    try:
        opening, last_id = await context.read(
            service.branch_opening,
            branch_id=branch,
            after=after,
            now=context.clock(),
            sample=context.settings.estimate_sample_size,
            replay_limit=context.settings.websocket_replay_limit,
        )
        stream = ClientStream(websocket, subscription, context.limits)
        stream.last_event_id = last_id
        await stream.run(opening)
    finally:
        context.bus.unsubscribe(subscription)
        websocket.app.state.board_liveness.leave(board)


@router.websocket("/tickets/{status_token}/events")
async def ticket_events(websocket: WebSocket, status_token: str) -> None:
    """One ticket's live status for its status page: its view, then its events and fresh views."""
    await websocket.accept()
    context = Context(websocket)
    try:
        ticket_id, branch_id = await context.read(service.ticket_id_for_token, status_token=status_token)
    except DomainError as error:
        await close_quietly(websocket, _close_code(error), error.message)
        return
    base_url = http_base_url(websocket, context.settings)

    async def refresh() -> TicketView:
        view, queue = await context.read(
            service.ticket_snapshot,
            ticket_id=ticket_id,
            base_url=base_url,
            now=context.clock(),
            sample=context.settings.estimate_sample_size,
        )
        return view.model_dump(mode="json"), queue

    subscription = context.bus.subscribe(branch_id)
    try:
        # The id first, then the view: an event committing in between is sent again (its view is
        # the same), never lost.
        last_id = await context.read(service.last_branch_event_id, branch_id=branch_id)
        view, queue = await refresh()
        stream = TicketStream(
            websocket, subscription, context.limits, ticket_id=ticket_id, queue=queue, refresh=refresh
        )
        stream.last_event_id = last_id
        await stream.run([{"type": "snapshot", "last_event_id": last_id, "ticket": view}])
    finally:
        context.bus.unsubscribe(subscription)
