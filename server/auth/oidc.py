"""Single sign-on through OpenID Connect: authorization code with PKCE (S256), state and nonce.

The pending sign-in (state, nonce, PKCE verifier, where to go next) travels in a short-lived
HttpOnly cookie scoped to /api/v1/auth/oidc/, MAC'd with a key derived from the client
credentials, so any server process can finish a sign-in another one began. The provider's
discovery document and keys are fetched on first use and kept for an hour (the keys again at
once when a token names a key we do not know: the provider rotated them).

What the ID token says becomes a role and a branch here (`role_for`, `branch_for`); the account
itself is made or updated by server.auth.service.sign_in_with_identity.
"""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from server.config import Settings
from server.errors import BadRequest, DomainError, Forbidden, Unauthorized
from server.models import Role

COOKIE = "madoguchi_oidc"
COOKIE_PATH = "/api/v1/auth/oidc/"
PENDING_SECONDS = 600
METADATA_SECONDS = 3600
# Asymmetric signatures only: a MAC keyed with the client secret proves nothing about the issuer.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
# Clocks of the provider and this server may differ a little.
LEEWAY_SECONDS = 60
RANK = {Role.contractor: 0, Role.municipal: 1, Role.admin: 2}


class ProviderUnreachable(DomainError):
    status_code = 502
    code = "provider_unreachable"


class SsoNotConfigured(DomainError):
    status_code = 404
    code = "sso_not_configured"


def parse_role_map(text: str) -> dict[str, Role]:
    """ "窓口職員=municipal,委託=contractor" → {"窓口職員": Role.municipal, …}; ValueError when malformed."""
    mapping: dict[str, Role] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, role = item.partition("=")
        if not sep or not name.strip() or role.strip() not in Role.__members__:
            raise ValueError(
                f"MADOGUCHI_OIDC_ROLE_MAP: {item.strip()!r} is not name=role (role: municipal, contractor or admin)"
            )
        mapping[name.strip()] = Role(role.strip())
    return mapping


def _claim_values(claims: dict[str, Any], name: str) -> list[str]:
    """A claim's values as strings; a dotted name reaches into objects (Keycloak's realm_access.roles)."""
    value: Any = claims
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def role_for(claims: dict[str, Any], *, claim: str, role_map: dict[str, Role]) -> Role:
    """The highest role the claim lists (by name or through the map); Forbidden `no_role` if none."""
    roles = {
        role_map.get(value) or (Role(value) if value in Role.__members__ else None)
        for value in _claim_values(claims, claim)
    }
    known = [role for role in roles if role is not None]
    if not known:
        raise Forbidden(
            "このアカウントには窓口システムの役割（職員・受託者・管理者）が割り当てられていません。"
            "庁内のアカウント管理者（情報システム担当）に割り当てを依頼してください。"
            " No Madoguchi role is assigned to this account; ask your IT department's account administrator.",
            code="no_role",
        )
    return max(known, key=RANK.__getitem__)


def branch_for(claims: dict[str, Any], *, claim: str | None, branches: list[str]) -> str | None:
    """The branch the account is limited to; None for every branch.

    Without a branch claim configured: every branch. With one: the first listed branch this
    server knows (an account holds one branch), or every branch when the claim lists "*"."""
    if claim is None:
        return None
    values = _claim_values(claims, claim)
    if "*" in values:
        return None
    listed = [value for value in values if value in branches]
    if not listed:
        raise Forbidden(
            "このアカウントには利用できる庁舎が割り当てられていません。"
            "庁内のアカウント管理者（情報システム担当）に割り当てを依頼してください。"
            " No branch of this server is assigned to this account; ask your IT department's account administrator.",
            code="no_branch",
        )
    return listed[0]


