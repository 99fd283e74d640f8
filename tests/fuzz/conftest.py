"""No speech synthesis here: calls would synthesise announcements that only burn CPU."""

from tests.realtime.conftest import settings

__all__ = ["settings"]
