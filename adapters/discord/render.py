"""Neutral ``Post`` → Discord messages of embeds, always within Discord's limits.

One embed per story: the title links the story's best source, the description
holds the summary and the quote with its speaker, a field lists every source.
Stories are packed into messages of at most 10 embeds and 6,000 characters; the
first message goes to the channel, the rest continue in its thread. Text from
articles is escaped for markdown and mentions (and every send also carries
``AllowedMentions.none()``), so no headline can format itself or ping anyone.

Lengths are counted in UTF-16 code units, which is never less than the number of
code points, so a message that fits here fits whichever way Discord counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import discord

from bot.chat.messages import Post, PostItem, SourceLink, and_more
from bot.nlp.text.safe import clean_line, clean_text

CONTENT_MAX = 2000
EMBEDS_MAX = 10
TOTAL_MAX = 6000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
THREAD_NAME_MAX = 100
URL_MAX = 2048

COLOURS = {
    "brief": discord.Colour.blurple(),
    "digest": discord.Colour.teal(),
    "answer": discord.Colour.green(),
    "help": discord.Colour.light_grey(),
    "info": discord.Colour.light_grey(),
    "error": discord.Colour.red(),
}

_HTTP_URL = re.compile(r"^https?://[^\s<>]+$", re.I)


@dataclass(frozen=True, slots=True)
class Message:
    """One Discord message: content plus up to 10 embeds."""

    content: str = ""
    embeds: tuple[discord.Embed, ...] = field(default=())


def units(text: str) -> int:
    """Length as Discord may count it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 units, with an ellipsis when cut."""
    if units(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        n = 2 if ord(ch) > 0xFFFF else 1
        if used + n > limit - 1:
            break
        out.append(ch)
        used += n
    # A cut escape ("\\") would escape the ellipsis: drop it with the rest.
    return "".join(out).rstrip().rstrip("\\") + "…"


def escape(text: str, *, line: bool = False) -> str:
    """Article text made inert: first the house sanitiser (controls, bidi overrides,
    invisible characters; ``line``: one line), then markdown shown as typed and
    mentions that cannot ping. discord.py's escapers leave URLs alone, so links work."""
    safe = clean_line(text) if line else clean_text(text)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(safe))


def safe_url(url: str | None) -> str | None:
    """An http(s) URL Discord accepts for an embed link, or None (Discord rejects others)."""
    if url and units(url) <= URL_MAX and _HTTP_URL.match(url):
        return url
    return None


def embed_size(embed: discord.Embed) -> int:
    """The characters Discord counts toward the 6,000 of a message."""
    parts = [embed.title or "", embed.description or "", embed.footer.text or ""]
    parts.append(embed.author.name or "")
    for f in embed.fields:
        parts += [f.name or "", f.value or ""]
    return sum(units(p) for p in parts)


# ------------------------------------------------------------------ one story
def _sources_value(sources: tuple[SourceLink, ...], more: int = 0) -> str:
    """Every source as a link, as many as fit in a field, then "and N more"."""
    links: list[str] = []
    for i, s in enumerate(sources):
        label = escape(clip(s.site or s.title or s.url, 80), line=True).replace("]", "\\]")
        url = safe_url(s.url)
        link = f"[{label}]({url})" if url else label
        if units(" · ".join([*links, link])) > FIELD_VALUE_MAX - 16:  # room for the tail
            return " · ".join(links) + f" {and_more(len(sources) - i + more)}"
        links.append(link)
    return " · ".join(links) + (f" {and_more(more)}" if more else "")


def story_embed(item: PostItem, colour: discord.Colour) -> discord.Embed:
    best = next((u for u in (safe_url(s.url) for s in item.sources) if u), None)
    lines = [f"• {escape(s)}" for s in item.summary]
    if item.quote:
        who = escape(item.quote.speaker, line=True) if item.quote.speaker else "unattributed"
        said = escape(item.quote.text, line=True)  # one line: a block quote ends at a newline
        lines += ["", f"> “{said}” — **{who}**"]
    embed = discord.Embed(
        title=clip(escape(item.headline, line=True), TITLE_MAX),
        url=best,
        description=clip("\n".join(lines), DESCRIPTION_MAX) or None,
        colour=colour,
    )
    if item.sources:
        total = len(item.sources) + item.more_sources
        name = "Source" if total == 1 else f"Sources ({total})"
        embed.add_field(
            name=name, value=_sources_value(item.sources, item.more_sources), inline=False
        )
    return embed


