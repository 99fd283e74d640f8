"""Typed dependencies shared by the routers."""

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import event
from sqlmodel import Session

from server.auth import service as auth_service
from server.auth.principals import PRINCIPALS_KEY, PrincipalCache
from server.catalog.snapshot import CATALOGS_KEY
from server.config import Settings
from server.db import ON_COMMIT_KEY, writer
from server.errors import Forbidden, Unauthorized
from server.models import Device, DeviceKind, Role, Staff, StaffSession
from server.realtime.bus import EventHub
from server.realtime.events import PENDING_EVENTS_KEY
from server.tickets.estimates import OPEN_COUNTERS_KEY, SERVICE_TIMES_KEY
from server.tickets.waiting_tally import WAITING_TALLY_KEY

Clock = Callable[[], datetime]

# Row ids are INTEGER columns (32-bit on PostgreSQL): a larger number in a URL is refused as
# invalid (422) instead of overflowing the database driver (500).
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

# Dependencies that do no I/O are `async def`: FastAPI runs them on the event loop instead of
# handing each to the thread pool (a thread hop per dependency per request adds up).


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def process_caches(state: Any) -> dict[str, Any]:
    """What this process keeps in memory, for a session's info (see server/catalog/snapshot.py).

    Each follows committed events (`on_messages`): this process's at once, others' by the bus."""
    return {
        CATALOGS_KEY: state.catalogs,
        SERVICE_TIMES_KEY: state.service_times,
        OPEN_COUNTERS_KEY: state.open_counters,
        PRINCIPALS_KEY: state.principals,
    }


class RequestSession(Session):
    """A request's session: what it commits reaches this process's caches and the bus.

    The listeners are the class's, registered once: listeners per session instance cost SQLAlchemy
    more than some of the requests they serve."""


_BUS = "madoguchi_bus"
_CACHES = "madoguchi_caches"
_READ_ENGINE = "madoguchi_read_engine"


@event.listens_for(RequestSession, "after_commit")
def _publish(committed: Session) -> None:
    pending = committed.info.pop(PENDING_EVENTS_KEY, [])
    # What this process keeps in memory follows its own changes at once; other processes hear
    # of them through the bus.
    for cache in committed.info[_CACHES].values():
        cache.on_messages(message for _, message in pending)
    for callback in committed.info.pop(ON_COMMIT_KEY, []):
        callback()
    bus: EventHub = committed.info[_BUS]
    bus.publish_committed(pending)


@event.listens_for(RequestSession, "after_rollback")
def _forget(rolled_back: Session) -> None:
    # Events of a transaction that did not commit never reach anyone.
    rolled_back.info.pop(PENDING_EVENTS_KEY, None)
    rolled_back.info.pop(ON_COMMIT_KEY, None)


@event.listens_for(RequestSession, "after_commit")
@event.listens_for(RequestSession, "after_rollback")
def _read_from_now_on(ended: Session) -> None:
    # A write session needs the lock for its state change only, not to read the response after.
    engine = ended.info.get(_READ_ENGINE)
    if engine is not None:
        ended.bind = engine


def request_session(request: Request, *, write: bool) -> RequestSession:
    state = request.app.state
    engine = state.engine
    caches = process_caches(state)
    info = {**caches, _CACHES: caches, _BUS: state.bus, WAITING_TALLY_KEY: state.waiting_tally}
    if write:
        info[_READ_ENGINE] = engine
    return RequestSession(writer(engine) if write else engine, expire_on_commit=False, info=info)


def get_session(request: Request) -> Iterator[Session]:
    with request_session(request, write=False) as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    """For endpoints that change state: on SQLite each transaction starts with the write lock.

    The lock is taken at the first statement, not here, so a request never holds it while
    other dependencies (sign-in checks) are still being resolved.
    """
    with request_session(request, write=True) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
ClockDep = Annotated[Clock, Depends(get_clock)]


async def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "サインインしてください。 Sign in first: send 'Authorization: Bearer <token>'.", code="missing_token"
        )
    return token.strip()


TokenDep = Annotated[str, Depends(bearer_token)]


def _staff(request: Request, token: str, clock: Clock) -> Staff:
    principals: PrincipalCache = request.app.state.principals
    generation = principals.generation()
    # A short session of its own: the connection goes back to the pool before the endpoint runs,
    # so a request never holds two connections (the pool is sized for one per worker thread).
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        staff = auth_service.staff_for_token(session, token=token, now=clock())
        record = session.get(StaffSession, auth_service.hash_token(token))  # already in the session
    principals.keep(token, staff, read_at_generation=generation, record=record)
    return staff


def _known_principal(request: Request, token: str, clock: Clock) -> Staff | Device | None:
    principals: PrincipalCache = request.app.state.principals
    return principals.get(token, now=clock())


async def current_staff(request: Request, token: TokenDep, clock: ClockDep) -> Staff:
    known = _known_principal(request, token, clock)
    if isinstance(known, Staff):
        return known
    return await run_in_threadpool(_staff, request, token, clock)


CurrentStaff = Annotated[Staff, Depends(current_staff)]


async def current_admin(staff: CurrentStaff) -> Staff:
    if staff.role != Role.admin:
        raise Forbidden("管理者アカウントが必要です。 This needs an administrator account.", code="admin_only")
    return staff


CurrentAdmin = Annotated[Staff, Depends(current_admin)]


def _staff_or_device(request: Request, token: str, clock: Clock) -> Staff | Device:
    principals: PrincipalCache = request.app.state.principals
    generation = principals.generation()
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        device = auth_service.device_for_token(session, token=token)
    if device is None:
        return _staff(request, token, clock)
    principals.keep(token, device, read_at_generation=generation, record=None)
    return device


async def staff_or_kiosk(request: Request, token: TokenDep, clock: ClockDep) -> Staff | Device:
    """Tickets are issued by a kiosk device or by staff (floor concierge)."""
    # A kiosk's token is known on the event loop after its first ticket: no thread hop, no query.
    principal = _known_principal(request, token, clock)
    if principal is None:
        principal = await run_in_threadpool(_staff_or_device, request, token, clock)
    if isinstance(principal, Device) and principal.kind != DeviceKind.kiosk:
        raise Forbidden("表示盤からは発券できません。 Display boards cannot issue tickets.", code="wrong_device")
    return principal


IssuerDep = Annotated[Staff | Device, Depends(staff_or_kiosk)]
