"""Low-level reads of the article text: cues, sentence and paragraph bounds.

Everything here takes the whole text and offsets into it, so callers never
slice the article to scan part of it and offsets stay in the caller's text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from bot.models import Span
from bot.nlp.quotes.patterns import CUE_SCAN_RE, SENT_END_RE
from bot.nlp.quotes.vocab import ABBREVIATIONS, CUES

_ARTICLE_BEFORE = re.compile(r"(?:^|[\s(])(?:a|an|the|his|her|their|its|our|my)\s+$", re.I)
"""A cue right after an article is a noun: "in a tweet", "the statement"."""


def cues(text: str, lo: int = 0, hi: int | None = None) -> Iterator[re.Match[str]]:
    """Verbs of saying in text[lo:hi], in order."""
    for m in CUE_SCAN_RE.finditer(text, lo, len(text) if hi is None else hi):
        w = m.group()
        if " " in w or (
            w.lower() in CUES and not _ARTICLE_BEFORE.search(text, max(0, m.start() - 7), m.start())
        ):
            yield m


def cue_at(text: str, pos: int) -> bool:
    m = CUE_SCAN_RE.match(text, pos)
    return m is not None and (" " in m.group() or m.group().lower() in CUES)


def first_cue(text: str, lo: int = 0, hi: int | None = None) -> re.Match[str] | None:
    return next(cues(text, lo, hi), None)


def is_space(ch: str) -> bool:
    return ch == "" or ch.isspace()


def prev_char(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else ""


def next_char(text: str, i: int) -> str:
    return text[i + 1] if i + 1 < len(text) else ""


def first_nonspace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def is_abbrev(seg: str, dot: int) -> bool:
    """The full stop at `dot` ends an abbreviation or an initial, not a sentence."""
    j = dot
    while j > 0 and (seg[j - 1].isalpha() or seg[j - 1] == "."):
        j -= 1
    word = seg[j:dot].lower()
    return word in ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_start(text: str, lo: int, hi: int) -> int:
    """Start of the sentence containing hi, not before lo."""
    seg = text[lo:hi]
    best = lo
    for m in SENT_END_RE.finditer(seg):
        if m.group(1) == "." and is_abbrev(seg, m.start()):
            continue
        best = lo + m.end()
    while best < hi and text[best] in " \t":
        best += 1
    return best


def sentence_end(text: str, lo: int, hi: int) -> int:
    seg = text[lo:hi]
    for m in SENT_END_RE.finditer(seg):
        if m.group(1) == "." and is_abbrev(seg, m.start()):
            continue
        return lo + m.start() + 1
    return hi


def starts_sentence(text: str, pos: int) -> bool:
    j = pos - 1
    while j >= 0 and text[j] in " \t\"“‘'(":
        j -= 1
    return j < 0 or text[j] in "\n.!?:;"


def para_bounds(nl: list[int], text: str, pos: int) -> tuple[int, int]:
    """Paragraph around pos; newline offsets are indexed once so huge paragraphs stay linear."""
    i = bisect.bisect_left(nl, pos)
    s = nl[i - 1] + 1 if i > 0 else 0
    e = nl[i] if i < len(nl) else len(text)
    return s, e


def inner_text(text: str, parts: list[Span]) -> str:
    return " ".join(text[s:e].strip() for s, e in parts)


def trim(text: str, s: int, e: int) -> Span:
    while s < e and text[s].isspace():
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",:;"):
        e -= 1
    return s, e
