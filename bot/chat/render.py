"""Plain-text and Markdown renderings of core results for the command line."""

from __future__ import annotations

from bot.chat.messages import Post
from bot.models import Analysis, Quote


def _quote_line(q: Quote) -> str:
    who = q.speaker or "unattributed"
    return f"“{q.text}” — {who}"


def analysis_text(a: Analysis) -> str:
    lines: list[str] = []
    if a.title:
        lines += [a.title, ""]
    lines.append("Summary:")
    lines += [f"  • {s.text}" for s in a.summary]
    if a.quotes:
        lines += ["", "Key quotes:"]
        lines += [f"  {_quote_line(q)}" for q in a.quotes]
    return "\n".join(lines)


def analysis_markdown(a: Analysis) -> str:
    lines: list[str] = []
    if a.title:
        lines += [f"## {a.title}", ""]
    lines += [f"- {s.text}" for s in a.summary]
    if a.quotes:
        lines += ["", "**Key quotes**", ""]
        lines += [f"> {_quote_line(q)}" for q in a.quotes]
    return "\n".join(lines)


def post_markdown(post: Post) -> str:
    """A Post as Markdown, for `newsbrief brief --format markdown`."""
    lines = [f"## {post.title}"]
    if post.text:
        lines += ["", post.text]
    for item in post.items:
        lines += ["", f"### {item.headline}"]
        lines += [f"- {s}" for s in item.summary]
        if item.quote:
            lines += ["", f"> “{item.quote.text}” — {item.quote.speaker or 'unattributed'}"]
        links = ", ".join(f"[{s.site or s.title}]({s.url})" for s in item.sources)
        if links:
            lines += ["", f"Sources: {links}"]
    if post.footer:
        lines += ["", f"_{post.footer}_"]
    return "\n".join(lines)
