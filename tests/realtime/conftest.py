"""Realtime tests run without speech synthesis unless it is what they test (it only burns CPU)."""

from pathlib import Path

import pytest

from server.config import Settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, audio_cache_dir=tmp_path / "audio", announcement_prefetch=False)
