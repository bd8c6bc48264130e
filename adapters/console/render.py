"""Posts as terminal text: the same content a Slack or Discord user would see."""

from __future__ import annotations

import textwrap

from bot.chat.messages import Post

_WIDTH = 88


def _wrap(text: str, indent: str) -> list[str]:
    """Wrap under a hanging indent: a bullet or number starts only the first line."""
    hang = " " * len(indent)
    return textwrap.wrap(text, _WIDTH, initial_indent=indent, subsequent_indent=hang) or [indent]


def render(post: Post, number: int | None = None) -> str:
    head = f"[{number}] " if number is not None else ""
    lines = [f"{head}{post.title}"]
    if post.text:
        for para in post.text.split("\n"):
            if post.kind == "help":  # laid out by hand: keep it
                lines.append("    " + para)
            else:
                lines += _wrap(para, "    ") if para.strip() else [""]
    for i, item in enumerate(post.items, 1):
        lines.append("")
        lines += _wrap(item.headline, f"  {i}. ")
        for s in item.summary:
            lines += _wrap(s, "     • ")
        if item.quote:
            who = item.quote.speaker or "unattributed"
            lines += _wrap(f"“{item.quote.text}” — {who}", "     ")
        for src in item.sources:
            site = f" ({src.site})" if src.site else ""
            lines.append(f"     ↳ {src.title}{site}: {src.url}")
    if post.footer:
        lines += ["", *_wrap(post.footer, "  ")]
    return "\n".join(lines)