def text_embeds(post: Post) -> list[discord.Embed]:
    """Help, info, errors and answers: the text as descriptions, in as many embeds as it
    needs (a list of 60 sources is 8,000 characters, one embed holds 4,096, and the rest
    used to be cut off), the title on the first, the footer on the last."""
    text = post.text or ""
    if post.kind == "help":  # laid out by hand in columns: keep them
        code = clip(clean_text(text).replace("```", "'''"), DESCRIPTION_MAX - 8)
        bodies = ["```\n" + code + "\n```"]
    else:
        bodies = _chunks(escape(text), DESCRIPTION_MAX)
    colour = COLOURS.get(post.kind)
    embeds = [
        discord.Embed(
            title=clip(escape(post.title, line=True), TITLE_MAX) if i == 0 else None,
            description=body or None,
            colour=colour,
        )
        for i, body in enumerate(bodies)
    ]
    if post.footer:
        # As subtext in the description, not the footer: links there are clickable.
        last, body = embeds[-1], bodies[-1]
        note = "\n-# " + clip(escape(post.footer), 900)
        if units(body + note) <= DESCRIPTION_MAX:
            last.description = (body + note).lstrip("\n")
        else:
            last.set_footer(text=clip(clean_text(post.footer), FOOTER_MAX))
    return embeds


def _chunks(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit``, cut between lines (a line too long, clipped)."""
    pieces = [""]
    for line in text.split("\n"):
        line = clip(line, limit)
        joined = f"{pieces[-1]}\n{line}" if pieces[-1] else line
        if units(joined) <= limit:
            pieces[-1] = joined
        else:
            pieces.append(line)
    return pieces


# ------------------------------------------------------------------ packing
def _pack(embeds: list[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds into messages of at most 10 and 6,000 characters, in order."""
    groups: list[list[discord.Embed]] = [[]]
    total = 0
    for e in embeds:
        size = embed_size(e)
        if groups[-1] and (len(groups[-1]) == EMBEDS_MAX or total + size > TOTAL_MAX):
            groups.append([])
            total = 0
        groups[-1].append(e)
        total += size
    return [g for g in groups if g]


def _fit(embed: discord.Embed) -> discord.Embed:
    """One embed alone within 6,000 characters (a long footer could push it over)."""
    over = embed_size(embed) - TOTAL_MAX
    if over > 0 and embed.description:
        embed.description = clip(embed.description, max(1, units(embed.description) - over))
    return embed


def render(post: Post, *, marker: str = "", heading: str = "") -> list[Message]:
    """``post`` as messages: the first for the channel, any others for its thread.

    ``marker`` (invisible) is appended to the first message's content; ``heading``
    is a line put before the title (who asked, for ``/ask``), already escaped.
    """
    if post.kind in {"brief", "digest"} or post.items:
        return _render_stories(post, marker, heading)
    content = clip(heading, CONTENT_MAX - units(marker)) + marker
    first, *rest = _pack([_fit(e) for e in text_embeds(post)])
    return [
        Message(content=content, embeds=tuple(first)),
        *(Message(embeds=tuple(g)) for g in rest),
    ]


def _render_stories(post: Post, marker: str, heading: str) -> list[Message]:
    colour = COLOURS.get(post.kind, discord.Colour.blurple())
    head = [heading] if heading else []
    head.append(f"**{escape(post.title, line=True)}**")
    budget = CONTENT_MAX - units(marker)
    embeds: list[discord.Embed] = []
    if post.text:
        line = escape(post.text)
        if units("\n".join([*head, line])) <= budget:
            head.append(line)
        else:
            embeds.append(discord.Embed(description=clip(line, DESCRIPTION_MAX), colour=colour))
    embeds += [_fit(story_embed(item, colour)) for item in post.items]
    footer = clip(clean_line(post.footer), FOOTER_MAX) if post.footer else None
    if footer and embeds:
        last = embeds[-1]
        last.set_footer(text=footer)
        _fit(last)
    elif footer:
        head.append("-# " + escape(footer))
    content = clip("\n".join(head), budget) + marker
    groups = _pack(embeds) or [[]]
    messages = [Message(content=content, embeds=tuple(groups[0]))]
    messages += [Message(embeds=tuple(g)) for g in groups[1:]]
    return messages


def thread_name(post: Post) -> str:
    """ "Brief: korea (last 2 days)" → "Brief: korea": short, what the thread is about."""
    name = re.sub(r"\s+\([^)]*\)$", "", post.title).strip() or post.kind.title()
    return clip(name, THREAD_NAME_MAX)
