from fastapi import APIRouter, Request, status

from server.auth import service
from server.auth.schemas import LoginRequest, LoginResponse, StaffPublic
from server.auth.throttle import LoginThrottle
from server.deps import ClockDep, CurrentStaff, SettingsDep, TokenDep, WriteSessionDep
from server.errors import Unauthorized

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", responses={429: {"description": "Too many failed sign-ins; wait and retry."}})
def login(
    body: LoginRequest, request: Request, session: WriteSessionDep, settings: SettingsDep, clock: ClockDep
) -> LoginResponse:
    """Exchange a username and password for a bearer token."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    now = clock()
    throttle.check(username=body.username, address=address, now=now)
    try:
        token, staff = service.login(
            session, username=body.username, password=body.password, now=now, hours=settings.staff_session_hours
        )
    except Unauthorized:
        throttle.record_failure(username=body.username, address=address, now=now)
        raise
    throttle.record_success(username=body.username)
    return LoginResponse(access_token=token, role=staff.role, username=staff.username, branch=staff.branch_id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: WriteSessionDep, token: TokenDep, _staff: CurrentStaff, clock: ClockDep) -> None:
    """End this sign-in session."""
    service.logout(session, token=token, now=clock())


@router.get("/me")
def me(staff: CurrentStaff) -> StaffPublic:
    """Who this token belongs to."""
    assert staff.id is not None
    return StaffPublic(id=staff.id, username=staff.username, role=staff.role, branch=staff.branch_id)
