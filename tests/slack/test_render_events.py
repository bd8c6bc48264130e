"""Block Kit rendering within Slack's limits, mrkdwn escaping, and which payloads become events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.slack import events
from adapters.slack.render import (
    MAX_BLOCK_CHARS,
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_HEADER_CHARS,
    MAX_PAGES,
    MAX_SECTION_CHARS,
    render,
)
from bot.chat.messages import Post, PostItem, QuoteLine, SourceLink, User
from tests.slack.fake_slack import fixture


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [e["text"] for e in b.get("elements", ())]
    return out


def _story(i: int, words: int = 120, sources: int = 3) -> PostItem:
    long = " ".join(f"word{i}x{j}" for j in range(words))
    return PostItem(
        headline=f"Story {i}: " + long[:400],
        summary=(long, long),
        quote=QuoteLine(long, "A Spokesperson"),
        sources=tuple(
            SourceLink(f"Outlet {k} on story {i}", f"https://site{k}.example/{i}", f"site{k}")
            for k in range(sources)
        ),
    )


def test_a_huge_digest_stays_within_every_limit() -> None:
    post = Post(
        kind="digest",
        title="Digest: " + "everything " * 40,
        items=tuple(_story(i, sources=14) for i in range(60)),
        footer="Reply in this thread to ask about these stories.",
    )
    pages = render(post)
    assert 1 < len(pages) <= MAX_PAGES
    for page in pages:
        assert len(page.blocks) <= MAX_BLOCKS
        assert page.block_chars <= MAX_BLOCK_CHARS
        for b in page.blocks:
            if b["type"] == "header":
                assert len(b["text"]["text"]) <= MAX_HEADER_CHARS
            if b["type"] == "section":
                assert len(b["text"]["text"]) <= MAX_SECTION_CHARS
            if b["type"] == "context":
                assert 1 <= len(b["elements"]) <= MAX_CONTEXT_ELEMENTS
        assert len(page.text) <= 3000
    last = "\n".join(_texts(pages[-1].blocks))
    assert "more not shown" in last and "Reply in this thread" in last
    assert "and 5 more sources" in "\n".join(_texts(pages[0].blocks))


def test_a_short_brief_is_one_message_with_header_story_quote_and_sources() -> None:
    post = Post(
        kind="brief",
        title="Brief: korea (last 2 days)",
        items=(
            PostItem(
                "Trump Teases Another Sit-Down With Kim Jong-un",
                ("Trump said he looks forward to seeing Kim.",),
                QuoteLine("I look forward to seeing him", "Trump"),
                (
                    SourceLink(
                        "Trump Teases…", "https://news.example/korea?a=1&b=2", "news.example"
                    ),
                ),
            ),
        ),
        footer="Reply in this thread to ask a follow-up question.",
    )
    [page] = render(post)
    header, section, context, footer = page.blocks
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Brief: korea (last 2 days)", "emoji": True},
    }
    text = section["text"]["text"]
    assert "*1. <https://news.example/korea?a=1&amp;b=2|Trump Teases Another" in text
    assert "• Trump said he looks forward" in text
    assert ">“I look forward to seeing him” — Trump" in text
    assert context["elements"][0]["text"].endswith(" · news.example")
    assert "follow-up" in footer["elements"][0]["text"]
    assert page.text.startswith("Brief: korea") and "1. Trump Teases" in page.text


@pytest.mark.parametrize(
    "headline",
    [
        "<!channel> everyone look",
        "<!here|here> & <@U123> <https://evil.example|click me>",
        "&lt;!channel&gt; smuggled as entities",
    ],
)
def test_article_text_can_never_ping_or_link(headline: str) -> None:
    post = Post(
        kind="brief",
        title=headline,
        items=(PostItem(headline, (headline,), QuoteLine(headline, headline), ()),),
        text=headline,
    )
    page = render(post)[0]
    header, *rest = page.blocks
    assert header["text"]["type"] == "plain_text"  # never parsed: no mention, no link
    rendered = json.dumps([page.text, *_texts(rest)])
    for bad in ("<!channel>", "<!here", "<@U123>", "<https://evil", "|click me>"):
        assert bad not in rendered
    assert "&lt;" in rendered


def test_html_entities_are_decoded_before_escaping() -> None:
    post = Post(kind="answer", title="Caf&eacute;", text="Le Caf&egrave; d&apos;Or &amp; Fils")
    page = render(post)[0]
    shown = "\n".join(_texts(page.blocks))
    assert "Le Cafè d'Or &amp; Fils" in shown  # & is escaped for mrkdwn, once
    assert "&amp;amp;" not in shown and "&apos;" not in shown


def test_only_http_links_become_links() -> None:
    item = PostItem("Headline", sources=(SourceLink("x", "javascript:alert(1)", "x"),))
    page = render(Post(kind="brief", title="t", items=(item,)))[0]
    assert "<javascript:" not in json.dumps(page.blocks)


# ------------------------------------------------------------------ events
def _reply(**changes: Any) -> dict[str, Any]:
    event = fixture("event_message_thread_reply.json")
    event.update(changes)
    return event


def test_a_persons_reply_in_a_thread_becomes_a_thread_reply_event() -> None:
    reply = events.message(_reply(), team="T0001", bot_user_id="U0BOT")
    assert isinstance(reply, events.Reply)
    assert (reply.thread.channel_id, reply.thread.id) == ("C2147483705", "1482960000.000100")
    assert reply.thread.workspace == "T0001"
    assert reply.text == "what did Kim's sister say?"
    assert not reply.addressed  # a line in the thread: answered only if it asks something


@pytest.mark.parametrize(
    "name",
    ["event_message_changed.json", "event_channel_join.json", "event_bot_message.json"],
)
def test_edits_joins_and_other_bots_are_ignored(name: str) -> None:
    assert events.message(fixture(name), team="T0001", bot_user_id="U0BOT") is None


def test_own_messages_and_top_level_chatter_are_ignored() -> None:
    assert events.message(_reply(user="U0BOT"), team="T", bot_user_id="U0BOT") is None
    top = _reply(thread_ts=None)
    assert events.message(top, team="T", bot_user_id="U0BOT") is None
    parent = _reply(thread_ts="1482960137.003543")  # the thread's own first message
    assert events.message(parent, team="T", bot_user_id="U0BOT") is None


def test_a_reply_with_a_file_or_also_sent_to_the_channel_is_a_reply() -> None:
    for subtype in ("file_share", "thread_broadcast"):
        reply = events.message(_reply(subtype=subtype), team="T0001", bot_user_id="U0BOT")
        assert isinstance(reply, events.Reply) and reply.text == "what did Kim's sister say?"


def test_a_mention_drops_the_bot_and_decodes_slack_text() -> None:
    mention = fixture("event_app_mention.json")
    mention["text"] = "<@U0LAN0Z89> is it &lt;good&gt; &amp; <https://x.example|safe>?"
    reply = events.message(mention, team="T0001", bot_user_id="U0LAN0Z89")
    assert isinstance(reply, events.Reply) and reply.text == "is it <good> & safe?"
    assert reply.addressed and reply.event(User("U1", "Steve")).addressed
    # the `message` event of the same message has the same key: answered once
    same = dict(mention, type="message")
    again = events.message(same, team="T0001", bot_user_id="U0LAN0Z89")
    assert isinstance(again, events.Reply) and again.message_key == reply.message_key
    assert again.addressed  # said to the bot, whichever of the two events comes first
    other = events.message(
        dict(same, text="<@U0OTHER> have a look"), team="T0001", bot_user_id="U0LAN0Z89"
    )
    assert isinstance(other, events.Reply) and not other.addressed


def test_a_mention_in_the_channel_becomes_a_mention_event() -> None:
    top = fixture("event_app_mention.json")
    del top["thread_ts"]
    top["text"] = "<@U0LAN0Z89> north  korea"
    said = events.message(top, team="T0001", bot_user_id="U0LAN0Z89")
    assert isinstance(said, events.Mention) and said.text == "north korea"
    event = said.event(User("U061F7AUR", "Steve"))
    assert (event.channel.id, event.channel.workspace, event.text) == (
        "C123ABC456",
        "T0001",
        "north korea",
    )
    # its `message` event names the bot too: the same key, so it is handled once
    again = events.message(dict(top, type="message"), team="T0001", bot_user_id="U0LAN0Z89")
    assert isinstance(again, events.Mention) and again.message_key == said.message_key
    bare = events.message(dict(top, text="<@U0LAN0Z89>"), team="T0001", bot_user_id="U0LAN0Z89")
    assert isinstance(bare, events.Mention) and bare.text == ""  # the core says how to use it
    for talk in ("<@U0OTHER> lunch?", "ask <@U0LAN0Z89>, it knows"):  # not said to the bot
        said_to = dict(top, type="app_mention", text=talk)
        assert events.message(said_to, team="T0001", bot_user_id="U0LAN0Z89") is None


@pytest.mark.parametrize(
    ("wire", "typed"),
    [  # Slack's markup for what is no word of a topic or question
        ("<!channel> korea", "korea"),
        ("<!subteam^S123|@desk> korea", "@desk korea"),
        ("<#C0NEWS|news> korea", "#news korea"),
        ("korea :tada: at 07:30:00", "korea at 07:30:00"),
    ],
)
def test_slack_markup_is_read_as_what_people_see(wire: str, typed: str) -> None:
    assert events.incoming_text(wire, "U0BOT") == typed


def test_slash_commands_become_command_events() -> None:
    body = fixture("slash_command.json") | {"command": "/brief", "text": " north korea 24h "}
    cmd = events.command(body)
    assert (cmd.command, cmd.text) == ("brief", "north korea 24h")
    assert cmd.channel.workspace == "T0001" and cmd.person.name == "Steve"
    umbrella = events.command(body | {"command": "/newsbrief", "text": "digest list"})
    assert (umbrella.command, umbrella.text) == ("digest", "list")
    bare = events.command(body | {"command": "/newsbrief", "text": ""})
    assert (bare.command, bare.text) == ("help", "")


@pytest.mark.parametrize(
    ("wire", "typed"),
    [  # Slack escapes &, < and > in a command's text, and sends a link as <url|label>
        ("add https://x.example/rss?a=1&amp;b=2", "add https://x.example/rss?a=1&b=2"),
        (
            "add <https://x.example/rss?a=1&amp;b=2|x.example/rss>",
            "add https://x.example/rss?a=1&b=2",
        ),
        ("add <http://x.example/feed>", "add http://x.example/feed"),
        ("subscribe r&amp;d, &lt;ai&gt; at 07:30", "subscribe r&d, <ai> at 07:30"),
    ],
)
def test_a_commands_text_is_read_as_typed(wire: str, typed: str) -> None:
    body = fixture("slash_command.json") | {"command": "/feeds", "text": wire}
    assert events.command(body).text == typed


async def test_the_memory_ledger_says_first_once() -> None:
    ledger = events.MemoryLedger(ttl=60, size=2)
    assert await ledger.first("a") and not await ledger.first("a")
    assert await ledger.first("b") and await ledger.first("c")
    assert await ledger.first("a")  # evicted past the size bound


def test_links_never_show_credentials_tokens_or_trackers() -> None:
    from adapters.slack.render import link_url

    shown = link_url("https://user:pw@example.com/a?utm_source=rss&token=abc&id=3")
    assert shown is not None
    assert "pw" not in shown and "abc" not in shown and "utm_source" not in shown
    assert shown.startswith("https://example.com/a?") and "id=3" in shown
    assert link_url("javascript:alert(1)") is None
