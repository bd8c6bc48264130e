"""The manifest asks for exactly what the code uses, and `newsbrief slack manifest` prints it."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from adapters.slack.manifest import bot_events, bot_scopes, commands, manifest
from bot.cli import main
from tests.slack.fake_slack import FakeSlack
from tests.slack.rig import ADMIN, MEMBER, TEAM, SlackRig

# Which scope each Web API method and each event subscription needs (Slack's reference).
METHOD_SCOPES = {
    "auth.test": None,
    "apps.connections.open": None,  # the app-level token's connections:write
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.history": "channels:history",  # groups:history in private channels
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "app_uninstalled": None,
    "tokens_revoked": None,
    "member_joined_channel": "channels:read",  # and groups:read in private channels
}
PRIVATE_CHANNEL_SCOPES = {"groups:read"}  # the second scope of member_joined_channel


def test_scopes_are_exactly_those_of_the_methods_events_and_commands_used() -> None:
    needed = {s for s in [*METHOD_SCOPES.values(), *EVENT_SCOPES.values()] if s} | {"commands"}
    needed |= PRIVATE_CHANNEL_SCOPES
    assert set(bot_scopes()) == needed
    assert set(bot_events()) == set(EVENT_SCOPES)
    assert commands() == ("brief", "digest", "feeds", "newsbrief")
    assert manifest()["settings"]["socket_mode_enabled"] is True
    assert all(c["should_escape"] is False for c in manifest()["features"]["slash_commands"])


async def test_the_adapter_calls_only_methods_the_manifest_covers(
    fake: FakeSlack, tmp_path: Path
) -> None:
    fake.usergroups["S0LEADS"] = [MEMBER]
    async with SlackRig(fake, tmp_path, mode="socket", managers=f"{ADMIN},S0LEADS") as rig:
        await rig.command(MEMBER, "/digest subscribe strike at 07:30")  # a manager by group
        done = await fake.messages.wait_for(lambda m: "Subscribed (#1)" in m.shown)
        assert done.user == MEMBER
        await rig.command(MEMBER, "/brief strike")
        post = await fake.messages.wait_for(lambda m: m.top_level)
        await rig.slack.drain()
        await rig.say(rig.reply_event(post.ts, "how many dockworkers walked out?"))
        await fake.messages.wait_for(lambda m: m.thread_ts == post.ts)
        await rig.slack.find_post(rig.slack_channel(), "no-such-key")
    used = {c.method for c in fake.calls.items}
    assert used <= set(METHOD_SCOPES), used
    assert {"chat.postMessage", "users.info", "usergroups.users.list"} <= used
    assert fake.workspaces[TEAM]  # the one workspace all of it ran in


def test_cli_prints_the_manifest_for_socket_mode_or_a_request_url() -> None:
    out = io.StringIO()
    assert main(["slack", "manifest"], out=out) == 0
    assert yaml.safe_load(out.getvalue()) == manifest()
    out = io.StringIO()
    assert main(["slack", "manifest", "--request-url", "https://news.example.org/"], out=out) == 0
    http = yaml.safe_load(out.getvalue())
    assert http["settings"]["socket_mode_enabled"] is False
    events_url = "https://news.example.org/slack/events"
    assert http["settings"]["event_subscriptions"]["request_url"] == events_url
    assert {c["url"] for c in http["features"]["slash_commands"]} == {events_url}
    assert http["oauth_config"]["redirect_urls"] == [
        "https://news.example.org/slack/oauth_redirect"
    ]
    assert http["oauth_config"]["scopes"] == manifest()["oauth_config"]["scopes"]


def test_cli_refuses_a_request_url_slack_cannot_reach(capsys: object) -> None:
    assert main(["slack", "manifest", "--request-url", "http://news.example.org"]) == 2
