"""Quote marks that hold no full quote: partial quotes, titles, headlines, slogans.

A partial quote ("called it “a disgrace”") keeps its speaker but never becomes a
key quote; marks around a title of a work or a headline hold no speech at all.
"""

from __future__ import annotations

import re

from bot.models import Span
from bot.nlp.quotes.patterns import FULL_START, WORK_NOUN_RE
from bot.nlp.quotes.regions import Region
from bot.nlp.quotes.text import inner_text
from bot.nlp.quotes.vocab import (
    ADVERBS,
    CONTINUATION,
    CUES,
    DETERMINERS,
    NAMING_WORDS,
    NONPERSON,
    PRONOUNS,
    SMALL_WORDS,
)

FRAGMENT_WORDS = 3
"""A quote this short that does not end a clause is a fragment."""
SHORT_WORDS = 12
"""At most this many words, a quote may be a subhead or a title of a work."""
HEADLINE_CHARS = 250
"""The longest first paragraph read as the article's title line."""
CLOSING_WORDS = 5
"""A quote this long that closes its sentence is a statement, however it is introduced."""


def closes_sentence(text: str, r: Region, nwords: int) -> bool:
    """The quoted words end their sentence (“…terrorism.” then a new sentence or paragraph).

    Reporters run a quoted statement into their own clause (`took credit for “being
    right on radical Islamic terrorism.”`, `He added, “actually, what I…”`): the
    words are still a whole statement, quoted to its end, not a phrase in passing.
    """
    if nwords < CLOSING_WORDS or title_case(text, r):
        return False
    last = text[r.parts[-1][0] : r.parts[-1][1]].rstrip()
    if last[-1:] not in ".!?…":
        return False
    am = re.match(r"[ \t]*(\n|$|[\"“‘'(\[]?[A-Z0-9])", text[r.close_pos : r.close_pos + 4])
    return am is not None


def is_partial(text: str, r: Region, para_start: int) -> bool:
    """A fragment quoted inside a sentence, not a quote that stands as a sentence."""
    s, e = r.parts[0]
    inner = text[s:e].strip()
    if not inner:
        return True
    whole = inner_text(text, r.parts)
    nwords = len(whole.split())
    before = text[max(para_start, r.open_pos - 300) : r.open_pos].rstrip()
    prev = before[-1:] if before else ""
    first = inner[0]
    terminal = re.search(r"[.!?,…—-][\"”’']?\s*$", whole) is not None or bool(
        re.search(r"[.!?]\s+[A-Z]", whole)
    )
    if nwords <= FRAGMENT_WORDS and not terminal:
        return True
    if closes_sentence(text, r, nwords):
        return False
    clause_start = prev == "" or prev in FULL_START or prev in '.!?"”’'
    if not clause_start:
        lw = re.search(r"([\w’']+)\s*$", before)
        if lw and lw.group(1).lower() in CUES and lw.group(1).lower() != "that":
            clause_start = True
    starts_ok = first.isupper() or first.isdigit() or first in "….‘“'\"[(" or inner.startswith("I ")
    if not (clause_start and starts_ok):
        return True
    # A quoted title or phrase running into the sentence: “The Apprentice” star.
    if not terminal:
        after = text[r.close_pos : r.close_pos + 30]
        am = re.match(r"\s*([\w’']+)", after)
        word = am.group(1).lower() if am else ""
        if (
            am
            and am.group(1)[0].islower()
            and word not in CUES
            and word not in PRONOUNS
            and word not in DETERMINERS
        ):
            return True
    return False


def _words_of(text: str, parts: list[Span]) -> list[str]:
    return [w for s, e in parts for w in text[s:e].split()]


