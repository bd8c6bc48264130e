"""Plain-text and Markdown renderings of core results for the command line."""

from __future__ import annotations

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
