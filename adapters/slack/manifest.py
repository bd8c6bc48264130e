"""The Slack app manifest (manifest.yml beside this file): the one list of scopes,
commands and events. OAuth installs ask for exactly its scopes; tests check that
the adapter listens to exactly its commands and events."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.errors import BadInputError

MANIFEST = Path(__file__).with_name("manifest.yml")
EVENTS_PATH = "/slack/events"  # commands and events, on newsbrief's server (HTTP mode)
INSTALL_PATH = "/slack/install"  # OAuth: many workspaces
REDIRECT_PATH = "/slack/oauth_redirect"


@cache
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return data


def bot_scopes() -> tuple[str, ...]:
    return tuple(manifest()["oauth_config"]["scopes"]["bot"])


def commands() -> tuple[str, ...]:
    return tuple(c["command"].lstrip("/") for c in manifest()["features"]["slash_commands"])


def bot_events() -> tuple[str, ...]:
    return tuple(manifest()["settings"]["event_subscriptions"]["bot_events"])


def render_manifest(request_url: str | None = None) -> str:
    """The manifest as YAML: as written (Socket Mode), or for HTTP mode at ``request_url``."""
    if request_url is None:
        return MANIFEST.read_text(encoding="utf-8")
    base = request_url.rstrip("/")
    if not base.startswith("https://"):
        raise BadInputError(
            "Slack sends requests only to https:// URLs: give --request-url https://…"
        )
    data = manifest()
    data = {**data, "features": dict(data["features"]), "settings": dict(data["settings"])}
    data["features"]["slash_commands"] = [
        {**c, "url": base + EVENTS_PATH} for c in data["features"]["slash_commands"]
    ]
    data["oauth_config"] = {**data["oauth_config"], "redirect_urls": [base + REDIRECT_PATH]}
    data["settings"]["event_subscriptions"] = {
        **data["settings"]["event_subscriptions"],
        "request_url": base + EVENTS_PATH,
    }
    data["settings"]["socket_mode_enabled"] = False
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
