"""Many workspaces: slack-bolt's OAuth flow on slack-sdk's SQLAlchemy stores, tokens encrypted.

The stores are slack-sdk's own, on newsbrief's database (tables from migration
0004), with two changes made here:

- every token column is a ``SecretBox`` type, so what is written is Fernet
  ciphertext and the database alone never yields a usable token;
- the async methods bolt's ``AsyncApp`` calls run the synchronous store in a
  worker thread, like every other store call in newsbrief. slack-sdk's
  ``AsyncSQLAlchemy*`` variants would need an async driver (aiosqlite) and a
  second engine on the same database for the same few queries.

Single-workspace installs (``SLACK_BOT_TOKEN``) use ``StaticTokens`` instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.logger import get_bolt_logger
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Dialect, Engine, Text
from sqlalchemy.types import TypeDecorator

from adapters.slack.manifest import INSTALL_PATH, REDIRECT_PATH, bot_scopes
from bot.config import Settings
from bot.crypto import SecretBox
from bot.errors import NewsbriefError

SECRET_COLUMNS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)


class SlackConfigError(NewsbriefError):
    """Settings that cannot work, or a token Slack refuses; says which one and what to do."""


class NotInstalledError(NewsbriefError):
    """No bot token for that workspace: newsbrief was never installed there, or removed."""


class EncryptedText(TypeDecorator[str]):
    """A string column stored as ``SecretBox`` ciphertext, plain text to its callers."""

    impl = Text
    cache_ok = True

    def __init__(self, box: SecretBox) -> None:
        super().__init__()
        self.box = box

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.box.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.box.decrypt(value)


class InstallationStore(SQLAlchemyInstallationStore, AsyncInstallationStore):
    """slack-sdk's SQLAlchemy installation store, encrypted, callable from asyncio."""

    def __init__(self, client_id: str, engine: Engine, box: SecretBox) -> None:
        super().__init__(client_id=client_id, engine=engine)
        for table in (self.installations, self.bots):
            for name in SECRET_COLUMNS:
                if name in table.c:
                    table.c[name].type = EncryptedText(box)

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await asyncio.to_thread(
            self.delete_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete_all, enterprise_id=enterprise_id, team_id=team_id)


class StateStore(SQLAlchemyOAuthStateStore, AsyncOAuthStateStore):
    """slack-sdk's SQLAlchemy OAuth state store, callable from asyncio."""

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.consume, state)


# ------------------------------------------------------------------ tokens
@dataclass(frozen=True, slots=True)
class BotIdentity:
    token: str
    user_id: str | None


class Tokens(Protocol):
    """Where the adapter gets a workspace's bot token to call the Web API with."""

    async def bot(self, team_id: str | None) -> BotIdentity: ...


class StaticTokens:
    """One workspace: the configured ``SLACK_BOT_TOKEN`` (and its user id from auth.test)."""

    def __init__(self, token: str) -> None:
        self._token = token
        self.user_id: str | None = None

    async def bot(self, team_id: str | None) -> BotIdentity:
        return BotIdentity(self._token, self.user_id)


class InstalledTokens:
    """Many workspaces: each team's bot token, read (and decrypted) from the store."""

    def __init__(self, store: InstallationStore) -> None:
        self._store = store

    async def bot(self, team_id: str | None) -> BotIdentity:
        if team_id is None:
            raise NotInstalledError(
                "newsbrief runs for several workspaces here, and this channel's is not known"
            )
        found = await self._store.async_find_bot(enterprise_id=None, team_id=team_id)
        if found is None or not found.bot_token:
            raise NotInstalledError(
                f"newsbrief is not installed in workspace {team_id}: install it again "
                f"from {INSTALL_PATH}"
            )
        return BotIdentity(found.bot_token, found.bot_user_id)


def oauth_settings(
    *,
    client_id: str,
    client_secret: str,
    scopes: Sequence[str],
    engine: Engine,
    box: SecretBox,
    client: AsyncWebClient,
) -> tuple[AsyncOAuthSettings, InstallationStore, AsyncInstallationStoreAuthorize]:
    """Bolt's OAuth settings on newsbrief's database, and the authorizer that reads it."""
    installations = InstallationStore(client_id, engine, box)
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=StateStore(expiration_seconds=600, engine=engine),
    )
    authorize = AsyncInstallationStoreAuthorize(
        installation_store=installations,
        client_id=client_id,
        client_secret=client_secret,
        bot_only=True,
        cache_enabled=True,  # auth.test once per token, not once per event
        client=client,
        logger=logging.getLogger("slack_bolt.AsyncInstallationStoreAuthorize"),
    )
    return settings, installations, authorize


# ------------------------------------------------------------------ the bolt app
def secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


@dataclass(frozen=True, slots=True)
class Wiring:
    """The bolt app, the one Web API client, and where tokens come from."""

    app: AsyncApp
    client: AsyncWebClient
    tokens: Tokens
    installations: InstallationStore | None


class _SameToken(logging.Filter):
    """slack-bolt reads SLACK_BOT_TOKEN from the environment itself and, given our client
    (made with that very token), warns at every start that its own is unused: noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


get_bolt_logger(AsyncApp).addFilter(_SameToken())


def build_app(
    settings: Settings, *, http: bool, engine: Engine | None, box: SecretBox | None
) -> Wiring:
    """One workspace (``SLACK_BOT_TOKEN``) or many (OAuth), on slack-sdk's async client."""
    signing_secret = secret(settings.slack_signing_secret)
    if http and not signing_secret:
        raise SlackConfigError(
            "Slack over HTTP needs SLACK_SIGNING_SECRET (Basic Information → App "
            "Credentials), or set SLACK_APP_TOKEN to use Socket Mode instead"
        )
    base_url = settings.slack_api_url.rstrip("/") + "/"
    retry: list[AsyncRetryHandler] = [AsyncRateLimitErrorRetryHandler(max_retry_count=3)]
    common: dict[str, Any] = {
        "signing_secret": signing_secret or "",
        "request_verification_enabled": http,  # Socket Mode has no signatures to check
        "process_before_response": False,  # answer Slack as soon as the listener acks
        "raise_error_for_unhandled_request": False,
    }
    if settings.slack_client_id and settings.slack_client_secret:
        if engine is None or box is None:
            raise SlackConfigError("many-workspace Slack needs the store and its secret key")
        client = AsyncWebClient(base_url=base_url, retry_handlers=retry)
        oauth, installations, authorize = oauth_settings(
            client_id=settings.slack_client_id,
            client_secret=str(secret(settings.slack_client_secret)),
            scopes=bot_scopes(),
            engine=engine,
            box=box,
            client=client,
        )
        app = AsyncApp(
            client=client,
            oauth_settings=oauth,
            installation_store=installations,
            authorize=authorize,  # type: ignore[arg-type]  # an AsyncAuthorize is accepted
            installation_store_bot_only=True,
            **common,
        )
        return Wiring(app, client, InstalledTokens(installations), installations)
    token = secret(settings.slack_bot_token)
    if not token:
        raise SlackConfigError(
            "Slack needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (many)"
        )
    client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry)
    return Wiring(AsyncApp(client=client, **common), client, StaticTokens(token), None)
