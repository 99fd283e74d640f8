"""What travels over the link between a city hall and the edge, read by both ends.

The city hall connects out (WebSocket, `Authorization: Bearer KEY`) to LINK_PATH and speaks first
only after the edge's hello. Messages are JSON objects with a `type`:

edge → city hall
  hello     {"last_event_id": int | null}  where the edge's memory stands (null: it has none)
  request   {"id", "method", "path", "query", "headers": {..}, "body": base64}  a forwarded
            public request (FORWARDED_ROUTES), answered by a `response` with the same id
city hall → edge
  snapshot  {"last_event_id", "tickets": [Held], "queues": {branch: [row]}, "remote": {branch: [service]}}
            everything live today; replaces what the edge held for this city hall
  update    {"last_event_id", "tickets": [Held], "queues": {branch: [row]}}  what changed
  response  {"id", "status", "headers": [[name, value]], "body": base64}

Held = {"token", "branch", "view": holder's ticket view, "events": [event messages of this ticket]}.
Only numbers, statuses, positions, estimates and neutral labels: the holder's view is the one the
server gives the status link (sensitive stops named "notification"), never staff data.
"""

import re
from typing import Final

LINK_PATH: Final = "/_madoguchi/link"
HEALTH_PATH: Final = "/_madoguchi/health"

# Public routes the edge answers by asking the city hall over the link (paths relative to a city
# hall's prefix). Booking pages and appointment routes, the satisfaction survey, remote tickets.
FORWARDED_ROUTES: Final[tuple[tuple[re.Pattern[str], frozenset[str]], ...]] = tuple(
    (re.compile(pattern), frozenset(methods))
    for pattern, methods in (
        (r"/book/[^/]+", {"GET"}),
        (r"/a/[^/]+", {"GET"}),
        (r"/a/[^/]+/qr\.svg", {"GET"}),
        (r"/api/v1/branches/[^/]+/appointments(/[^/]+)*", {"GET", "POST", "DELETE"}),
        (r"/api/v1/appointments/[^/]+(/[^/]+)*", {"GET", "POST", "DELETE"}),
        (r"/api/v1/tickets/[^/]+/satisfaction", {"GET", "POST"}),
        (r"/api/v1/tickets/[^/]+/email-notice", {"POST", "DELETE"}),
        (r"/api/v1/branches/[^/]+/remote-tickets", {"POST"}),
        (r"/static/appointments/[A-Za-z0-9_./-]+", {"GET"}),
    )
)

# Request headers a forwarded request may carry to the city hall; never credentials or cookies.
FORWARDED_REQUEST_HEADERS: Final = frozenset(
    {"accept", "accept-language", "content-type", "idempotency-key", "if-none-match"}
)
# Response headers brought back; never cookies.
FORWARDED_RESPONSE_HEADERS: Final = frozenset(
    {
        "cache-control",
        "content-language",
        "content-security-policy",
        "content-type",
        "etag",
        "idempotent-replayed",
        "location",
        "referrer-policy",
        "retry-after",
        "x-content-type-options",
    }
)
# The city hall knows a request came over its own link by this header, which the link sets and
# the edge never passes through from the internet (remote queueing requires it).
EDGE_KEY_HEADER: Final = "madoguchi-edge-key"
# The phone's address as the edge saw it, set by the link next to the key: the city hall limits
# public bookings per phone, not per edge (server/appointments/router.py).
EDGE_CLIENT_HEADER: Final = "madoguchi-edge-client"
MAX_FORWARDED_BODY_BYTES: Final = 64 * 1024


def is_forwarded(method: str, path: str) -> bool:
    return any(pattern.fullmatch(path) and method in methods for pattern, methods in FORWARDED_ROUTES)
