from fastapi import APIRouter, status

from server.auth import service
from server.auth.schemas import LoginRequest, LoginResponse, StaffPublic
from server.deps import ClockDep, CurrentStaff, SessionDep, SettingsDep, TokenDep

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login")
def login(body: LoginRequest, session: SessionDep, settings: SettingsDep, clock: ClockDep) -> LoginResponse:
    """Exchange a username and password for a bearer token."""
    token, staff = service.login(
        session, username=body.username, password=body.password, now=clock(), hours=settings.staff_session_hours
    )
    return LoginResponse(access_token=token, role=staff.role, username=staff.username, branch=staff.branch_id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, token: TokenDep, _staff: CurrentStaff) -> None:
    """End this sign-in session."""
    service.logout(session, token=token)


@router.get("/me")
def me(staff: CurrentStaff) -> StaffPublic:
    """Who this token belongs to."""
    assert staff.id is not None
    return StaffPublic(id=staff.id, username=staff.username, role=staff.role, branch=staff.branch_id)
