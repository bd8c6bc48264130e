"""``newsbrief doctor``: check a deployment before users find what is wrong.

Each check gives findings: ok, a note, or a problem with the fix. The checks:
the settings; the database (it answers, its migration level); each configured
platform's tokens against its API (Slack ``auth.test`` and the scopes it grants
against ``adapters/slack/manifest.yml``; Discord ``/users/@me`` and the Message
Content intent from ``/oauth2/applications/@me``); the HTTP port; a sample of the
feeds; the time-zone data. The platforms' API base URLs come from the settings, so
tests point doctor at loopback fakes. Platform APIs are called with plain httpx:
the core imports no platform SDK (the manifest is read from the adapter's file,
like ``newsbrief slack manifest`` does).
"""

from __future__ import annotations

import asyncio
import os
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import httpx
from pydantic import ValidationError

from bot.config import Settings, setting_problems, unknown_variables

Status = Literal["ok", "note", "problem"]
TIMEOUT_S = 10.0
# Discord application flags (developer docs, "Application Flags").
MESSAGE_CONTENT = 1 << 18
MESSAGE_CONTENT_LIMITED = 1 << 19
ZONE_PROBES = ("UTC", "Europe/London", "America/New_York", "Asia/Seoul")


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: Status
    detail: str
    fix: str = ""


def ok(check: str, detail: str) -> Finding:
    return Finding(check, "ok", detail)


def problem(check: str, detail: str, fix: str) -> Finding:
    return Finding(check, "problem", detail, fix)


# ---------------------------------------------------------------- settings
def load_settings() -> tuple[Settings | None, list[Finding]]:
    try:
        settings = Settings()
    except ValidationError as exc:
        fix = "correct it in .env or the environment (see .env.example)"
        return None, [problem("settings", p, fix) for p in setting_problems(exc)]
    return settings, settings_findings(settings)


def settings_findings(settings: Settings) -> list[Finding]:
    found = [ok("settings", "loaded")]
    found += [
        Finding("settings", "note", f"{name} sets nothing", "check its spelling")
        for name in unknown_variables(os.environ)
    ]
    if settings.secret_key is not None:
        from bot.crypto import SecretBox

        try:
            SecretBox(settings.secret_key.get_secret_value().encode())
        except Exception:
            found.append(
                problem(
                    "secret key",
                    "NEWSBRIEF_SECRET_KEY is not a Fernet key",
                    "generate one: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())' (a new key can't read old secrets)",
                )
            )
    elif not (settings.data_dir / "secret.key").exists():
        found.append(Finding("secret key", "note", "generated on first run into the data dir"))
    if (
        settings.slack_configured
        and not settings.slack_app_token
        and not (settings.slack_signing_secret)
    ):
        found.append(
            problem(
                "slack",
                "HTTP mode (no SLACK_APP_TOKEN) needs SLACK_SIGNING_SECRET",
                "copy the Signing Secret from Basic Information, or use Socket Mode",
            )
        )
    if settings.allow_private_hosts:
        found.append(
            Finding("settings", "note", "NEWSBRIEF_ALLOW_PRIVATE_HOSTS is on (tests/demos only)")
        )
    return found


# ---------------------------------------------------------------- database
def database_findings(settings: Settings) -> list[Finding]:
    from sqlalchemy import text

    from bot.store import create_store_engine
    from bot.store.migrate import current_revision, head_revision, is_known_revision

    try:
        engine = create_store_engine(settings.effective_database_url())
    except Exception as exc:
        return [problem("database", str(exc), "set NEWSBRIEF_DATABASE_URL to sqlite or postgresql")]
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        return [
            problem(
                "database",
                f"{where} does not answer: {reason}",
                "check NEWSBRIEF_DATABASE_URL (host, port, user, password, database name)",
            )
        ]
    finally:
        engine.dispose()
    found = [ok("database", f"{where} answers")]
    head = head_revision()
    if current == head:
        found.append(ok("migrations", f"at head ({head})"))
    elif current is not None and not is_known_revision(current):
        found.append(
            problem(
                "migrations",
                f"at {current}, newer than this release",
                "upgrade newsbrief to the release that migrated it",
            )
        )
    else:
        found.append(
            problem(
                "migrations",
                f"at {current or 'nothing (empty)'}, head is {head}",
                "run newsbrief db upgrade (newsbrief run also does it at start-up)",
            )
        )
    return found


# ---------------------------------------------------------------- platforms
def slack_scopes() -> tuple[str, ...]:
    from adapters.slack.manifest import bot_scopes

    return bot_scopes()


