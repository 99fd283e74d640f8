"""Single sign-on through a real OpenID Connect provider on loopback (oidc-provider-mock, which is
authlib's authorization server): the provider's claims decide the role and branch, an unmapped
person is refused with a page that says whom to ask, a token from another issuer or with a bad
signature is refused, `next` never leads off this server, and password sign-in can be turned off.

The browser is played by HTTP requests here (tests/e2e/test_single_sign_on.py drives Chromium)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from server.auth.oidc import OidcClient
from server.auth.service import NO_PASSWORD
from server.config import Settings
from server.errors import Unauthorized
from server.main import create_app
from server.models import Staff
from tests.realtime.live_server import free_port
from tests.security.test_roles import _counter_id, _staff_only_desk
from tests.server.api import API
from tests.support import BRANCH, FixedClock

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
User = oidc_provider_mock.User

CLIENT_ID = "madoguchi"
CLIENT_SECRET = "provider-secret-for-tests"
USERS = [
    User(sub="u-itaku", claims={"roles": ["contractor"], "preferred_username": "sato.itaku"}),
    User(sub="u-both", claims={"roles": ["contractor", "municipal"], "preferred_username": "both"}),
    User(sub="u-group", claims={"roles": "窓口職員", "preferred_username": "tanaka"}),
    User(sub="u-admin", claims={"roles": "admin", "preferred_username": "admin"}),  # a local admin has that name
    User(sub="u-nobody", claims={"roles": ["総務課"], "preferred_username": "nobody"}),
    User(sub="u-elsewhere", claims={"roles": "municipal", "branches": ["nowhere"]}),
    User(sub="u-honcho", claims={"roles": "municipal", "branches": ["nowhere", BRANCH]}),
    User(sub="u-everywhere", claims={"roles": "municipal", "branches": "*"}),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(user_claims=USERS) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def other_provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(user_claims=USERS) as server:
        yield f"http://localhost:{server.server_port}"


def sso_settings(database_url: str, tmp_path: Path, issuer: str, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        audio_cache_dir=tmp_path / "audio",
        announcement_prefetch=False,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_role_map="窓口職員=municipal,委託=contractor",
        **overrides,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path, provider: str) -> Settings:
    return sso_settings(database_url, tmp_path, provider)


def at_the_provider(authorize_url: str, sub: str) -> str:
    """The person picks their account at the provider; the URL it sends the browser back to."""
    chosen = httpx.post(authorize_url, data={"sub": sub}, timeout=10)
    assert chosen.status_code == 302, chosen.text
    return chosen.headers["location"]


def sign_in(client: TestClient, sub: str, *, next_path: str | None = None, html: bool = False) -> httpx.Response:
    started = client.get(f"{API}/auth/oidc/login", params={"next": next_path} if next_path else {})
    assert started.status_code == 302, started.text
    query = parse_qs(urlsplit(started.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"][0]
    assert query["state"][0]
    assert query["nonce"][0]
    assert query["response_type"] == ["code"]
    back = at_the_provider(started.headers["location"], sub)
    assert back.startswith(f"http://testserver{API}/auth/oidc/callback?")
    return client.get(back, headers={"Accept": "text/html"} if html else {})


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_a_contractor_from_the_provider_gets_a_contractors_limits(
    client: TestClient, session: Session, auth: dict[str, dict[str, str]]
) -> None:
    answer = sign_in(client, "u-itaku")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["role"], body["username"], body["branch"]) == ("contractor", "sato.itaku", None)
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get(f"{API}/auth/me", headers=bearer).json()["role"] == "contractor"
    # Not an administrator, no reports, no staff-only (公権力の行使) desk.
    assert client.get(f"{API}/admin/branches/{BRANCH}/devices", headers=bearer).status_code == 403
    assert client.get(f"{API}/branches/{BRANCH}/reports/daily", headers=bearer).status_code == 403
    desk, _ = _staff_only_desk()
    refused = client.post(f"{API}/counters/{_counter_id(client, desk)}/open", headers=bearer)
    assert (refused.status_code, refused.json()["code"]) == (403, "staff_only_counter")
    # The account is named for the audit log and has no password.
    account = session.exec(select(Staff).where(Staff.oidc_subject == "u-itaku")).one()
    assert (account.username, account.password_hash) == ("sato.itaku", NO_PASSWORD)
    password = client.post(f"{API}/auth/login", json={"username": "sato.itaku", "password": NO_PASSWORD})
    assert password.status_code == 401
    # The branch's admin console shows it (placed in the branch, as a branch claim would) as a
    # single sign-on account, whose password is not set here.
    account.branch_id = BRANCH
    session.add(account)
    session.commit()
    admin = auth["admin"]
    accounts = {
        row["username"]: row for row in client.get(f"{API}/admin/branches/{BRANCH}/staff", headers=admin).json()
    }
    assert (accounts["sato.itaku"]["sign_in"], accounts["admin"]["sign_in"]) == ("sso", "local")
    reset = client.post(
        f"{API}/admin/branches/{BRANCH}/staff/{account.id}/password", json={"password": "a-new-password"}, headers=admin
    )
    assert (reset.status_code, reset.json()["code"]) == (409, "sso_account")


def test_the_highest_listed_role_wins_and_group_names_map(
    client: TestClient, staff_users: dict[str, Any], session: Session
) -> None:
    assert sign_in(client, "u-both").json()["role"] == "municipal"
    assert sign_in(client, "u-group").json()["role"] == "municipal"
    # A local account named "admin" exists: the provider's "admin" gets a name of its own.
    admin = sign_in(client, "u-admin").json()
    assert admin["role"] == "admin"
    assert admin["username"].startswith("admin#")
    local = session.exec(select(Staff).where(Staff.username == "admin")).one()
    assert local.oidc_subject is None
    # What the provider's administrator changes, the audit log names them for.
    bearer = {"Authorization": f"Bearer {admin['access_token']}"}
    changed = client.put(f"{API}/admin/branches/{BRANCH}/fairness", json={"min_normal_between": 3}, headers=bearer)
    assert changed.status_code == 200, changed.text
    entries = client.get(f"{API}/admin/branches/{BRANCH}/audit", headers=bearer).json()
    assert entries[0]["username"] == admin["username"]


def test_an_unmapped_person_is_refused_with_a_page_that_says_whom_to_ask(client: TestClient, session: Session) -> None:
    api = sign_in(client, "u-nobody")
    assert api.status_code == 403
    assert api.json()["code"] == "no_role"
    page = sign_in(client, "u-nobody", next_path="/staff", html=True)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert text.index("窓口システムを使う権限がありません") < text.index("No access to Madoguchi")
    assert "アカウント管理者" in text
    assert 'href="/staff"' in text
    assert session.exec(select(Staff).where(Staff.oidc_subject == "u-nobody")).first() is None


def test_next_returns_to_the_console_with_the_token_in_the_fragment(client: TestClient) -> None:
    answer = sign_in(client, "u-group", next_path="/concierge")
    assert answer.status_code == 302
    location = answer.headers["location"]
    path, _, fragment = location.partition("#signin=")
    assert path == "/concierge"
    assert fragment
    assert client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {fragment}"}).json()["username"] == "tanaka"
    # The one-time state is gone: the same answer from the provider cannot be replayed.
    assert "madoguchi_oidc" not in client.cookies


def test_next_never_leads_off_this_server(client: TestClient) -> None:
    for target in ["https://evil.example/", "//evil.example/staff", "/\\evil.example", "javascript:alert(1)", "staff"]:
        answer = client.get(f"{API}/auth/oidc/login", params={"next": target})
        assert answer.status_code == 400, target
        assert answer.json()["code"] == "bad_next"
        assert "location" not in answer.headers


def test_a_bad_state_or_code_is_refused(client: TestClient, provider: str) -> None:
    started = client.get(f"{API}/auth/oidc/login")
    back = urlsplit(at_the_provider(started.headers["location"], "u-itaku"))
    query = {key: values[0] for key, values in parse_qs(back.query).items()}
    callback = f"{API}/auth/oidc/callback"
    assert client.get(callback, params={**query, "state": "forged"}).json()["code"] == "bad_state"
    made_up = client.get(callback, params={**query, "code": "made-up"})
    assert (made_up.status_code, made_up.json()["code"]) == (401, "bad_code")
    # Another browser (without this attempt's cookie) with the right state and code.
    client.cookies.clear()
    answer = client.get(callback, params=query)
    assert (answer.status_code, answer.json()["code"]) == (401, "bad_state")


def _id_token_from(provider: str, *, nonce: str) -> str:
    """A real ID token for this client from `provider` (code flow done by hand)."""
    redirect = "http://testserver/cb"
    authorize = httpx.Request(
        "GET",
        f"{provider}/oauth2/authorize",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "openid",
            "nonce": nonce,
            "state": "s",
        },
    ).url
    code = parse_qs(urlsplit(at_the_provider(str(authorize), "u-admin")).query)["code"][0]
    token = httpx.post(
        f"{provider}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    id_token: str = token.json()["id_token"]
    return id_token


def test_a_token_from_another_issuer_or_with_a_bad_signature_is_refused(
    settings: Settings, provider: str, other_provider: str
) -> None:
    verifier = OidcClient(settings)
    genuine = _id_token_from(provider, nonce="n-1")
    assert verifier.verify_id_token(genuine, nonce="n-1")["sub"] == "u-admin"
    with pytest.raises(Unauthorized) as wrong_nonce:
        verifier.verify_id_token(genuine, nonce="n-2")
    assert wrong_nonce.value.code == "bad_id_token"
    header, payload, signature = genuine.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(Unauthorized) as tampered:
        verifier.verify_id_token(f"{header}.{payload}.{flipped}", nonce="n-1")
    assert (tampered.value.status_code, tampered.value.code) == (401, "bad_signature")
    foreign = _id_token_from(other_provider, nonce="n-1")
    with pytest.raises(Unauthorized) as other:
        verifier.verify_id_token(foreign, nonce="n-1")
    assert (other.value.status_code, other.value.code) == (401, "wrong_issuer")
    # Another issuer's token presented with our issuer's name: its signature gives it away.
    _, foreign_payload, foreign_signature = foreign.split(".")
    with pytest.raises(Unauthorized) as relabelled:
        verifier.verify_id_token(f"{header}.{payload}.{foreign_signature}", nonce="n-1")
    assert relabelled.value.code == "bad_signature"
    assert foreign_payload != payload


def test_branch_claim_limits_the_person(
    database_url: str, tmp_path: Path, provider: str, engine: Engine, clock: FixedClock
) -> None:
    settings = sso_settings(database_url, tmp_path, provider, oidc_branch_claim="branches")
    with TestClient(create_app(settings, engine=engine, clock=clock), follow_redirects=False) as client:
        assert sign_in(client, "u-honcho").json()["branch"] == BRANCH
        assert sign_in(client, "u-everywhere").json()["branch"] is None
        elsewhere = sign_in(client, "u-elsewhere")
        assert (elsewhere.status_code, elsewhere.json()["code"]) == (403, "no_branch")
        assert sign_in(client, "u-itaku").json()["code"] == "no_branch"  # no claim at all


def test_local_login_off_refuses_passwords(
    database_url: str, tmp_path: Path, provider: str, engine: Engine, clock: FixedClock, staff_users: dict[str, Any]
) -> None:
    settings = sso_settings(database_url, tmp_path, provider, local_login=False)
    with TestClient(create_app(settings, engine=engine, clock=clock), follow_redirects=False) as client:
        refused = client.post(f"{API}/auth/login", json={"username": "admin", "password": "correct-horse-42"})
        assert (refused.status_code, refused.json()["code"]) == (403, "local_login_off")
        assert "組織のアカウント" in refused.json()["detail"]
        assert client.get(f"{API}/auth/methods").json() == {"oidc": True, "local": False}
        assert sign_in(client, "u-group").status_code == 200


def test_sign_out_ends_the_session_here_and_at_the_provider(client: TestClient, provider: str) -> None:
    token = sign_in(client, "u-group").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.post(f"{API}/auth/logout", headers=bearer).status_code == 204
    assert client.get(f"{API}/auth/me", headers=bearer).status_code == 401
    onward = client.get(f"{API}/auth/oidc/logout", params={"next": "/staff"})
    assert onward.status_code == 302
    target = urlsplit(onward.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider}/oauth2/end_session"
    assert parse_qs(target.query)["post_logout_redirect_uri"] == ["http://testserver/staff"]
    assert client.get(f"{API}/auth/oidc/logout", params={"next": "https://evil.example"}).status_code == 400


def test_without_single_sign_on_configured(database_url: str, tmp_path: Path, engine: Engine) -> None:
    settings = Settings(database_url=database_url, audio_cache_dir=tmp_path / "audio", announcement_prefetch=False)
    with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
        assert client.get(f"{API}/auth/methods").json() == {"oidc": False, "local": True}
        answer = client.get(f"{API}/auth/oidc/login")
        assert (answer.status_code, answer.json()["code"]) == (404, "sso_not_configured")
        assert client.get(f"{API}/auth/oidc/logout").headers["location"] == "/staff"


def test_the_role_follows_the_provider_at_every_sign_in(client: TestClient, provider: str) -> None:
    claims = {"roles": "municipal", "preferred_username": "moved"}
    assert httpx.put(f"{provider}/users/u-moves", json=claims, timeout=10).status_code == 204
    first = sign_in(client, "u-moves").json()
    assert first["role"] == "municipal"
    demoted = {**claims, "roles": "contractor"}
    assert httpx.put(f"{provider}/users/u-moves", json=demoted, timeout=10).status_code == 204
    assert sign_in(client, "u-moves").json()["role"] == "contractor"
    # The earlier sign-in is the same account: it is a contractor's now too.
    me = client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {first['access_token']}"}).json()
    assert (me["username"], me["role"]) == ("moved", "contractor")


def test_an_unreachable_provider_is_said_plainly(
    database_url: str, tmp_path: Path, engine: Engine, clock: FixedClock
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = sso_settings(database_url, tmp_path, closed)
    with TestClient(create_app(settings, engine=engine, clock=clock), follow_redirects=False) as client:
        answer = client.get(f"{API}/auth/oidc/login", params={"next": "/staff"})
        assert (answer.status_code, answer.json()["code"]) == (502, "provider_unreachable")
        page = client.get(f"{API}/auth/oidc/login", headers={"Accept": "text/html"})
        assert page.status_code == 502
        assert "サインインできませんでした" in page.text
