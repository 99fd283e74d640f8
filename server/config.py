"""Process settings, read once from MADOGUCHI_* environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config" / "demo_city_hall.yaml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MADOGUCHI_", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'madoguchi.db'}"
    config_path: Path = DEFAULT_CONFIG_PATH
    # Base of links printed on tickets (QR). Unset: the URL the request came in on. Set it when
    # citizens' phones reach the server under another name than the kiosk does.
    public_base_url: str | None = None
    staff_session_hours: int = 12
    # Recent completed stops used to estimate service time per service.
    estimate_sample_size: int = 20
    audio_cache_dir: Path = PROJECT_ROOT / "var" / "audio"
    # Demo and drills only: issue tickets at any hour (a real city hall keeps this off).
    ignore_hours: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
