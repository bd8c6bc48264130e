"""Settings, read from ``NEWSBRIEF_*`` environment variables or a ``.env`` file.

Platform tokens arrive with the Slack and Discord adapters, as ``SecretStr`` so
that a repr or a log line never shows them.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import __version__


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("newsbrief", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSBRIEF_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""  # empty: a SQLite file in data_dir

    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'newsbrief.db'}"

    # Fetching
    allow_private_hosts: bool = False  # lift the SSRF guard, for local tests and demos only
    user_agent: str = (
        f"newsbrief/{__version__} (+https://github.com/newsbrief/newsbrief; news digest bot)"
    )
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    per_host_concurrency: int = 2

    # Digests
    digest_grace_period_s: int = 3 * 3600


def get_settings() -> Settings:
    return Settings()
