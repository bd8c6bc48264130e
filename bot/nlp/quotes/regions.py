"""Quote-mark regions: the stretches between paired marks, before any attribution.

Double marks pair in one linear pass; single marks (British ‘…’, Daily Mail '…')
pair only outside double-quoted stretches and only where they cannot be an
apostrophe. A quote interrupted by its attribution (“A,” Trump said. “B.”) is
merged into one region with several parts.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

from bot.models import Span
from bot.nlp.quotes.patterns import (
    CONTRACTIONS,
    DOUBLE_MARKS,
    SINGLE_MARKS,
    SINGLE_OPEN_BEFORE,
)
from bot.nlp.quotes.text import cue_at, first_cue, is_space, next_char, prev_char

MarkKind = Literal["double", "single"]

CONTINUED_MIN = 40
"""An unclosed paragraph this long or longer continues when the next one reopens."""
SINGLE_REACH = 3000
"""How far a single opening mark looks for its closer (it never crosses a paragraph)."""
INTERRUPTION_MAX = 120
"""The longest attribution that joins two quotes into one (“A,” Trump said. “B.”)."""


@dataclass(slots=True)
class Region:
    """A quoted stretch: parts are inner spans (marks excluded), possibly several."""

    parts: list[Span]
    open_pos: int  # offset of the first opening mark
    close_pos: int  # offset just after the last closing mark
    kind: MarkKind
    speaker: str | None = None
    speaker_span: Span | None = None
    cue: str | None = None
    partial: bool = False
    inherited: bool = False
    trail: int = 0  # narration after a trailing attribution ("…,” he said, noting that …)


def _paragraph_opens_with(text: str, pos: int, marks: str) -> int:
    """Offset of a quote mark opening the paragraph that starts at pos, or -1."""
    j = pos
    n = len(text)
    while j < n and text[j] in " \t\r\n":
        j += 1
    if j < n and text[j] in marks:
        return j
    return -1


def _double_regions(text: str) -> list[Region]:
    """Pair double marks in one linear pass; unbalanced openers are dropped."""
    regions: list[Region] = []
    open_at = -1
    open_w = 1
    parts: list[Span] = []
    first_open = -1
    for m in DOUBLE_MARKS.finditer(text):
        i = m.start()
        ch = m.group()
        if ch == "''":
            ch = '"'  # NYT-style doubled apostrophes
        if ch == "\n":
            if open_at >= 0:
                nxt = _paragraph_opens_with(text, i, "“\"'")
                if nxt >= 0 and text[nxt] == "'" and not text.startswith("''", nxt):
                    nxt = -1  # one apostrophe is no doubled mark
                # News convention: an unclosed paragraph continues if the next one reopens.
                if nxt >= 0 and i - open_at > CONTINUED_MIN:
                    parts.append((open_at + open_w, i))
                    open_at = -2  # waiting for the reopening mark
                    continue
                open_at = -1
                parts = []
            continue
        if open_at == -2:
            open_at = i
            open_w = m.end() - i
            continue
        is_open: bool
        if ch == "“":
            is_open = True
        elif ch == "”":
            is_open = False
        elif open_at < 0:
            is_open = not is_space(next_char(text, m.end() - 1)) or is_space(prev_char(text, i))
        else:
            is_open = False  # parity: a straight mark closes an open quote
        if is_open:
            if open_at >= 0:
                parts = []  # the previous opener was never closed
            if not parts:
                first_open = i
            open_at = i
            open_w = m.end() - i
        elif open_at >= 0:
            parts.append((open_at + open_w, i))
            regions.append(Region(parts, first_open, m.end(), "double"))
            parts = []
            open_at = -1
    return regions


def _may_open_single(text: str, i: int, ch: str) -> bool:
    """A single mark at i that can open a quote: not an apostrophe or a contraction."""
    prev = prev_char(text, i)
    nxt = next_char(text, i)
    if prev and prev not in SINGLE_OPEN_BEFORE:
        return False
    if not nxt or not (nxt.isalpha() or nxt in "…."):
        return False
    if CONTRACTIONS.match(text, i):
        return False
    return not (ch == "'" and not nxt.isupper())


def _single_closer(text: str, marks: list[re.Match[str]], k: int, i: int, ch: str) -> int:
    """Offset of the mark closing the single quote opened at i, or -1.

    marks[k:] are the marks after the opener; the closer is of the same family
    and within the paragraph.
    """
    n = len(text)
    fallback = -1
    for j in range(k, len(marks)):  # an index walk: slicing marks[k:] per opener is quadratic
        c = marks[j].start()
        cj = text[c]
        if cj == "\n" or c - i > SINGLE_REACH:
            break
        if ch == "‘" and cj == "‘":
            if prev_char(text, c) in SINGLE_OPEN_BEFORE and next_char(text, c).isalpha():
                break  # a new opener: ours was unbalanced
            continue
        if (ch == "'" and cj != "'") or (ch == "‘" and cj != "’"):
            continue
        after = next_char(text, c)
        before = prev_char(text, c)
        if after and (after.isalnum() or after in "’'"):
            continue  # apostrophe inside a word: don't, Kim’s
        if before.isspace():
            continue
        if before in ",.!?…;:—-":
            return c
        if ch == "'":
            continue  # straight singles only close after punctuation (precision)
        if before in "sS" and after == " " and c + 2 < n and text[c + 2].islower():
            continue  # the boys’ team
        if fallback < 0:
            fallback = c
            if after and after in ",.;:!?)—-":
                return c
    return fallback


def _inside(blocked: list[Span], starts: list[int], pos: int) -> bool:
    b = bisect.bisect_right(starts, pos) - 1
    return b >= 0 and blocked[b][0] <= pos < blocked[b][1]


def _single_regions(text: str, blocked: list[Span]) -> list[Region]:
    """British ‘…’ and Daily-Mail '…' quotes, outside double-quoted stretches."""
    regions: list[Region] = []
    starts = [b[0] for b in blocked]
    pos = 0
    marks = list(SINGLE_MARKS.finditer(text))
    for k, mark in enumerate(marks, start=1):
        i = mark.start()
        ch = text[i]
        if ch == "\n" or i < pos or ch == "’":
            continue
        if not _may_open_single(text, i, ch) or _inside(blocked, starts, i):
            continue
        close = _single_closer(text, marks, k, i, ch)
        if close < 0 or close - i < 2:
            continue
        # Drop when it crosses a double-quoted stretch.
        b2 = bisect.bisect_right(starts, close) - 1
        if b2 >= 0 and blocked[b2][1] > i and blocked[b2][0] < close:
            continue
        regions.append(Region([(i + 1, close)], i, close + 1, "single"))
        pos = close + 1
    return regions


def find_regions(text: str) -> list[Region]:
    """Every quoted region of text, in text order."""
    doubles = _double_regions(text)
    blocked = [(r.open_pos, r.close_pos) for r in doubles]
    singles = _single_regions(text, blocked) if ("‘" in text or "'" in text) else []
    if not singles:
        return doubles
    merged = doubles + singles
    merged.sort(key=lambda r: r.open_pos)
    return merged


def _has_own_attribution(text: str, pos: int) -> bool:
    seg = text[pos : pos + 40]
    cm = first_cue(seg)
    if cm is None:
        return False
    before = seg[: cm.start()]
    return len(before.split()) <= 3 and "." not in before and "\n" not in before


def merge_interrupted(text: str, regions: list[Region]) -> list[Region]:
    """“A,” Trump said. “B.” is one quote: join parts around a short attribution."""
    out: list[Region] = []
    for r in regions:
        if out:
            p = out[-1]
            gap = text[p.close_pos : r.open_pos]
            last_inner = text[p.parts[-1][0] : p.parts[-1][1]].rstrip()
            if (
                p.kind == r.kind
                and "\n" not in gap
                and 3 < len(gap) <= INTERRUPTION_MAX
                and last_inner[-1:] in (",", "—", "-", "…")
                and first_cue(gap) is not None
                and gap.rstrip()[-1:] in ",.:;—"
                and not cue_at(text, r.close_pos)
                and not _has_own_attribution(text, r.close_pos)
            ):
                p.parts.extend(r.parts)
                p.close_pos = r.close_pos
                continue
        out.append(r)
    return out
