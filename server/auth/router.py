from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlmodel import select

from server.auth import pages, service
from server.auth.oidc import COOKIE, COOKIE_PATH, PENDING_SECONDS, OidcClient, branch_for, role_for, safe_next
from server.auth.schemas import LoginRequest, LoginResponse, SignInMethods, StaffPublic
from server.auth.throttle import LoginThrottle
from server.deps import ClockDep, CurrentStaff, SettingsDep, TokenDep, WriteSessionDep
from server.errors import DomainError, Forbidden, Unauthorized
from server.models import Branch

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", responses={429: {"description": "Too many failed sign-ins; wait and retry."}})
def login(
    body: LoginRequest, request: Request, session: WriteSessionDep, settings: SettingsDep, clock: ClockDep
) -> LoginResponse:
    """Exchange a username and password for a bearer token."""
    if not settings.local_login:
        raise Forbidden(
            "この庁舎ではパスワードでのサインインは停止されています。組織のアカウントでサインインしてください。"
            " Password sign-in is turned off here; sign in with your organization's account.",
            code="local_login_off",
        )
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


@router.get("/methods")
def sign_in_methods(settings: SettingsDep) -> SignInMethods:
    """How people sign in here: the consoles show the single sign-on button and/or the password form."""
    return SignInMethods(oidc=bool(settings.oidc_issuer), local=settings.local_login)


def _oidc(request: Request) -> OidcClient:
    """This process's OpenID Connect client, made on first use (404 when single sign-on is off)."""
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None:
        client = request.app.state.oidc = OidcClient(request.app.state.settings)
    return client


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


@router.get(
    "/oidc/login",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={302: {"description": "To the identity provider."}},
)
def oidc_login(request: Request, next_path: Annotated[str | None, Query(alias="next")] = None) -> Response:
    """Start single sign-on: a redirect to the identity provider (authorization code with PKCE).
    `next` (a path on this server, like /staff) is where the browser comes back signed in."""
    try:
        client = _oidc(request)
        url, cookie = client.begin(redirect_uri=_callback_url(request), next_path=safe_next(next_path))
    except DomainError as error:
        if _wants_html(request):
            return pages.error_response(error, back=None)
        raise
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=PENDING_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, never on a cross-site POST
        secure=request.url.scheme == "https",
    )
    return response


@router.get(
    "/oidc/callback",
    name="oidc_callback",
    response_model=LoginResponse,
    responses={302: {"description": "Signed in; to `next` with the token in the fragment."}},
)
def oidc_callback(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """Where the identity provider sends the browser back: the ID token is checked and the person
    signed in like POST /auth/login. With `next`: 302 there, the token in the URL's fragment
    (which no server or log sees); without: the body of /auth/login."""
    client = _oidc(request)
    next_path: str | None = None
    try:
        if error:
            raise Unauthorized(
                "認証サーバーでサインインが完了しませんでした。もう一度お試しください。"
                f" The identity provider did not complete the sign-in ({error[:80]}).",
                code="provider_refused",
            )
        claims, pending_next = client.finish(
            code=code, state=state, cookie=request.cookies.get(COOKIE), redirect_uri=_callback_url(request)
        )
        # Checked again: without a client secret the cookie's MAC key is no secret.
        next_path = safe_next(pending_next)
        role = role_for(claims, claim=client.role_claim, role_map=client.role_map)
        branches = list(session.exec(select(Branch.id)).all())
        branch = branch_for(claims, claim=client.branch_claim, branches=branches)
        username = next(
            (str(claims[name]) for name in ("preferred_username", "email", "name") if claims.get(name)),
            str(claims["sub"]),
        )
        token, staff = service.sign_in_with_identity(
            session,
            subject=str(claims["sub"]),
            username=username,
            role=role,
            branch_id=branch,
            now=clock(),
            hours=settings.staff_session_hours,
        )
    except DomainError as failure:
        if not _wants_html(request):
            raise
        page = pages.error_response(failure, back=next_path)
        page.delete_cookie(COOKIE, path=COOKIE_PATH)
        return page
    result: Response
    if next_path is not None:
        result = RedirectResponse(f"{next_path}#signin={token}", status_code=status.HTTP_302_FOUND)
    else:
        body = LoginResponse(access_token=token, role=staff.role, username=staff.username, branch=staff.branch_id)
        result = JSONResponse(body.model_dump())
    result.delete_cookie(COOKIE, path=COOKIE_PATH)
    return result


@router.get(
    "/oidc/logout",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses={302: {"description": "To the provider's end_session_endpoint, or straight to `next`."}},
)
def oidc_logout(
    request: Request, settings: SettingsDep, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """After POST /auth/logout ended the session here: end it at the identity provider too (when it
    offers an end_session_endpoint), then back to `next`."""
    back = safe_next(next_path) or "/staff"
    target = back
    if settings.oidc_issuer:
        base = str(request.base_url).rstrip("/")
        target = _oidc(request).end_session_url(post_logout_redirect_uri=base + back) or back
    return RedirectResponse(target, status_code=status.HTTP_302_FOUND)
