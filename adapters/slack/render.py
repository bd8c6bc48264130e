"""Neutral ``Post`` → Block Kit messages, inside every limit Slack enforces.

Limits (Slack's Block Kit reference): 50 blocks a message, 3,000 characters per
section text, 150 per header, 10 elements per context block; and about 12k
characters of block text in all, because ``msg_blocks_too_long`` fires near 13k
even when every other limit is met. A post that does not fit becomes several
pages: the first is the message, the others continue in its thread, and the last
ends with "and N more" when even that would be too long.

All text from articles is mrkdwn-escaped (``&``, ``<``, ``>``) after decoding
HTML entities, so a headline can never ping ``<!channel>`` or smuggle a link;
the only ``<…>`` in the output are the links built here, from http(s) URLs.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bot.chat.messages import Post, PostItem, SourceLink, and_more
from bot.chat.render import link_url as core_link_url

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BLOCK_CHARS = 12_000
MAX_TEXT_CHARS = 3000  # the notification fallback: a summary, not the whole post
MAX_PAGES = 3  # the message and two continuations in its thread; then "and N more"

HEADLINE_CHARS = 250
SUMMARY_CHARS = 700
QUOTE_CHARS = 600
SOURCE_CHARS = 200
_BLOCK_RESERVE = 3  # a page keeps room for its continuation note, footer and "N more"
_CHAR_RESERVE = 600

Block = dict[str, Any]
_PARTIAL_ENTITY = re.compile(r"&[#a-zA-Z0-9]{0,8}$")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"  # everything else (<, >, |, quotes, spaces) is encoded


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """One ``chat.postMessage``: the plain-text fallback and the blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    unfurl: bool = False  # unfurl_links and unfurl_media: the post's ``previews``

    @property
    def block_chars(self) -> int:
        return sum(_block_chars(b) for b in self.blocks)


# ------------------------------------------------------------------ text
def plain(text: str) -> str:
    """Feed text as a reader sees it: HTML entities (``&apos;``, ``&egrave;``) decoded."""
    return html.unescape(text)


def escape(text: str) -> str:
    """Slack's three control characters, escaped (Slack's "Formatting text" guide)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word where possible, marked with an ellipsis."""
    text = " ".join(text.split()) if "\n" not in text else text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


def md(text: str, limit: int) -> str:
    """Article text for mrkdwn: decoded, clipped to ``limit`` characters, escaped."""
    return escape(clip(plain(text), limit))


