"""Process settings, read once from MADOGUCHI_* environment variables."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "demo_city_hall.yaml"  # package data in an installed wheel


def default_data_dir() -> Path:
    """Database, audio cache and demo tokens: MADOGUCHI_DATA_DIR; else var/ in a source checkout;
    else the user's data directory (an installed wheel must never write into site-packages)."""
    if configured := os.environ.get("MADOGUCHI_DATA_DIR"):
        return Path(configured)
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "madoguchi"


DATA_DIR = default_data_dir()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MADOGUCHI_", extra="ignore")

    database_url: str = f"sqlite:///{DATA_DIR / 'madoguchi.db'}"
    config_path: Path = DEFAULT_CONFIG_PATH
    # Base of links printed on tickets (QR). Unset: the URL the request came in on. Set it when
    # citizens' phones reach the server under another name than the kiosk does.
    public_base_url: str | None = None
    staff_session_hours: int = 12
    # Recent completed stops used to estimate service time per service.
    estimate_sample_size: int = 20
    audio_cache_dir: Path = DATA_DIR / "audio"
    # WebSockets: a ping keeps proxies from closing idle sockets; the lifetime cap makes every
    # client reconnect now and then, so long-lived sockets do not pin old workers or tokens.
    websocket_heartbeat_seconds: float = 20.0
    websocket_max_lifetime_seconds: float = 3600.0
    # Messages buffered per client; a client that falls this far behind is dropped.
    websocket_queue_size: int = 256
    # A client resuming further back than this gets a fresh snapshot instead of the backlog.
    websocket_replay_limit: int = 1000
    # Embedded default: the event log is also re-read this often, in case a write came from
    # another process (a CLI, a second worker) that could not wake this one.
    event_poll_seconds: float = 2.0
    # PostgreSQL listener: longest wait between reconnect attempts.
    listener_reconnect_max_seconds: float = 10.0
    # Synthesise a call's announcement as soon as its event arrives (and warm each issued
    # number), so the board's request finds it ready. Off: made on the board's request only.
    announcement_prefetch: bool = True
    # The English voice of calls: "auto" takes Festival's HTS voice (Debian festival +
    # festvox-us-slt-hts) when installed, else espeak-ng; "festival" or "espeak-ng" forces one.
    english_voice: Literal["auto", "festival", "espeak-ng"] = "auto"
    # Reverse proxies whose X-Forwarded-For names the real client (comma-separated addresses, or
    # "*"): sign-in throttling counts failures per client address, and behind a proxy every
    # request would otherwise share the proxy's. Only list proxies you run: the header is forgeable.
    trusted_proxies: str = "127.0.0.1"
    # The interactive API documentation at /docs (served from the package, no CDN); off: only
    # the schema at /openapi.json.
    api_docs: bool = True
    # GET /metrics in Prometheus text format (server/observability/metrics.py).
    metrics: bool = False
    # `madoguchi serve` logs one JSON object per line (false: plain text); tokens never appear.
    log_json: bool = True
    # Personal data (a ticket's answers, …) is deleted this many days after the visit; reports
    # keep their counts (server/operations/retention.py). 0 keeps it for ever.
    retention_days: int = 90
    # Demo and drills only: issue tickets at any hour (a real city hall keeps this off).
    ignore_hours: bool = False
    # Simulations and fault drills only (bench/): a fast-forward clock, see server/drill_clock.py.
    # Unset on every real server; a stale value is refused at startup.
    drill_clock: str | None = None
    # The public edge (server/edge/): this server connects out to it and pushes holders' views;
    # its URL (with the city hall's prefix on a shared edge) is where status links point.
    edge_url: str | None = None
    edge_key: str | None = None
    # Several edge replicas behind one public name: each one's own address (comma-separated).
    edge_link_urls: str | None = None
    # Taking a number from the phone, per service and business day: "branch:service=quota,…".
    remote_queueing: str = ""
    # The outbox (server/outbox/): mail and webhooks are sent after the commit by a dispatcher in
    # each server process; a failed delivery is retried after base·2ⁿ seconds (at most max), and
    # after max_attempts it is a dead letter (the admin console can send a webhook again).
    outbox_poll_seconds: float = 1.0
    outbox_max_attempts: int = 15
    outbox_retry_base_seconds: float = 10.0
    outbox_retry_max_seconds: float = 1800.0
    # A process that claimed a delivery and died: another takes it over after this long.
    outbox_lease_seconds: float = 60.0
    # Mail (server/mail/): smtp://host:port, smtp://host:port?starttls=true, smtps://host:port,
    # with optional user:password@. Unset: mails wait in the outbox until it is set.
    smtp_url: str | None = None
    mail_from: str = "madoguchi@localhost"
    smtp_timeout_seconds: float = 20.0
    # E-mail addresses of mails that could not be sent are erased this many days after they
    # were queued (by `madoguchi retention`); a sent mail's address is erased at once.
    mail_retention_days: int = 7
    # "Your turn is near" by e-mail (server/notices/): sent when this many people are ahead.
    notify_ahead: int = Field(default=3, ge=0, le=50)
    # One webhook receiver from the settings (every branch), besides those the admin console adds.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_key_id: str = "settings"
    webhook_timeout_seconds: float = 10.0
    # Single sign-on (server/auth/oidc.py): OpenID Connect, authorization code with PKCE. Unset
    # issuer: off. The provider's discovery document is read from <issuer>/.well-known/….
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    # The ID token's claim naming the role (a string or a list; the highest listed role wins):
    # municipal, contractor, admin, or a group name mapped by oidc_role_map ("窓口職員=municipal,委託=contractor").
    oidc_role_claim: str = "roles"
    oidc_role_map: str = ""
    # Optional claim naming the branch (id) the person works at: the first one listed that this
    # server knows, "*" for every branch; none known → refused. Unset: every branch.
    oidc_branch_claim: str | None = None
    # Password sign-in (local accounts, kept for break-glass); false refuses it.
    local_login: bool = True
    # Public bookings (server/appointments/): at most this many tries per client address within
    # the window (seconds); more → 429 with Retry-After. Staff bookings are not counted.
    booking_limit: int = 10
    booking_window_seconds: float = 600.0

    @model_validator(mode="after")
    def _status_links_at_the_edge(self) -> "Settings":
        if self.public_base_url is None and self.edge_url:
            self.public_base_url = self.edge_url
        return self

    @model_validator(mode="after")
    def _single_sign_on_complete(self) -> "Settings":
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("MADOGUCHI_OIDC_ISSUER is set: set MADOGUCHI_OIDC_CLIENT_ID too")
        from server.auth.oidc import parse_role_map  # here: that module imports this one

        parse_role_map(self.oidc_role_map)
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
