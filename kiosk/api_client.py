"""The kiosk's only way to the server: its public HTTP API, with the kiosk's device token.

The kiosk PC runs without the server's code, so nothing here imports `server`. Every failure
comes back as one of two exceptions: the server could not be reached, or it answered with an
error in the contract's `{"detail", "code"}` shape. A request that got no answer may still have
been carried out: issuing therefore sends an Idempotency-Key and retries with the same key, so
a lost answer never becomes a second ticket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import httpx

API_PREFIX = "/api/v1"
# Short enough that a citizen is not left staring at a spinner, long enough for a busy server.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
PING_TIMEOUT_SECONDS = 2.0
# Issuing is retried (same key) for this long: enough to ride out a server restart or a brief
# overload, short enough for a citizen at the screen.
ISSUE_RETRY_SECONDS = 8.0
# The first words of the voice guide start the server's speech process (a few seconds).
SPEECH_TIMEOUT = httpx.Timeout(30.0, connect=3.0)


class ServerUnreachableError(Exception):
    """No answer from the server (refused, timed out, or a proxy said it is down)."""


class ServerRejectedError(Exception):
    """The server answered with an error status; `detail` and `code` are its own."""

    def __init__(self, status_code: int, detail: Any, code: str, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{status_code} {code}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.code = code
        # The error body's other fields (an appointment's check-in time, say), for the screen.
        self.extra = dict(extra or {})


# What a proxy or load balancer says when the server behind it is down.
_GATEWAY_STATUSES = frozenset({502, 503, 504})


class ServerClient:
    """One kiosk's connection to the server; safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        branch: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.branch = branch
        self._token = token
        self._transport = transport
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self._branch_names: dict[str, str] | None = None
        self._voices: dict[str, bool] | None = None
        self._names_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def long_poll_client(self, wait_seconds: float) -> httpx.Client:
        """A connection of its own for a long poll, with a read timeout that outlasts the wait."""
        return httpx.Client(
            base_url=self.base_url, timeout=httpx.Timeout(wait_seconds + 10, connect=3.0), transport=self._transport
        )

    # -- kiosk calls (device token) -------------------------------------------------------------

    def menu(self, language: str) -> dict[str, Any]:
        menu: dict[str, Any] = self._call("GET", f"/branches/{self.branch}/menu", params={"lang": language})
        return menu

    def issue_ticket(self, body: Mapping[str, Any], *, request_key: str) -> dict[str, Any]:
        """Issue, retrying with the same key while the server does not answer."""
        deadline = time.monotonic() + ISSUE_RETRY_SECONDS
        pause = 0.5
        while True:
            try:
                ticket: dict[str, Any] = self._call(
                    "POST",
                    f"/branches/{self.branch}/tickets",
                    json=dict(body),
                    token=self._token,
                    headers={"Idempotency-Key": request_key},
                )
                return ticket
            except ServerUnreachableError:
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause *= 2

    def check_in(self, code: str, *, language: str) -> dict[str, Any]:
        """Check an appointment in by its code: its ticket (the same one when asked twice)."""
        ticket: dict[str, Any] = self._call(
            "POST",
            f"/branches/{self.branch}/appointments/{code}/check-in",
            json={"language": language},
            token=self._token,
        )
        return ticket

    def bookable_services(self) -> list[dict[str, Any]]:
        """The services citizens can book at this branch (none: the kiosk offers no check-in)."""
        services: list[dict[str, Any]] = self._call("GET", f"/branches/{self.branch}/appointments/services")
        return services

    def appointment(self, manage_token: str) -> dict[str, Any]:
        """A booking by its manage token (what the QR code of the manage link names)."""
        booking: dict[str, Any] = self._call("GET", f"/appointments/{manage_token}")
        return booking

    def report_health(self, *, printer: str, detail: str | None, pending_prints: int) -> None:
        self._call(
            "POST",
            "/devices/health",
            json={"printer": printer, "detail": detail, "pending_prints": pending_prints},
            token=self._token,
        )

    def request_help(self, *, language: str) -> dict[str, Any]:
        accepted: dict[str, Any] = self._call("POST", "/devices/help", json={"language": language}, token=self._token)
        return accepted

    def collect_print_requests(self, *, wait_seconds: float, http: httpx.Client | None = None) -> list[dict[str, Any]]:
        """Slips staff asked this kiosk to print; waits up to `wait_seconds` for one (long poll)."""
        jobs: list[dict[str, Any]] = self._call(
            "GET",
            "/devices/print-requests",
            params={"wait_seconds": f"{wait_seconds:g}"},
            token=self._token,
            http=http,
        )
        return jobs

    def report_print_result(self, request_id: str, *, ok: bool, error: str | None) -> None:
        self._call(
            "POST", f"/devices/print-requests/{request_id}/result", json={"ok": ok, "error": error}, token=self._token
        )

    def holder_ticket(self, status_token: str) -> dict[str, Any]:
        """The ticket as its holder sees it through the status link: what a slip may show."""
        ticket: dict[str, Any] = self._call("GET", f"/tickets/{status_token}")
        return ticket

    def branch_names(self) -> dict[str, str]:
        """This branch's name in Japanese and English (printed on the slip); fetched once."""
        with self._names_lock:
            if self._branch_names is None:
                branches = self._call("GET", "/branches")
                for branch in branches:
                    if branch.get("id") == self.branch:
                        self._branch_names = {
                            "ja": str(branch.get("name") or self.branch),
                            "en": str(branch.get("name_en") or branch.get("name") or self.branch),
                        }
                        break
                else:
                    raise ServerRejectedError(404, f"The server has no branch {self.branch!r}.", "branch_not_found")
            return dict(self._branch_names)

    def speech_languages(self) -> dict[str, bool]:
        """Which screen languages the server's voice guide speaks (fetched until it answers once)."""
        with self._names_lock:
            if self._voices is None:
                answer = self._call("GET", "/kiosk/speech", token=self._token, timeout=SPEECH_TIMEOUT)
                self._voices = {str(lang): bool(voiced) for lang, voiced in answer["languages"].items()}
            return dict(self._voices)

    def speech(self, *, text: str, language: str) -> bytes:
        """One part of a screen, read aloud by the server's offline voices: a WAV."""
        response = self._send(
            "POST", "/kiosk/speech", json={"lang": language, "text": text}, token=self._token, timeout=SPEECH_TIMEOUT
        )
        return response.content

    def is_reachable(self) -> bool:
        try:
            response = self._http.get("/healthz", timeout=PING_TIMEOUT_SECONDS)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    # -- staff calls (the staff member's own token, passed through) ----------------------------

    def login(self, *, username: str, password: str) -> dict[str, Any]:
        session: dict[str, Any] = self._call("POST", "/auth/login", json={"username": username, "password": password})
        return session

    def devices(self, *, staff_token: str) -> list[dict[str, Any]]:
        """The branch's devices; also how the kiosk checks that a token belongs to staff."""
        devices: list[dict[str, Any]] = self._call("GET", f"/branches/{self.branch}/devices", token=staff_token)
        return devices

    # -- plumbing -------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        response = self._send(
            method, path, token=token, params=params, json=json, headers=headers, http=http, timeout=timeout
        )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        http: httpx.Client | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """The request, or the exception its failure means; a success's body is the caller's."""
        headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = (http or self._http).request(
                method, API_PREFIX + path, params=params, json=json, headers=headers, **extra
            )
        except httpx.TransportError as error:
            raise ServerUnreachableError(f"{method} {path}: {error!r}") from error
        if response.status_code in _GATEWAY_STATUSES:
            raise ServerUnreachableError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise _rejection(response)
        return response


def _rejection(response: httpx.Response) -> ServerRejectedError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "detail" in body:
        code = body.get("code")
        return ServerRejectedError(
            response.status_code,
            body["detail"],
            code if isinstance(code, str) and code else f"http_{response.status_code}",
            {key: value for key, value in body.items() if key not in {"detail", "code", "message"}},
        )
    return ServerRejectedError(response.status_code, response.text[:300], f"http_{response.status_code}")