def fit(mrkdwn: str, limit: int) -> str:
    """Cut built mrkdwn to ``limit`` without leaving half an entity or half a link."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return _PARTIAL_ENTITY.sub("", cut) + "…"


def link_url(url: str) -> str | None:
    """A URL fit to sit inside ``<…|…>``, or None when it is not a plain http(s) link.

    The core's ``link_url`` first (no userinfo, tokens or trackers; http(s) only),
    then Slack's own escaping of what could end the link.
    """
    shown = core_link_url(url)
    if shown is None or len(shown) > 2000:
        return None
    return escape(quote(shown, safe=_URL_SAFE))


def link(url: str, label: str, limit: int = HEADLINE_CHARS) -> str:
    text = md(label, limit) or escape(url[:limit])
    target = link_url(url)
    return f"<{target}|{text}>" if target else text


# ------------------------------------------------------------------ blocks
def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, MAX_SECTION_CHARS)}}


def _context(texts: list[str]) -> Block:
    elements = [{"type": "mrkdwn", "text": fit(t, MAX_SECTION_CHARS)} for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def _header(title: str) -> Block:
    text = clip(plain(title), MAX_HEADER_CHARS) or "newsbrief"
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _block_chars(block: Block) -> int:
    if "text" in block:
        return len(block["text"]["text"])
    return sum(len(e["text"]) for e in block.get("elements", ()))


def _source_text(src: SourceLink) -> str:
    site = f" · {md(src.site, 60)}" if src.site else ""
    return link(src.url, src.title or src.url, SOURCE_CHARS) + site


def item_blocks(number: int, item: PostItem) -> list[Block]:
    """One story: the headline linking its best source, the summary, the quote; its sources."""
    best = item.sources[0].url if item.sources else ""
    lines = [f"*{number}. {link(best, item.headline)}*"]
    lines += [f"• {md(s, SUMMARY_CHARS)}" for s in item.summary]
    if item.quote:
        who = md(item.quote.speaker, 80) if item.quote.speaker else "unattributed"
        lines.append(f">“{md(item.quote.text, QUOTE_CHARS)}” — {who}")
    blocks = [_section("\n".join(lines))]
    if item.sources:
        texts = [_source_text(s) for s in item.sources]
        extra = item.more_sources
        if len(texts) + (extra > 0) > MAX_CONTEXT_ELEMENTS:
            extra += len(texts) - (MAX_CONTEXT_ELEMENTS - 1)
            texts = texts[: MAX_CONTEXT_ELEMENTS - 1]
        if extra:
            texts.append(and_more(extra))
        blocks.append(_context(texts))
    return blocks


def _text_blocks(post: Post) -> list[Block]:
    """The title (a header for briefs and digests, bold otherwise) and the free text."""
    blocks: list[Block] = []
    if post.kind in {"brief", "digest"}:
        blocks.append(_header(post.title))
        first = ""
    else:
        first = f"*{md(post.title, MAX_HEADER_CHARS)}*"
    body = plain(post.text or "")
    # Help is laid out by hand in columns: keep them in a code block.
    help_ = post.kind == "help" and body
    body_md = "```" + escape(body) + "```" if help_ else escape(body.strip())
    text = "\n".join(t for t in (first, body_md) if t)
    while text:
        chunk = fit(text, MAX_SECTION_CHARS - 50)
        if chunk.endswith("…") and len(chunk) < len(text):
            chunk = chunk[:-1]
        blocks.append(_section(chunk))
        text = text[len(chunk) :].lstrip("\n")
        if len(blocks) >= 6:  # free text is short (answers, help); never a page of it
            break
    return blocks


def fallback_text(post: Post) -> str:
    """The notification and screen-reader text: title, then the headlines or the text."""
    parts = [clip(plain(post.title), MAX_HEADER_CHARS)]
    if post.items:
        parts += [f"{i}. {clip(plain(it.headline), 200)}" for i, it in enumerate(post.items, 1)]
    elif post.text:
        parts.append(clip(plain(post.text), MAX_TEXT_CHARS - 200))
    return fit(escape("\n".join(parts)), MAX_TEXT_CHARS)


def render(post: Post) -> list[SlackMessage]:
    """The post as one message, or a message and its continuations (thread replies)."""
    text = fallback_text(post)
    pages: list[list[Block]] = [_text_blocks(post)]
    groups = [item_blocks(i, item) for i, item in enumerate(post.items, 1)]
    left = len(groups)
    for group in groups:
        page = pages[-1]
        full = len(page) + len(group) > MAX_BLOCKS - _BLOCK_RESERVE or (
            sum(map(_block_chars, page)) + sum(map(_block_chars, group))
            > MAX_BLOCK_CHARS - _CHAR_RESERVE
        )
        if full:
            if len(pages) == MAX_PAGES:
                break
            pages.append([_context([f"_{md(post.title, 100)} (continued)_"])])
            page = pages[-1]
        page.extend(group)
        left -= 1
    if left:
        pages[-1].append(_context([f"_…and {left} more not shown._"]))
    if post.footer:
        pages[-1].append(_context([f"_{md(post.footer, 500)}_"]))
    first = SlackMessage(text, pages[0], post.previews)
    rest = [
        SlackMessage(f"{text[:200]} (continued)", blocks, post.previews) for blocks in pages[1:]
    ]
    return [first, *rest]
