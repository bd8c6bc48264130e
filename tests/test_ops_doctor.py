"""``newsbrief doctor`` against the fake Slack and the fake Discord (tests/slack, tests/discord),
a loopback feed and a real database: a healthy setup passes, and each seeded fault (a
wrong token, a missing scope, the Message Content intent, a wrong database URL, an
unreachable feed, the HTTP port taken) is named with its fix and exits 1.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from bot.cli import main
from bot.errors import NewsbriefError
from bot.server import HttpServer
from bot.store import Store
from bot.store.records import FeedState
from bot.store.sources import OPERATOR, Via
from tests.discord.fake.server import FakeDiscord
from tests.slack.fake_slack import FakeSlack
from tests.slack.rig import SIGNING_SECRET, TEAM

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title>
<item><title>One</title><link>https://news.example/1</link><description>x</description></item>
</channel></rss>"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def feed_url() -> AsyncIterator[str]:
    async def feed(_: web.Request) -> web.Response:
        return web.Response(body=FEED, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/feed.xml"
    await runner.cleanup()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.add_workspace(TEAM, "Daily Planet")
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def discord() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    yield fake
    await fake.close()


@pytest.fixture
def healthy(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    slack: FakeSlack,
    discord: FakeDiscord,
    feed_url: str,
) -> dict[str, str]:
    """A deployment with nothing wrong: every check's happy path."""
    import os

    for name in list(os.environ):
        if name.startswith(("NEWSBRIEF_", "SLACK_", "DISCORD_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env
    url = f"sqlite:///{tmp_path / 'nb.db'}"
    env = {
        "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
        "NEWSBRIEF_DATABASE_URL": url,
        "NEWSBRIEF_SECRET_KEY": Fernet.generate_key().decode(),
        "NEWSBRIEF_ALLOW_PRIVATE_HOSTS": "true",
        "NEWSBRIEF_HTTP_PORT": str(free_port()),
        "SLACK_BOT_TOKEN": slack.workspaces[TEAM].bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "NEWSBRIEF_SLACK_API_URL": slack.api_url,
        **discord.env(),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with Store.open(url) as store:
        store.save_feed(FeedState(url=feed_url), Via(owner=OPERATOR))
    return env


async def doctor(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await asyncio.to_thread(main, ["doctor", *argv], out)
    return code, out.getvalue()


def row(table: str, check: str, status: str) -> str:
    """The table's line for ``check`` with ``status`` (fails if there is none)."""
    found = [line for line in table.splitlines() if line.startswith(check) and status in line]
    assert found, f"no {status} row for {check}:\n{table}"
    return found[0]


async def test_a_healthy_setup_passes(healthy: dict[str, str], feed_url: str) -> None:
    code, table = await doctor()
    assert code == 0, table
    assert "PROBLEM" not in table and table.rstrip().endswith("no problems found")
    checks = ["settings", "database", "migrations", "slack bot token", "slack scopes"]
    checks += ["discord token", "discord intents", "http port", "feed", "time zones"]
    for check in checks:
        row(table, check, "ok")
    assert healthy["SLACK_BOT_TOKEN"] not in table and healthy["DISCORD_TOKEN"] not in table


async def test_wrong_slack_token(healthy: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-0-wrong-token-000000")
    code, table = await doctor()
    assert code == 1
    line = row(table, "slack bot token", "PROBLEM")
    assert "invalid_auth" in line and "OAuth & Permissions" in line
    assert "xoxb-0-wrong" not in table


async def test_missing_slack_scope(healthy: dict[str, str], slack: FakeSlack) -> None:
    slack.scopes.remove("users:read")
    code, table = await doctor()
    assert code == 1
    line = row(table, "slack scopes", "PROBLEM")
    assert "missing: users:read" in line and "reinstall" in line


async def test_wrong_discord_token_and_missing_intent(
    healthy: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "not-the-token")
    code, table = await doctor()
    assert code == 1 and "HTTP 401" in row(table, "discord token", "PROBLEM")
    monkeypatch.setenv("DISCORD_TOKEN", healthy["DISCORD_TOKEN"])
    monkeypatch.setenv("NEWSBRIEF_DISCORD_MESSAGE_CONTENT", "true")  # the app's flags lack it
    code, table = await doctor()
    assert code == 1 and "Message Content" in row(table, "discord intents", "PROBLEM")


async def test_wrong_database_url(healthy: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", "postgresql://newsbrief:pw@127.0.0.1:1/nb")
    code, table = await doctor()
    assert code == 1
    line = row(table, "database", "PROBLEM")
    assert "does not answer" in line and "NEWSBRIEF_DATABASE_URL" in line
    assert ":pw@" not in table  # the password is never shown


async def test_unreachable_feed(healthy: dict[str, str]) -> None:
    dead = f"http://127.0.0.1:{free_port()}/gone.xml"  # nothing listens there
    with Store.open(healthy["NEWSBRIEF_DATABASE_URL"]) as store:
        store.save_feed(FeedState(url=dead), Via(owner=OPERATOR))
    code, table = await doctor()
    assert code == 1
    line = row(table, "feed", "PROBLEM")
    assert "gone.xml" in line and "remove it" in line


async def test_port_taken_by_another_program(healthy: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", int(healthy["NEWSBRIEF_HTTP_PORT"])))
        s.listen()
        code, table = await doctor()
    assert code == 1 and "in use by another program" in row(table, "http port", "PROBLEM")


async def test_settings_that_do_not_load(
    healthy: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBRIEF_POLL_INTERVAL", "often")
    code, table = await doctor()
    assert code == 1 and "NEWSBRIEF_POLL_INTERVAL" in row(table, "settings", "PROBLEM")


async def test_a_bad_setting_names_its_variable_and_never_shows_a_secret(
    healthy: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-111-222-abc")
    monkeypatch.setenv("NEWSBRIEF_LEADER_RENEW", "20")
    monkeypatch.setenv("NEWSBRIEF_HTTP_PORT", "70000")
    code, table = await doctor()
    assert code == 1
    assert "NEWSBRIEF_HTTP_PORT: Input should be less than or equal to 65535" in table
    assert "xoxb" not in table
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "brief", "x"], capture_output=True, text=True,
        env={**os.environ}, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2 and "xoxb" not in out.stderr and "input_value" not in out.stderr
    assert out.stderr.startswith("newsbrief: error: a setting is not valid: NEWSBRIEF_HTTP_PORT")
    monkeypatch.setenv("NEWSBRIEF_HTTP_PORT", "3000")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "brief", "x"], capture_output=True, text=True,
        env={**os.environ}, timeout=60,
    )  # fmt: skip
    assert "NEWSBRIEF_LEADER_RENEW must be shorter than NEWSBRIEF_LEADER_TTL" in out.stderr
    assert "xoxb" not in out.stderr


async def test_the_server_says_which_setting_stops_it_listening() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(NewsbriefError, match=rf"127.0.0.1:{port} \(NEWSBRIEF_HTTP_HOST"):
            await HttpServer("127.0.0.1", port).start()


async def test_a_misspelt_variable_is_pointed_out(
    healthy: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBRIEF_POLL_INTERVALL", "60")  # silently the default, before
    monkeypatch.setenv("NEWSBRIEF_TEST_DATABASE_URL", "sqlite://")  # the tests' own: known
    code, table = await doctor()
    assert code == 0  # a note, not a problem
    note = row(table, "settings", "note")
    assert "NEWSBRIEF_POLL_INTERVALL (did you mean NEWSBRIEF_POLL_INTERVAL?) sets nothing" in note
    assert "NEWSBRIEF_TEST_DATABASE_URL" not in table


async def test_a_failing_feed_does_not_fail_the_other_feeds_of_its_host(
    healthy: dict[str, str], feed_url: str
) -> None:
    gone = f"http://127.0.0.1:{free_port()}/gone.xml"  # the same host; failing, so first
    with Store.open(healthy["NEWSBRIEF_DATABASE_URL"]) as store:
        store.save_feed(FeedState(url=gone, consecutive_failures=1), Via(owner=OPERATOR))
    code, table = await doctor()
    assert code == 1 and "gone.xml" in row(table, "feed", "PROBLEM")
    assert "feed.xml: HTTP 200" in row(table, "feed", "ok")  # not "asked us to slow down"
