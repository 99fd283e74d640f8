"""Citizen-facing text, from one catalogue (static/i18n.json) shared by the page and the agent.

The page reads the catalogue for its own words; the agent uses it to turn the server's error
codes into a message in the citizen's screen language, so both always say the same thing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parent / "static"
CATALOGUE_PATH = STATIC_DIR / "i18n.json"
DEFAULT_LANGUAGE = "ja"

# Server and kiosk error codes, grouped by what the citizen can do about them. A code not
# listed here shows the server's own detail (it names the problem, in English and Japanese).
ERROR_MESSAGES = {
    "server_unreachable": "system_unavailable",
    "server_error": "system_unavailable",
    "issuing_closed": "issuing_closed",
    "issuing_not_open": "issuing_not_open",
    "issuing_stopped": "issuing_stopped",
    # The menu on screen is older than the server's (an admin changed the catalogue).
    "service_not_found": "menu_changed",
    "life_event_not_found": "menu_changed",
    "unknown_question": "menu_changed",
    "empty_route": "empty_route",
    "not_on_kiosk": "not_on_kiosk",
    "priority_by_staff_only": "ask_staff_priority",
    "priority_not_found": "ask_staff_priority",
    "validation_error": "invalid_request",
    "invalid": "invalid_request",
    "bad_request": "invalid_request",
    "invalid_body": "invalid_request",
    # The kiosk itself is misconfigured or its token was revoked: only staff can fix that.
    "missing_token": "kiosk_unavailable",
    "invalid_token": "kiosk_unavailable",
    "unauthorized": "kiosk_unavailable",
    "forbidden": "kiosk_unavailable",
    "wrong_branch": "kiosk_unavailable",
    "wrong_device": "kiosk_unavailable",
    "branch_not_found": "kiosk_unavailable",
    "nothing_to_reprint": "nothing_to_reprint",
    "reprint_expired": "nothing_to_reprint",
    # Check-in with a booking code (POST /kiosk/check-in).
    "appointment_not_found": "appointment_not_found",
    "invalid_code": "appointment_not_found",
    "appointment_cancelled": "appointment_cancelled",
    "too_early": "appointment_too_early",
    "appointment_missed": "appointment_missed",
}


@cache
def catalogue() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    return loaded


def languages() -> list[str]:
    return list(catalogue()["languages"])


def screen_language(value: object) -> str:
    """The citizen's language if the kiosk speaks it, else Japanese."""
    return value if isinstance(value, str) and value in languages() else DEFAULT_LANGUAGE


def text(key: str, language: str) -> str:
    strings: dict[str, dict[str, str]] = catalogue()["strings"]
    return strings[screen_language(language)].get(key) or strings[DEFAULT_LANGUAGE][key]


def error_message(code: str, language: str, server_detail: object = None) -> str:
    """What to tell the citizen about an error code; unknown codes keep the server's words."""
    key = ERROR_MESSAGES.get(code)
    if key is not None:
        return text(f"error.{key}", language)
    if isinstance(server_detail, str) and server_detail:
        return server_detail
    return text("error.unknown", language)
