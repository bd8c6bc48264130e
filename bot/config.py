"""Settings, read from ``NEWSBRIEF_*`` environment variables or a ``.env`` file.

Secrets are ``SecretStr``, so that a repr or a log line never shows them. Platform
tokens also answer to the names the platforms' own docs use (``SLACK_BOT_TOKEN``,
``DISCORD_TOKEN``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import __version__


def _platform_secret(name: str) -> SecretStr | None:
    """A secret read as ``NAME`` (the platform's own spelling) or ``NEWSBRIEF_NAME``."""
    return Field(default=None, validation_alias=AliasChoices(name, f"NEWSBRIEF_{name}"))  # type: ignore[no-any-return]


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

    # The operator's sources, shared by every workspace: an OPML file, or feed URLs
    # separated by commas. `newsbrief run` registers them at start-up (bot.news.adding).
    feeds: str = ""
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

    # Secrets at rest (feed credentials, platform tokens): a Fernet key. Unset, one is
    # generated on first use into data_dir/secret.key (mode 0600), apart from the database.
    secret_key: SecretStr | None = None

    # newsbrief's own HTTP server (Slack events and OAuth; health and metrics)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port (tests)

    # Which adapters run: the console only when no platform is configured, or when asked.
    console: bool | None = None  # None: decide from the platforms configured

    # Slack
    slack_bot_token: SecretStr | None = _platform_secret("SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = _platform_secret("SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = _platform_secret("SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "NEWSBRIEF_SLACK_CLIENT_ID")
    )
    slack_client_secret: SecretStr | None = _platform_secret("SLACK_CLIENT_SECRET")
    slack_api_url: str = "https://slack.com/api/"
    slack_managers: str = ""  # user ids or a user group id, comma separated

    # Discord
    discord_token: SecretStr | None = _platform_secret("DISCORD_TOKEN")
    discord_api_url: str = "https://discord.com/api/v10"
    discord_gateway_url: str = ""  # empty: the one /gateway/bot names
    discord_guild_ids: str = ""  # comma separated: guild-scoped command sync, for development
    discord_message_content: bool = False  # the privileged Message Content intent is enabled
    discord_shards: str = ""  # "", "auto" or a number

    # Operations: polling, several instances, retention, logs (see bot/poller.py,
    # bot/leader.py, bot/store/retention.py, bot/logs.py).
    poll_interval: int = Field(default=900, ge=1)  # s between two polls of a feed (at least)
    feed_lease_s: float = Field(default=120.0, gt=0)  # a claimed feed stays claimed this long
    leader_ttl: float = Field(default=15.0, gt=0)  # the leader lease's time to live, in s
    leader_renew: float = Field(default=5.0, gt=0)  # how often the leader renews it, in s
    retention_days: int = Field(default=30, ge=0)  # 0: keep everything (no pruning)
    thread_days: int = Field(default=14, ge=1)  # follow-ups answered this long after a post
    retention_interval: float = Field(default=3600.0, gt=0)  # s between two leader rounds
    log_format: Literal["plain", "json"] = "plain"

    @model_validator(mode="after")
    def _renewal_fits_the_ttl(self) -> Settings:
        if self.leader_renew >= self.leader_ttl:
            raise ValueError("NEWSBRIEF_LEADER_RENEW must be shorter than NEWSBRIEF_LEADER_TTL")
        return self

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token or (self.slack_client_id and self.slack_client_secret))

    @property
    def discord_configured(self) -> bool:
        return self.discord_token is not None

    def console_enabled(self) -> bool:
        if self.console is not None:
            return self.console
        return not (self.slack_configured or self.discord_configured)


def get_settings() -> Settings:
    return Settings()


def setting_problems(exc: ValidationError) -> list[str]:
    """Each invalid setting as "NAME: what is wrong", by the variable a person sets, and
    never its value: pydantic's own text echoes the input, a secret's first letters too."""
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = str(err["loc"][0]) if err["loc"] else ""
        msg, name = err["msg"].removeprefix("Value error, "), env_name(loc)
        out.append(f"{name}: {msg}" if name else msg)
    return out


def env_name(field: str) -> str:
    """The variable that sets ``field``: its alias (SLACK_BOT_TOKEN), else NEWSBRIEF_*."""
    if not field or field.isupper():  # empty (the whole model), or an alias already
        return field
    alias = (
        Settings.model_fields[field].validation_alias if field in Settings.model_fields else None
    )
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"NEWSBRIEF_{field.upper()}"


# Read outside Settings: the test suite's PostgreSQL (tests/conftest.py).
OTHER_VARIABLES = frozenset({"NEWSBRIEF_TEST_DATABASE_URL"})


def known_variables() -> frozenset[str]:
    """Every NEWSBRIEF_* (and platform) variable newsbrief reads."""
    names: set[str] = set(OTHER_VARIABLES)
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        names |= {str(a) for a in alias.choices} if isinstance(alias, AliasChoices) else set()
        names.add(f"NEWSBRIEF_{field.upper()}")
    return frozenset(names)


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """NEWSBRIEF_* variables that set nothing, each with the one it looks like: a typo
    (NEWSBRIEF_POLL_INTERVALL) is otherwise the default, silently."""
    known = known_variables()
    out = []
    for name in sorted(n for n in environ if n.upper().startswith("NEWSBRIEF_")):
        if name.upper() in known:
            continue
        near = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.8)
        out.append(f"{name} (did you mean {near[0]}?)" if near else name)
    return out
