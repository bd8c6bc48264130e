"""The neutral renderings: posts and analyses as terminal text, Markdown and JSON lines.

A ``Post`` holds plain text, never markup (``bot.chat.messages``). Each renderer
escapes it for its own format: this module for a terminal (the CLI and the console
adapter) and Markdown, the Slack and Discord adapters for Block Kit and Discord
markdown. Every renderer is also a second wall behind ingest: it cleans each field
again (:mod:`bot.nlp.text.safe`) and shows only http(s) links, redacted
(:func:`link_url`), so neither a control character nor a ``javascript:`` link nor a
live ``@everyone`` reaches a person even if a bad row got into the store.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from bot.chat.messages import Post, PostItem, SourceLink, and_more
from bot.models import Analysis
from bot.nlp.text.safe import clean_line, clean_text
from bot.urls import strip_tracking, web_link

__all__ = [
    "analysis_markdown",
    "analysis_text",
    "escape_markdown",
    "json_line",
    "link_url",
    "post_markdown",
    "post_text",
    "quote_line",
]

WIDTH = 88


def link_url(url: str | None) -> str | None:
    """The URL a person may be shown: http(s) only, without userinfo, tokens or trackers."""
    return web_link(strip_tracking(url)) if url else None


def quote_line(text: str, speaker: str | None) -> str:
    """A key quote as one line of plain text: “words” — speaker (the one way it is written)."""
    return f"“{clean_line(text)}” — {clean_line(speaker or '') or 'unattributed'}"


def _source_label(src: SourceLink) -> str:
    return clean_line(src.site or src.title or "") or "source"


# ------------------------------------------------------------------ terminal text
def _wrap(text: str, indent: str) -> list[str]:
    """Wrap under a hanging indent: a bullet or number starts only the first line. Only at
    spaces: a link broken at a hyphen or its width is no longer one a terminal can open."""
    hang = " " * len(indent)
    lines = textwrap.wrap(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [indent]


def _item_text(i: int, item: PostItem) -> list[str]:
    lines = ["", *_wrap(clean_line(item.headline), f"  {i}. ")]
    for s in item.summary:
        lines += _wrap(clean_line(s), "     • ")
    if item.quote:
        lines += _wrap(quote_line(item.quote.text, item.quote.speaker), "     ")
    for src in item.sources:
        site = f" ({clean_line(src.site)})" if src.site else ""
        url = link_url(src.url)
        lines.append(f"     ↳ {clean_line(src.title)}{site}" + (f": {url}" if url else ""))
    if item.more_sources:
        lines.append(f"     ↳ {and_more(item.more_sources)}")
    return lines


def post_text(post: Post, number: int | None = None) -> str:
    """A post as terminal text: the same content a Slack or Discord user would see."""
    head = f"[{number}] " if number is not None else ""
    lines = [f"{head}{clean_line(post.title)}"]
    if post.text:
        for para in clean_text(post.text).split("\n"):
            if post.kind == "help":  # laid out by hand: keep it
                lines.append("    " + para)
            else:
                lines += _wrap(para, "    ") if para.strip() else [""]
    for i, item in enumerate(post.items, 1):
        lines += _item_text(i, item)
    if post.footer:
        lines += ["", *_wrap(clean_line(post.footer), "  ")]
    return "\n".join(lines)


def analysis_text(a: Analysis) -> str:
    lines: list[str] = []
    if a.title:
        lines += [clean_line(a.title), ""]
    lines.append("Summary:")
    lines += [f"  • {clean_line(s.text)}" for s in a.summary]
    if a.quotes:
        lines += ["", "Key quotes:"]
        lines += [f"  {quote_line(q.text, q.speaker)}" for q in a.quotes]
    return "\n".join(lines)


# ------------------------------------------------------------------ Markdown
# Inline markup (emphasis, code, links and images, HTML and autolinks, strikethrough,
# an entity, a mention) anywhere; block markup (headings, lists) at the start of a line.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>~]|&(?=#?\w+;)|@(?=\w))")
_MD_LINE_START = re.compile(r"^(\s*)(\d+)([.)])|^(\s*)([-+=#])")


def escape_markdown(text: str) -> str:
    """Plain text that Markdown (CommonMark, GitHub, Discord) shows as it is: every
    character that could start markup or a mention gets its backslash."""
    out = []
    for line in clean_text(text).split("\n"):
        line = _MD_INLINE.sub(r"\\\1", line)
        line = _MD_LINE_START.sub(
            lambda m: f"{m[1]}{m[2]}\\{m[3]}" if m[2] else f"{m[4]}\\{m[5]}", line
        )
        out.append(line)
    return "\n".join(out)


def _md(text: str | None) -> str:
    return escape_markdown(clean_line(text or ""))


def _md_link(label: str, url: str | None) -> str:
    """``[label](url)``: ``link_url`` has percent-encoded whatever could end the link."""
    shown = link_url(url)
    return f"[{_md(label)}]({shown})" if shown else _md(label)


def post_markdown(post: Post) -> str:
    """A post as Markdown, for `newsbrief brief --format markdown`."""
    lines = [f"## {_md(post.title)}"]
    if post.text:
        lines += ["", escape_markdown(post.text)]
    for item in post.items:
        lines += ["", f"### {_md(item.headline)}"]
        lines += [f"- {_md(s)}" for s in item.summary]
        if item.quote:
            lines += ["", f"> {escape_markdown(quote_line(item.quote.text, item.quote.speaker))}"]
        links = ", ".join(_md_link(_source_label(s), s.url) for s in item.sources)
        if links and item.more_sources:
            links += f", {and_more(item.more_sources)}"
        if links:
            lines += ["", f"Sources: {links}"]
    if post.footer:
        lines += ["", f"_{_md(post.footer)}_"]
    return "\n".join(lines)


def analysis_markdown(a: Analysis) -> str:
    lines: list[str] = []
    if a.title:
        lines += [f"## {_md(a.title)}", ""]
    lines += [f"- {_md(s.text)}" for s in a.summary]
    if a.quotes:
        lines += ["", "**Key quotes**", ""]
        lines += [f"> {escape_markdown(quote_line(q.text, q.speaker))}" for q in a.quotes]
    return "\n".join(lines)


# ------------------------------------------------------------------ JSON lines
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u00ad\u200b\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def json_line(value: Any) -> str:
    """One JSON document on one line, readable (UTF-8, not \\u escapes) but inert on a
    terminal: json escapes C0 controls itself; C1 controls, bidi overrides and
    invisible characters are escaped here too, and lone surrogates (which no UTF-8
    stream can carry) are dropped."""
    text = json.dumps(value, ensure_ascii=False)
    if _SURROGATES.search(text):
        text = json.dumps(_without_surrogates(value), ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATES.sub("", value)
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_surrogates(v) for v in value]
    return value
