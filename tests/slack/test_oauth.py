"""Many workspaces: bolt's OAuth flow on newsbrief's database, tokens encrypted, uninstall."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import aiohttp
from sqlalchemy import text

from adapters.slack.manifest import bot_scopes
from tests.slack.fake_slack import FakeSlack, fixture
from tests.slack.rig import CHANNEL, MEMBER, TEAM, SlackRig, poll_until

TEAM2, CHANNEL2, USER2 = "T0002", "C0TWO", "U0CLARK"


async def _install(rig: SlackRig, team: str) -> None:
    base = rig.app.server.url
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/slack/install") as resp:
            assert resp.status == 200
            page = await resp.text()
            cookie = resp.headers["Set-Cookie"]
        state = re.search(r"slack-app-oauth-state=([^;]+)", cookie)
        assert state is not None
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page)
        assert link is not None
        query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
        assert query["scope"] == [",".join(bot_scopes())]  # exactly the manifest's scopes
        assert query["state"] == [state.group(1)]
        code = rig.fake.oauth_code(team)
        async with http.get(
            base + "/slack/oauth_redirect",
            params={"code": code, "state": state.group(1)},
            headers={"Cookie": f"slack-app-oauth-state={state.group(1)}"},
        ) as resp:
            assert resp.status == 200, await resp.text()


def _rows(rig: SlackRig, table: str) -> list[tuple[str, str]]:
    with rig.app.store.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT team_id, bot_token FROM {table} ORDER BY team_id"))
        return [(r[0], r[1]) for r in rows]


async def test_install_two_workspaces_each_with_its_own_token_then_uninstall_one(
    fake: FakeSlack, tmp_path: Path
) -> None:
    fake.add_workspace(TEAM2, "Smallville Gazette")
    fake.add_channel(CHANNEL2, TEAM2)
    fake.add_user(USER2, TEAM2, "clark")
    async with SlackRig(fake, tmp_path, mode="http", multi=True) as rig:
        await _install(rig, TEAM)
        await _install(rig, TEAM2)
        assert len(fake.calls_to("oauth.v2.access")) == 2
        for table in ("slack_bots", "slack_installations"):
            rows = _rows(rig, table)
            assert [team for team, _ in rows] == [TEAM, TEAM2]
            for team, stored in rows:  # ciphertext: the database alone yields no token
                plain = fake.workspaces[team].bot_token
                assert plain not in stored and not stored.startswith("xoxb-")
        assert rig.slack.installations is not None
        bot2 = await rig.slack.installations.async_find_bot(enterprise_id=None, team_id=TEAM2)
        assert bot2 is not None and bot2.bot_token == fake.workspaces[TEAM2].bot_token

        await rig.command(USER2, "/brief korea", team=TEAM2, channel=CHANNEL2)
        await rig.command(MEMBER, "/brief strike", team=TEAM, channel=CHANNEL)
        two = await fake.messages.wait_for(lambda m: m.top_level and m.channel == CHANNEL2)
        one = await fake.messages.wait_for(lambda m: m.top_level and m.channel == CHANNEL)
        assert (two.team, one.team) == (TEAM2, TEAM)  # each posted with its own token
        assert "Brief: korea" in two.shown and "Brief: strike" in one.shown

        sent = await rig.say(fixture("event_app_uninstalled.json"), team=TEAM)
        assert sent.status == 200
        await poll_until(  # bolt runs the listener after its ack; bots go first, then installations
            "the tokens deleted",
            lambda: all(
                [t for t, _ in _rows(rig, table)] == [TEAM2]
                for table in ("slack_bots", "slack_installations")
            ),
        )
        assert [t for t, _ in _rows(rig, "slack_bots")] == [TEAM2]
        assert [t for t, _ in _rows(rig, "slack_installations")] == [TEAM2]

        # The uninstalled workspace gets nothing any more; the other goes on.
        posts_before = len(fake.posts(CHANNEL))
        await rig.command(MEMBER, "/brief korea", team=TEAM, channel=CHANNEL)
        await fake.messages.wait_for(lambda m: m.kind == "response_url" and m.user == MEMBER)
        assert len(fake.posts(CHANNEL)) == posts_before
        await rig.command(USER2, "/brief strike", team=TEAM2, channel=CHANNEL2)
        await fake.messages.wait_for(lambda m: m.channel == CHANNEL2 and "strike" in m.shown)