def safe_next(value: str | None) -> str | None:
    """`next` as a path on this server; BadRequest for anything that could lead elsewhere."""
    if value is None or value == "":
        return None
    path = value.split("#", 1)[0]
    parts = urlsplit(path)
    if (
        not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or parts.scheme
        or parts.netloc
        or any(ord(char) < 0x21 or ord(char) == 0x7F for char in path)
    ):
        raise BadRequest(
            "next には、このサーバー内のパス（/staff など）を指定してください。"
            " next must be a path on this server, like /staff.",
            code="bad_next",
        )
    return path


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class Pending:
    state: str
    nonce: str
    verifier: str
    next_path: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_BAD_STATE = (
    "サインインの手続きが無効か期限切れです。もう一度サインインしてください。"
    " This sign-in attempt is not valid or has expired; sign in again."
)


class OidcClient:
    def __init__(self, settings: Settings, *, timeout: float = 10.0) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise SsoNotConfigured("Single sign-on is not configured on this server.")
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self.role_claim = settings.oidc_role_claim
        self.role_map = parse_role_map(settings.oidc_role_map)
        self.branch_claim = settings.oidc_branch_claim or None
        self.timeout = timeout
        # Without a client secret (a public client) this key is guessable: the cookie is then
        # protected only by being HttpOnly and scoped, which still binds state to this browser.
        self._cookie_key = hashlib.sha256(
            b"madoguchi-oidc-pending\0" + (self.client_secret or "").encode() + b"\0" + self.client_id.encode()
        ).digest()
        self._lock = threading.Lock()
        self._provider: tuple[float, Provider] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # The provider ---------------------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ProviderUnreachable(
                "認証サーバーに接続できません。しばらくしてからお試しください。"
                f" Cannot reach the identity provider ({type(error).__name__}); try again later."
            ) from error
        if not isinstance(body, dict):
            raise ProviderUnreachable("The identity provider answered with something that is not a JSON object.")
        return body

    def provider(self) -> Provider:
        with self._lock:
            cached = self._provider
        if cached is not None and time.monotonic() - cached[0] < METADATA_SECONDS:
            return cached[1]
        document = self._get_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
        # OpenID Connect Discovery §4.3: the document's issuer is the one configured.
        if str(document.get("issuer", "")).rstrip("/") != self.issuer.rstrip("/"):
            raise ProviderUnreachable(
                f"The identity provider calls itself {document.get('issuer')!r}, not {self.issuer!r}:"
                " check MADOGUCHI_OIDC_ISSUER."
            )
        try:
            offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
            provider = Provider(
                issuer=str(document["issuer"]),
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                end_session_endpoint=document.get("end_session_endpoint") or None,
                algorithms=tuple(alg for alg in SIGNING_ALGORITHMS if alg in offered) or ("RS256",),
            )
        except KeyError as missing:
            raise ProviderUnreachable(f"The identity provider's discovery document has no {missing}.") from None
        with self._lock:
            self._provider = (time.monotonic(), provider)
        return provider

    def _keyset(self, *, refresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._keys
        # A refresh at most every ten seconds: tokens naming unknown keys cannot hammer the provider.
        if cached is not None and time.monotonic() - cached[0] < (10 if refresh else METADATA_SECONDS):
            return cached[1]
        try:
            keys = KeySet.import_key_set(self._get_json(self.provider().jwks_uri))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as error:
            raise ProviderUnreachable(f"The identity provider's keys could not be read ({error}).") from error
        with self._lock:
            self._keys = (time.monotonic(), keys)
        return keys

    # The pending sign-in, in a cookie ----------------------------------------------------------

    def _seal(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return body + "." + _b64(hmac.new(self._cookie_key, body.encode(), hashlib.sha256).digest())

    def _open(self, cookie: str | None) -> Pending:
        try:
            assert cookie is not None
            body, mac = cookie.split(".", 1)
            expected = _b64(hmac.new(self._cookie_key, body.encode(), hashlib.sha256).digest())
            assert hmac.compare_digest(mac, expected)
            payload = json.loads(_unb64(body))
            assert payload["exp"] > time.time()
            return Pending(state=payload["s"], nonce=payload["n"], verifier=payload["v"], next_path=payload["next"])
        except (AssertionError, ValueError, KeyError, TypeError):
            raise Unauthorized(_BAD_STATE, code="bad_state") from None

    # The flow ---------------------------------------------------------------------------------

    def begin(self, *, redirect_uri: str, next_path: str | None) -> tuple[str, str]:
        """(the provider's authorization URL, the cookie that remembers this attempt)."""
        provider = self.provider()
        pending = Pending(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),
            next_path=next_path,
        )
        with OAuth2Client(
            client_id=self.client_id, scope="openid profile email", code_challenge_method="S256"
        ) as client:
            url, _ = client.create_authorization_url(
                provider.authorization_endpoint,
                redirect_uri=redirect_uri,
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=pending.verifier,
            )
        cookie = self._seal(
            {
                "s": pending.state,
                "n": pending.nonce,
                "v": pending.verifier,
                "next": next_path,
                "exp": int(time.time()) + PENDING_SECONDS,
            }
        )
        return str(url), cookie

    def finish(
        self, *, code: str | None, state: str | None, cookie: str | None, redirect_uri: str
    ) -> tuple[dict[str, Any], str | None]:
        """The verified ID token's claims and where the browser goes next."""
        pending = self._open(cookie)
        if not state or not hmac.compare_digest(state, pending.state):
            raise Unauthorized(_BAD_STATE, code="bad_state")
        if not code:
            raise Unauthorized("The identity provider returned no authorization code.", code="bad_code")
        provider = self.provider()
        auth_method = "client_secret_basic" if self.client_secret else "none"
        try:
            with OAuth2Client(
                client_id=self.client_id,
                client_secret=self.client_secret,
                token_endpoint_auth_method=auth_method,
                timeout=self.timeout,
            ) as client:
                token = client.fetch_token(
                    provider.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    redirect_uri=redirect_uri,
                    code_verifier=pending.verifier,
                )
        except OAuthError:
            raise Unauthorized(
                "認証サーバーがサインインを受け付けませんでした。もう一度サインインしてください。"
                " The identity provider refused the authorization code; sign in again.",
                code="bad_code",
            ) from None
        except Exception as error:  # the HTTP client authlib picked (httpx or httpx2) failed
            raise ProviderUnreachable(
                f"The identity provider's token endpoint failed ({type(error).__name__})."
            ) from error
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise Unauthorized("The identity provider returned no ID token.", code="bad_id_token")
        return self.verify_id_token(id_token, nonce=pending.nonce), pending.next_path

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Signature against the provider's keys, then iss, aud, exp, sub and nonce; Unauthorized otherwise."""
        provider = self.provider()
        try:
            claimed = json.loads(_unb64(id_token.split(".")[1]))
        except (IndexError, ValueError):
            raise Unauthorized("The ID token is malformed.", code="bad_id_token") from None
        if not isinstance(claimed, dict) or claimed.get("iss") != provider.issuer:
            raise Unauthorized(
                "別の認証サーバーが発行したトークンは受け付けません。 The ID token comes from another issuer.",
                code="wrong_issuer",
            )
        try:
            decoded = jwt.decode(id_token, self._keyset(), algorithms=list(provider.algorithms))
        except (JoseError, ValueError):
            try:  # perhaps the provider rotated its keys
                decoded = jwt.decode(id_token, self._keyset(refresh=True), algorithms=list(provider.algorithms))
            except (JoseError, ValueError):
                raise Unauthorized(
                    "トークンの署名を確認できません。 The ID token's signature does not verify.", code="bad_signature"
                ) from None
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(decoded.claims)
        except JoseError as error:
            raise Unauthorized(
                f"IDトークンが無効です（{error.description or error.error}）。もう一度サインインしてください。"
                f" The ID token is not valid ({error.description or error.error}); sign in again.",
                code="bad_id_token",
            ) from None
        return dict(decoded.claims)

    def end_session_url(self, *, post_logout_redirect_uri: str) -> str | None:
        """Where the browser ends its session at the provider, when the provider says."""
        try:
            endpoint = self.provider().end_session_endpoint
        except ProviderUnreachable:
            return None
        if endpoint is None:
            return None
        query = urlencode({"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