def title_case(text: str, r: Region, *, titles: bool = False) -> bool:
    """A short phrase in Title Case (names of books, films, shows, slogans).

    With `titles` (a noun such as "film" comes right before), one capitalised word
    ending in a full stop counts too: the film “Trainwreck.”
    """
    words = _words_of(text, r.parts)
    if not words or len(words) > 8 or len(r.parts) > 1:
        return False
    letters = [w.strip(".,!?:;—–-…()’'\"“”‘") for w in words]
    letters = [w for w in letters if w and w[0].isalpha()]
    if not letters or not letters[0][0].isupper():
        return False
    if len(letters) == 1:
        # One capitalised word: a title only if it is not a sentence ("Yes.", "Absolutely!").
        w = letters[0]
        tail = text[r.parts[0][0] : r.parts[0][1]].rstrip()[-1:]
        return (
            w.lower() not in CUES
            and (tail not in ".!?…" or (titles and tail == "."))
            and len(w) > 3
            and not (w.lower() in NONPERSON or w.lower() in ADVERBS)
        )
    caps = sum(1 for w in letters if w[0].isupper() or w[0].isdigit())
    small = sum(1 for w in letters if w.lower() in SMALL_WORDS)
    return caps + small >= len(letters) and caps >= 2 and caps > small


def _in_title_line(text: str, r: Region, ps: int, pe: int) -> bool:
    """A fragment quoted inside the article's title line ("Calls Remarks ‘Troubling.’"),
    but not a title that attributes a whole quote ("Kasich: ‘We Are Going …’")."""
    before = text[ps : r.open_pos].rstrip()
    rest = text[r.close_pos : pe].strip(" .;:,")
    outside = (before + " " + text[r.close_pos : pe]).split()
    long = [w for w in outside if len(w.strip(".,:;—–-’'\"“”‘")) >= 4]
    caps = sum(1 for w in long if w.strip("\"“‘'(")[:1].isupper())
    attributed = before.endswith((":", "—", "–", "-")) and (rest == "" or rest[:1] in "‘“'\"")
    return not attributed and len(long) >= 2 and caps >= 0.6 * len(long)


def _names_a_work(text: str, r: Region, ps: int) -> bool:
    """his new book, ''Doomed to Succeed,''; an ad titled “Scam.”; told “Fox and Friends”."""
    wm = WORK_NOUN_RE.search(text, max(ps, r.open_pos - 40), r.open_pos)
    return bool(
        wm and (wm.group().lower().startswith(NAMING_WORDS) or title_case(text, r, titles=True))
    )


def _runs_on(text: str, r: Region, pe: int) -> bool:
    """The marks hold a phrase the sentence runs on after, or a dated or bylined title."""
    e = r.parts[-1][1]
    after = text[r.close_pos : min(pe, r.close_pos + 60)]
    if re.match(r"[ \t]*\((?:[^()]{0,40}\b)?(?:1[89]|20)\d\d\)", after):
        return True  # “Yes to minaret ban” (2009): a dated slogan, poster or title
    if re.match(r"[ \t]*,?[ \t]*by[ \t]+(?:the[ \t]+)?[A-Z]", after):
        return True  # "Met accused of whitewashing baby Jesus," by Post's Kathianne Boniello
    am = re.match(r"[ \t]*([a-z]+)(?:[ \t]+([A-Za-z]+))?", after)
    # "…seems extremely unlikely" that Sanders can catch Clinton: the sentence runs on.
    return bool(
        am
        and len(r.parts) == 1
        and am.group(1) in CONTINUATION
        and text[e - 1 : e] not in ".!?…,;:—-"
        and (am.group(2) or "").lower() not in CUES
    )


def not_speech(text: str, r: Region, ps: int, pe: int, headline: bool, double_style: bool) -> bool:
    """Quote marks that hold no speech: headlines, subheads, titles of works."""
    inner = inner_text(text, r.parts)
    para = text[ps:pe].strip()
    alone = text[ps : r.open_pos].strip() == "" and text[r.close_pos : pe].strip(" .") == ""
    letters = [c for c in inner if c.isalpha()]
    if (alone or headline) and len(letters) >= 8 and all(c.isupper() for c in letters):
        return True  # “DIVISIVE, STUPID AND WRONG” alone: a shouted headline or subhead
    if headline and len(para) <= HEADLINE_CHARS and _in_title_line(text, r, ps, pe):
        return True
    short = len(inner.split()) <= SHORT_WORDS
    if r.kind == "single" and double_style and alone and short:
        return True  # ‘A healthy environment.’ alone between paragraphs: a subhead
    if short and _names_a_work(text, r, ps):
        return True
    return _runs_on(text, r, pe)
