"""Posts as Discord messages: within every limit, inert article text, an invisible key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.discord.events import question_text
from adapters.discord.keys import marker_for, nonce_for, read_marker, strip_marker
from adapters.discord.render import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBEDS_MAX,
    FIELD_VALUE_MAX,
    TITLE_MAX,
    TOTAL_MAX,
    Message,
    embed_size,
    render,
    thread_name,
    units,
)
from adapters.discord.topics import matching, topics_of
from bot.chat.messages import Post, PostItem, QuoteLine, SourceLink
from tests.discord.fake.rest import _limit_errors

WHEN = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def story(i: int, *, words: int = 40, sources: int = 2) -> PostItem:
    return PostItem(
        headline=f"Story {i}: " + "headline " * 5,
        summary=tuple(f"Sentence {j} of story {i}: " + "word " * words for j in range(2)),
        quote=QuoteLine("We will not back down " + "really " * 10, "The Mayor"),
        sources=tuple(
            SourceLink(f"Outlet {k}", f"https://outlet{k}.example/{i}", f"outlet{k}.example", WHEN)
            for k in range(sources)
        ),
    )


def assert_fits(messages: list[Message]) -> None:
    """Every message passes the fake Discord's checks (the limits as Discord states them)."""
    for m in messages:
        body = {"content": m.content, "embeds": [e.to_dict() for e in m.embeds]}
        assert _limit_errors(body) == {}, _limit_errors(body)
        assert len(m.embeds) <= EMBEDS_MAX
        assert units(m.content) <= CONTENT_MAX
        assert sum(embed_size(e) for e in m.embeds) <= TOTAL_MAX


def test_a_brief_is_one_embed_per_story_with_its_link_quote_and_sources() -> None:
    post = Post(kind="brief", title="Brief: korea (last 2 days)", items=(story(1),), footer="Ask!")
    [message] = render(post)
    assert message.content == "**Brief: korea (last 2 days)**"
    [embed] = message.embeds
    assert embed.title is not None and embed.title.startswith("Story 1")
    assert embed.url == "https://outlet0.example/1"
    assert embed.description is not None
    assert "• Sentence 0" in embed.description
    assert "“We will not back down" in embed.description and "**The Mayor**" in embed.description
    assert embed.fields[0].name == "Sources (2)"
    assert "[outlet1.example](https://outlet1.example/1)" in (embed.fields[0].value or "")
    assert embed.footer.text == "Ask!"


def test_a_long_digest_is_split_within_every_limit_and_keeps_every_story() -> None:
    post = Post(kind="digest", title="Digest", items=tuple(story(i, words=300) for i in range(30)))
    messages = render(post, marker=marker_for("k"))
    assert len(messages) > 3
    assert_fits(messages)
    titles = [e.title for m in messages for e in m.embeds]
    assert len(titles) == 30 and titles[0] and titles[0].startswith("Story 0")
    assert read_marker(messages[0].content) == nonce_for("k")  # the key rides on the first only
    assert all(read_marker(m.content) is None for m in messages[1:])


def test_oversized_parts_are_clipped_not_rejected() -> None:
    huge = PostItem(
        headline="H" * 1000,
        summary=("x" * 5000,),
        quote=QuoteLine("q" * 3000, "S" * 300),
        sources=tuple(
            SourceLink("t", f"https://site{k}.example/" + "p" * 60, f"site{k}.example", WHEN)
            for k in range(80)
        ),
    )
    post = Post(kind="brief", title="T" * 3000, text="y" * 3000, items=(huge,), footer="f" * 3000)
    messages = render(post)
    assert_fits(messages)
    embed = messages[-1].embeds[-1]
    assert embed.title is not None and units(embed.title) == TITLE_MAX
    assert embed.title.endswith("…")
    assert embed.description is not None and units(embed.description) <= DESCRIPTION_MAX
    value = embed.fields[0].value or ""
    assert units(value) <= FIELD_VALUE_MAX and value.endswith("more sources")


def test_article_text_cannot_ping_or_format() -> None:
    evil = PostItem(
        headline="@everyone **BREAKING** [click](https://evil.example) <@123456789012345678>",
        summary=("@here _now_ ~~gone~~ `code`",),
        quote=QuoteLine("> quoted @everyone", "@here"),
    )
    [message] = render(Post(kind="brief", title="@everyone news", items=(evil,)))
    shown = (
        message.content + (message.embeds[0].title or "") + (message.embeds[0].description or "")
    )
    assert "@everyone" not in shown and "@here" not in shown  # "@\u200beveryone"
    assert "@\u200beveryone" in shown
    assert "\\*\\*BREAKING\\*\\*" in shown
    assert "\\[click](https://evil.example)" in shown  # no masked link
    assert "<@\u200b123456789012345678>" in shown


