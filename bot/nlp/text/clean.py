"""Cleaning pasted or scraped article text without losing offsets.

Nothing is deleted from the caller's string: cleaning decides which spans of
it are article body (``blocks``) and which are furniture (title, photo credits,
"Most Popular", share and subscribe lines, text repeated across the page).
Sentences and quotes are then found inside the blocks only, so every offset we
report still points into the text exactly as given.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.errors import BadInputError
from bot.models import Span

MAX_TEXT_CHARS = 2_000_000
"""Longer input is refused: a 5 MB paste is not an article, and bounding the
size bounds the time every later stage takes."""

_FURNITURE_LINE = re.compile(
    r"""^\W*(?:
        most\ (?:popular|read|shared|viewed)
      | advertisement | sponsored(?:\ content)? | promoted\ stories?
      | read\ (?:more|next|this\ next|full\ story)\b[^.!?]*
      | related(?:\ (?:articles?|stories|coverage|content))?\b:?[^.!?]*
      | (?:more|also)\ (?:on|from|in)\ [\w\s]{1,40}
      | recommended(?:\ for\ you)?
      | share(?:\ this)?(?:\ (?:article|story|page|on\ \w+))?
      | (?:tweet|email|print|comments?|facebook|twitter|whatsapp|linkedin|pinterest|reddit)
      | (?:sign\ up|subscribe|register)\b[^.!?]*
      | (?:click|tap)\ here\b[^.!?]*
      | scroll\ down\b[^.!?]*
      | follow\ (?:us|me)\b[^.!?]*
      | (?:image|photo|picture|video)\ (?:copyright|caption|credit|source)\b[^.!?]*
      | (?:photo|image|picture|photograph|credit|source|video)s?\s?:.*
      | (?:published|updated|last\ updated|posted)(?:\ (?:on|at))?\s?:?\ .*\d.*
      | by\ \.?\ ?[\w.'’\- ]{2,60}\.?\ ?
      | (?:this\ )?(?:article|story)\ (?:was\ )?(?:originally\ )?(?:published|appeared)\b.*
      | (?:all\ )?rights\ reserved\.?.* | ©.* | copyright\ \d{4}.*
      | we\ use\ cookies\b.* | accept(?:\ all)?\ cookies
      | (?:enable|please\ enable)\ javascript\b.*
      | loading\.{0,3} | advert(?:isement)?\ feature
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)

_AGENCIES = (
    r"shutterstock(?:\.com)?|getty(?:\ images)?|ap(?:\ photo)?|afp|reuters|epa|alamy|pa(?:\ wire)?"
    r"|istock(?:photo)?|bloomberg|xinhua|yonhap|anadolu|sipa|rex|wireimage|corbis|nurphoto"
    r"|ap\ images|unsplash|wikimedia(?:\ commons)?|flickr|instagram|twitter|x"
)
_PHOTO_CREDIT = re.compile(
    rf"""^\s*\(?(?:
        [^\n/]{{1,60}}\s/\s*(?:{_AGENCIES})\b[^\n]{{0,30}}   # Alexander Khitrov / Shutterstock.com
      | (?:(?:photo|image|picture)s?\s+(?:by|courtesy\s+of)\s+)[^\n]{{1,80}}
      | (?:{_AGENCIES})(?:\s*/\s*[^\n]{{1,40}})?           # Getty Images / AFP
      | [^\n]{{1,60}}\((?:{_AGENCIES})[^)\n]{{0,30}}\)      # Smith (Reuters)
      | [^\n]{{1,60}}\s+for\s+(?:{_AGENCIES})\b[^\n]{{0,30}}
    )\)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)

# Furniture that scrapers glue to the front or end of a real sentence.
INLINE_FURNITURE = re.compile(
    r"(?:scroll down for (?:video|more)|click here (?:for|to) [^.]{0,60}|read more:?"
    r"|advertisement|share this article|sign up for [^.]{0,60}newsletter[^.]{0,20})",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class CleanText:
    """The article body of ``text`` as spans into it, plus what was recognised."""

    text: str
    title: str | None
    title_span: Span | None
    blocks: tuple[Span, ...]  # paragraphs of article body, in order
    removed: tuple[Span, ...]  # furniture, including the title line


class InputTooLargeError(BadInputError):
    pass


def _lines(text: str) -> list[Span]:
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        s, e = m.span()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((s, e))
    return spans


def _norm(line: str) -> str:
    return re.sub(r"\W+", " ", line).strip().lower()


def is_furniture(line: str) -> bool:
    """True for a line that is page furniture rather than article text."""
    if len(line) > 300 or len(line.split()) > 20:
        return False
    return bool(_FURNITURE_LINE.match(line) or _PHOTO_CREDIT.match(line))


def _looks_like_title(text: str, first: Span, second: Span) -> bool:
    """A short first line standing apart: followed by a blank line, or by a
    line that starts a new sentence (not a hard-wrapped continuation)."""
    line = text[first[0] : first[1]]
    words = line.split()
    apart = "\n\n" in text[first[1] : second[0]].replace("\r", "")
    nxt = text[second[0] : second[1]].lstrip("\"'“‘(")
    if not apart and (not nxt[:1].isupper() or len(words) > 15):
        return False
    return (
        0 < len(words) <= 25
        and not line.rstrip().endswith((".", ",", ";", ":", "”", '"', "’"))
        and not is_furniture(line)
    )


def _ends_sentence(line: str) -> bool:
    return line.rstrip().endswith((".", "!", "?", "”", '"', "’", "'", ":", ")"))


def clean(text: str) -> CleanText:
    """Find the title, the body paragraphs and the furniture of an article."""
    if len(text) > MAX_TEXT_CHARS:
        raise InputTooLargeError(
            f"text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,} "
            "(is this really one article?)"
        )
    lines = _lines(text)
    removed: list[Span] = []
    title: str | None = None
    title_span: Span | None = None

    # Text repeated across the page (nav, "Most Popular" twice, a pull quote
    # printed again) counts once at most: short repeats are furniture.
    counts = Counter(_norm(text[s:e]) for s, e in lines)
    seen: set[str] = set()

    if len(lines) >= 2 and _looks_like_title(text, lines[0], lines[1]):
        title_span = lines[0]
        title = text[title_span[0] : title_span[1]]
        removed.append(title_span)
        seen.add(_norm(title))
        lines = lines[1:]

    kept: list[Span] = []
    follows: list[bool] = []  # kept line directly after the previous kept one
    previous_kept = False
    for s, e in lines:
        line = text[s:e]
        key = _norm(line)
        if (
            not key
            or is_furniture(line)
            or (counts[key] > 1 and (len(key.split()) < 12 or key in seen))
        ):
            removed.append((s, e))
            previous_kept = False
            continue
        seen.add(key)
        follows.append(previous_kept)
        kept.append((s, e))
        previous_kept = True

    # Hard-wrapped text (a line break every ~70 characters) is one paragraph:
    # join a line that does not end a sentence with the next one when no
    # blank line separates them.
    blocks: list[Span] = []
    for (s, e), adjacent in zip(kept, follows, strict=True):
        if blocks and adjacent:
            ps, pe = blocks[-1]
            gap = text[pe:s]
            if "\n\n" not in gap.replace("\r", "") and not _ends_sentence(text[ps:pe]):
                prev_len = pe - ps
                if prev_len > 40:
                    blocks[-1] = (ps, e)
                    continue
        blocks.append((s, e))
    return CleanText(
        text=text,
        title=title,
        title_span=title_span,
        blocks=tuple(blocks),
        removed=tuple(sorted(removed)),
    )
