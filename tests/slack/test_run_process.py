"""`newsbrief run` as a real process with Slack configured, against the fake Slack.

It keeps running after its standard input closes, takes commands, and on SIGTERM
finishes the command in flight and exits 0. It runs at debug level, where
slack-sdk logs request and response bodies, and no token or secret appears in
anything it printed.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from cryptography.fernet import Fernet

from tests.slack.fake_slack import FakeSlack
from tests.slack.rig import CHANNEL, MEMBER, SIGNING_SECRET, TEAM, command_fields, signed_headers

ROOT = Path(__file__).resolve().parents[2]
DRIVER = (
    "import logging, sys; "
    "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, "
    "format='%(levelname)s %(name)s: %(message)s'); "
    "from bot.cli import main; sys.exit(main(sys.argv[1:]))"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(fake: FakeSlack, tmp_path: Path, mode: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBRIEF_", "SLACK_"))}
    env |= {
        "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
        "NEWSBRIEF_DATABASE_URL": "",
        "NEWSBRIEF_SLACK_API_URL": fake.api_url,
        "NEWSBRIEF_HTTP_PORT": str(port),
        "NEWSBRIEF_SECRET_KEY": Fernet.generate_key().decode(),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PYTHONPATH": str(ROOT),
    }
    if mode == "oauth-socket":
        env |= {
            "SLACK_CLIENT_ID": fake.client_id,
            "SLACK_CLIENT_SECRET": fake.client_secret,
            "SLACK_APP_TOKEN": fake.app_token,
        }
    else:
        env["SLACK_BOT_TOKEN"] = fake.workspaces[TEAM].bot_token
    return env


async def _install(base: str, fake: FakeSlack) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/slack/install") as resp:
            state = re.search(r"slack-app-oauth-state=([^;]+)", resp.headers["Set-Cookie"])
        assert state is not None
        params = {"code": fake.oauth_code(TEAM), "state": state.group(1)}
        cookie = {"Cookie": f"slack-app-oauth-state={state.group(1)}"}
        async with http.get(base + "/slack/oauth_redirect", params=params, headers=cookie) as r:
            assert r.status == 200


async def _command(fake: FakeSlack, mode: str, base: str, line: str) -> None:
    name, _, text = line.partition(" ")
    fields = command_fields(fake, name, text, user=MEMBER, team=TEAM, channel=CHANNEL)
    if mode == "oauth-socket":
        envelope = await fake.push("slash_commands", fields)
        await fake.acks.wait_for(lambda a: a.envelope_id == envelope)
        return
    body = urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed_headers(body)}
    async with (
        aiohttp.ClientSession() as http,
        http.post(base + "/slack/events", data=body, headers=headers) as resp,
    ):
        assert resp.status == 200


@pytest.mark.parametrize("mode", ["token-http", "oauth-socket"])
async def test_run_serves_slack_until_sigterm_and_logs_no_secret(
    fake: FakeSlack, tmp_path: Path, mode: str
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        DRIVER,
        "run",
        "--console",  # the console too: its input is closed at once, and run goes on
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(fake, tmp_path, mode, port),
        cwd=tmp_path,
    )
    output = asyncio.gather(proc.stdout.read(), proc.stderr.read())  # type: ignore[union-attr]
    try:
        if mode == "oauth-socket":
            await fake.hellos.wait_for(lambda _: True, timeout=60)
            await _install(base, fake)
        else:
            await fake.calls.wait_for(lambda c: c.method == "auth.test", timeout=60)
        await _command(fake, mode, base, "/brief strike")
        await fake.messages.wait_for(lambda m: m.top_level and "Brief: strike" in m.shown)
        assert proc.returncode is None  # stdin closed long ago; still serving
        await _command(fake, mode, base, "/brief korea")
        proc.send_signal(signal.SIGTERM)  # right after the ack: the brief is in flight
        code = await asyncio.wait_for(proc.wait(), timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    out, err = (b.decode(errors="replace") for b in await output)
    assert code == 0, err[-3000:]
    assert any("Brief: korea" in m.shown for m in fake.posts(CHANNEL))  # finished, not dropped
    assert "Traceback" not in err
    assert "Sending a request" in err and "Received the following response" in err  # debug on
    assert "will be unused" not in err  # bolt's own read of SLACK_BOT_TOKEN: the same token
    secrets = [
        fake.workspaces[TEAM].bot_token,
        fake.app_token,
        SIGNING_SECRET,
        fake.client_secret,
    ]
    for secret in secrets:
        assert secret not in out + err, f"a secret leaked into the logs ({secret[:5]}…)"
    if mode == "oauth-socket":  # oauth.v2.access answered with the token, logged scrubbed
        assert "'access_token': '[redacted]'" in err


async def test_run_says_where_it_looked_for_slack(fake: FakeSlack, tmp_path: Path) -> None:
    env = _env(fake, tmp_path, "http", _free_port())
    env["NEWSBRIEF_SLACK_API_URL"] = f"http://127.0.0.1:{_free_port()}/api/"  # nothing there
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--no-console",
        stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2  # a setting to fix, not an internal error
    said = err.decode()
    assert (
        f"cannot reach Slack at {env['NEWSBRIEF_SLACK_API_URL']} (NEWSBRIEF_SLACK_API_URL)" in said
    )
    assert "Traceback" not in said and env["SLACK_BOT_TOKEN"] not in said