async def slack_findings(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    api = settings.slack_api_url.rstrip("/") + "/"
    found: list[Finding] = []
    if settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
        resp = await http.post(api + "auth.test", headers={"Authorization": f"Bearer {token}"})
        body = (
            resp.json()
            if resp.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if not body.get("ok"):
            found.append(
                problem(
                    "slack bot token",
                    f"Slack refused SLACK_BOT_TOKEN ({body.get('error') or resp.status_code})",
                    "copy the Bot User OAuth Token (xoxb-...) from OAuth & Permissions",
                )
            )
        else:
            found.append(
                ok("slack bot token", f"workspace {body.get('team')} as {body.get('user')}")
            )
            granted = {s.strip() for s in resp.headers.get("x-oauth-scopes", "").split(",") if s}
            missing = [s for s in slack_scopes() if s not in granted]
            if missing:
                found.append(
                    problem(
                        "slack scopes",
                        "missing: " + ", ".join(missing),
                        "add them under OAuth & Permissions (or recreate the app from "
                        "`newsbrief slack manifest`), then reinstall the app",
                    )
                )
            else:
                found.append(ok("slack scopes", "all the manifest's bot scopes"))
    elif settings.slack_client_id:
        found.append(Finding("slack bot token", "note", "OAuth installs: tokens per workspace"))
    if settings.slack_app_token is not None:
        token = settings.slack_app_token.get_secret_value()
        resp = await http.post(
            api + "apps.connections.open", headers={"Authorization": f"Bearer {token}"}
        )
        body = resp.json() if resp.is_success else {}
        if body.get("ok"):
            found.append(ok("slack app token", "Socket Mode connections open"))
        else:
            found.append(
                problem(
                    "slack app token",
                    f"Slack refused SLACK_APP_TOKEN ({body.get('error') or resp.status_code})",
                    "make an app-level token with connections:write under Basic Information",
                )
            )
    return found


async def discord_findings(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    assert settings.discord_token is not None
    api = settings.discord_api_url.rstrip("/")
    auth = {"Authorization": f"Bot {settings.discord_token.get_secret_value()}"}
    me = await http.get(api + "/users/@me", headers=auth)
    if me.status_code != 200:
        return [
            problem(
                "discord token",
                f"Discord refused DISCORD_TOKEN (HTTP {me.status_code})",
                "Reset Token on the developer portal's Bot page and set DISCORD_TOKEN to it",
            )
        ]
    found = [ok("discord token", f"bot {me.json().get('username')}")]
    app = await http.get(api + "/oauth2/applications/@me", headers=auth)
    flags = int(app.json().get("flags") or 0) if app.status_code == 200 else 0
    enabled = bool(flags & (MESSAGE_CONTENT | MESSAGE_CONTENT_LIMITED))
    if settings.discord_message_content and not enabled:
        found.append(
            problem(
                "discord intents",
                "NEWSBRIEF_DISCORD_MESSAGE_CONTENT is true, but the Message Content intent "
                "is off (Discord closes the gateway with 4014)",
                "turn on Message Content Intent on the Bot page, or set it false",
            )
        )
    elif enabled and not settings.discord_message_content:
        found.append(
            Finding(
                "discord intents",
                "note",
                "Message Content is on: NEWSBRIEF_DISCORD_MESSAGE_CONTENT=true lets plain "
                "replies in threads be answered",
            )
        )
    else:
        found.append(ok("discord intents", "as configured"))
    return found


async def _guarded(check: str, run: Awaitable[list[Finding]]) -> list[Finding]:
    try:
        return await run
    except httpx.HTTPError as exc:
        reason = f"no answer: {type(exc).__name__}: {exc}"
        return [problem(check, reason, "check the network, and the API URL if you changed it")]


# ---------------------------------------------------------------- time zones
def zone_findings() -> list[Finding]:
    try:
        for name in ZONE_PROBES:
            zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        fix = "install the tzdata package (pip install tzdata, or apt-get install tzdata)"
        return [problem("time zones", f"no time-zone data ({exc})", fix)]
    return [ok("time zones", f"{len(zoneinfo.available_timezones())} zones")]


# ---------------------------------------------------------------- all of it
async def diagnose(
    feeds: int = 5, load: Callable[[], tuple[Settings | None, list[Finding]]] = load_settings
) -> list[Finding]:
    settings, found = load()
    if settings is None:
        return found  # nothing else can be read without the settings
    found += await asyncio.to_thread(database_findings, settings)
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as http:
        if settings.slack_configured:
            found += await _guarded("slack", slack_findings(settings, http))
        if settings.discord_configured:
            found += await _guarded("discord", discord_findings(settings, http))
    from bot.doctor_net import feed_findings, http_port_findings

    found += await asyncio.to_thread(http_port_findings, settings)
    found += await feed_findings(settings, feeds)
    found += zone_findings()
    return found


def table(found: list[Finding]) -> str:
    """Check, status, detail and fix, in aligned columns; problems say how to fix them."""
    rows = [("CHECK", "STATUS", "DETAIL", "FIX")] + [
        (f.check, f.status.upper() if f.status == "problem" else f.status, f.detail, f.fix)
        for f in found
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in rows
    ]
    problems = sum(1 for f in found if f.status == "problem")
    lines.append("")
    plural = "s" if problems != 1 else ""
    lines.append(f"{problems} problem{plural} found" if problems else "no problems found")
    return "\n".join(line.rstrip() for line in lines) + "\n"