def test_controls_bidi_overrides_and_invisible_splits_never_reach_discord() -> None:
    item = PostItem(
        headline="Ev\u202eil\x1b[2J head\u200bline\nsecond line",
        summary=("sum\x07mary",),
        quote=QuoteLine("said\u2066 so", "Spea\u200bker"),
    )
    [message] = render(Post(kind="brief", title="T\x1b]0;owned\x07itle", items=(item,)))
    embed = message.embeds[0]
    assert embed.title == "Evil headline second line"
    assert embed.description == "• summary\n\n> “said so” — **Speaker**"
    assert message.content == "**Title**"


def test_links_keep_their_underscores_and_bad_urls_are_dropped() -> None:
    item = PostItem(
        headline="h",
        sources=(
            SourceLink("a", "javascript:alert(1)", "evil", WHEN),
            SourceLink("b", "https://ex.example/a_b_c", "good_site", WHEN),
        ),
    )
    [message] = render(Post(kind="brief", title="t", items=(item,)))
    embed = message.embeds[0]
    assert embed.url == "https://ex.example/a_b_c"
    value = embed.fields[0].value or ""
    assert "javascript" not in value and "(https://ex.example/a_b_c)" in value
    assert "good\\_site" in value


def test_help_keeps_its_columns_and_errors_are_one_embed() -> None:
    [message] = render(Post(kind="help", title="Help", text="/brief TOPIC   a brief\n/help  this"))
    assert message.embeds[0].description == "```\n/brief TOPIC   a brief\n/help  this\n```"
    [error] = render(Post(kind="error", title="Sorry", text="Tell me what the brief is about"))
    assert error.content == "" and error.embeds[0].title == "Sorry"


def test_an_answer_cites_its_source_as_a_clickable_link() -> None:
    post = Post(
        kind="answer",
        title="From the articles",
        text="She said no.",
        footer="Source: https://ex.example/a_b",
    )
    [message] = render(post, heading="**Gus** asked: why?")
    assert message.content == "**Gus** asked: why?"
    assert message.embeds[0].description == "She said no.\n-# Source: https://ex.example/a_b"


@pytest.mark.parametrize("key", ["newsbrief-digest:1:2026-11-23T07:30", "x", "ü" * 40])
def test_the_marker_is_invisible_short_and_reads_back(key: str) -> None:
    marker = marker_for(key)
    assert len(nonce_for(key)) <= 25
    assert len(marker) == 50 and all(ch in "\u200b\u200c\u200d\u2060\u2063" for ch in marker)
    text = "**Digest: korea**" + marker
    assert read_marker(text) == nonce_for(key)
    assert strip_marker(text) == "**Digest: korea**"
    assert read_marker("**Digest: korea**") is None
    assert nonce_for(key) != nonce_for(key + "-other")


def test_thread_names_drop_the_span_and_fit() -> None:
    assert thread_name(Post(kind="brief", title="Brief: korea (last 2 days)")) == "Brief: korea"
    assert len(thread_name(Post(kind="digest", title="D" * 300))) <= 100


def test_topics_for_autocomplete_come_from_names_and_headline_words() -> None:
    topics = topics_of(
        ["Trump Teases Another Sit-Down With Kim Jong-un", "Port strike halts traffic"],
        [
            "Standing alongside South Korean President Lee Jae-myung, Trump spoke.",
            "North Korea has no will, said Kim Yo-jong.",
        ],
    )
    assert "Lee Jae-myung" in topics and "North Korea" in topics and "strike" in topics
    assert "with" not in topics and "Standing" not in topics  # stop words, sentence starts
    assert "North Korea" in matching(topics, "kor") and "strike" not in matching(topics, "kor")
    assert matching(topics, "lee") == ["Lee Jae-myung"]
    assert "Trump" in topics and "trump" not in topics  # one spelling per topic
    assert matching(topics, "") == topics[:25]


def test_mentions_roles_channels_and_custom_emoji_are_no_words() -> None:
    said = "<@1> korea <@!22> <@&999> <#5> <:party:1234> <a:spin:5678>"
    assert question_text(said, bot_id=1) == "korea"
    assert question_text("<@1>   what did <@22> say?", bot_id=1) == "what did say?"


def test_a_long_text_goes_on_in_more_embeds_and_loses_nothing() -> None:
    lines = [
        f"#{n} Source number {n} — feed, checked every 15 min, 0 articles " * 2 for n in range(60)
    ]
    post = Post(kind="info", title="Sources", text="\n".join(lines), footer="/feeds remove ID")
    messages = render(post)
    embeds = [e for m in messages for e in m.embeds]
    assert len(embeds) >= 2 and embeds[0].title == "Sources"
    assert all(e.title is None for e in embeds[1:])
    assert all(len(e.description or "") <= 4096 for e in embeds)
    assert all(sum(len(e.description or "") for e in m.embeds) <= 6000 for m in messages)
    shown = "\n".join(e.description or "" for e in embeds)
    assert all(f"\\#{n} Source number {n} " in shown for n in range(60))  # none cut off
    assert "/feeds remove ID" in (embeds[-1].description or "")
