"""Attribution: the speaker and the verb of saying around a quote.

After the quote ("…,” Trump said), before it (Trump said: “…”), between its
parts, after a colon (Darrell Scott: ‘…’) or a dash (“…” — Sanders). A speaker
is a name mention, a pronoun or a noun phrase ("the senator").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.models import Span
from bot.nlp.quotes.names import Mention, Names
from bot.nlp.quotes.patterns import (
    CUE_SCAN_RE,
    DASH_RE,
    NP_AFTER_RE,
    SUBJECT_PRONOUNS,
    WORD_RE,
)
from bot.nlp.quotes.regions import Region
from bot.nlp.quotes.text import cues, sentence_end, sentence_start, starts_sentence
from bot.nlp.quotes.vocab import (
    ADVERBS,
    BREAK,
    CONTINUATION,
    CUE_OBJECTS,
    CUES,
    DAYS,
    DETERMINERS,
    INTRO_WORDS,
    MONTHS,
    SUBORDINATORS,
    TITLE_WORDS_PLUS,
    TITLES,
    WEAK_CUES,
)

LEAD_OPENERS = INTRO_WORDS | SUBORDINATORS | DAYS | MONTHS
"""First words of a leading phrase before the subject ("When asked", "On Tuesday")."""
NOT_DESCRIPTION = BREAK | INTRO_WORDS | CONTINUATION | DETERMINERS | CUES
"""Words that start a clause or a phrase, so what follows a cue is not a description."""

SpeakerKind = Literal["name", "pron", "np"]
Speaker = tuple[Span, SpeakerKind, Mention | None]

NAME_AFTER_CUE = 40
"""How far after a cue its speaker's name may start (`said, on Monday, Trump`)."""
PRE_GAP_MAX = 90
"""The most text between a cue and the quote it introduces (`said on Monday that “…”`)."""
COLON_SENTENCE_MAX = 300
"""The longest sentence read as a colon attribution (`Hoff’s letter makes the case: “…”`)."""


@dataclass(slots=True)
class Attr:
    span: Span
    kind: SpeakerKind
    cue: str
    mention: Mention | None = None


def _attr(r: Speaker, cue: str) -> Attr:
    return Attr(r[0], r[1], cue, r[2])


def cue_text(text: str, m: re.Match[str]) -> tuple[str, int]:
    """The cue, extended by a plain object ("told reporters")."""
    word = m.group().lower()
    end = m.end()
    if word in ("told", "tells", "tell", "telling", "asked", "asks"):
        om = re.match(r"\s+((?:the\s+)?[a-z]+)\b", text[end : end + 30])
        if om and om.group(1) in CUE_OBJECTS:
            return f"{m.group()} {om.group(1)}", end + om.end()
    return m.group(), end


DESCRIPTION_WORDS = 4
"""The most words describing a speaker between a cue and the name (`said retired
neurosurgeon Ben Carson`)."""


def _describes(lead: str) -> bool:
    """Words that can only describe who follows (`retired neurosurgeon`), no clause."""
    ws = lead.split()
    return (
        0 < len(ws) <= DESCRIPTION_WORDS
        and "," not in lead
        and not any(w.lower() in NOT_DESCRIPTION or w[:1].isdigit() for w in ws)
    )


def _speaker_after_cue(text: str, pos: int, hi: int, names: Names) -> Speaker | None:
    """`said Trump`, `said the senator`, `says he`."""
    m = NP_AFTER_RE.match(text, pos, hi)
    ms = names.at(pos, min(hi, pos + NAME_AFTER_CUE))
    if ms and text[pos : ms[0].start].strip(" ,") == "" and not ms[0].possessive:
        return (ms[0].start, ms[0].end), "name", ms[0]
    if ms:
        lead = text[pos : ms[0].start]
        if "," not in lead and all(
            w.lower().rstrip(".") in TITLES or w.lower() in TITLE_WORDS_PLUS for w in lead.split()
        ):
            first = next((mt for mt in ms if not mt.possessive), None)
            if first is not None and "," not in text[pos : first.start]:
                return (first.start, first.end), "name", first
    if ms and _describes(text[pos : ms[0].start]):
        # "said retired neurosurgeon Ben Carson", "said Virginia delegate Beau Correll"
        first = next((mt for mt in ms if not mt.possessive and names.person_like(mt)), None)
        if first is not None and _describes(text[pos : first.start]):
            return (first.start, first.end), "name", first
    if m is None:
        return None
    if m.group("pron"):
        return (m.start("pron"), m.end("pron")), "pron", None
    np_end = m.end("det")
    # A name inside the NP ("the campaign's spokesman John Doe") wins.
    for mt in names.at(m.start("det"), np_end):
        if not mt.possessive:
            return (mt.start, mt.end), "name", mt
    return (m.start("det"), np_end), "np", None


def _speaker_in_front(text: str, lo: int, cue_start: int, names: Names) -> Speaker | None:
    """The subject ending right before the cue (`Trump said`, `Kim, the leader, said`)."""
    j = cue_start
    seg_words = list(WORD_RE.finditer(text, lo, cue_start))
    # Skip adverbs and auxiliaries between subject and cue.
    while seg_words and seg_words[-1].group().lower() in ADVERBS:
        j = seg_words[-1].start()
        seg_words.pop()
    if seg_words and seg_words[-1].group().lower() in ("and", "but", "then", "or", "who"):
        return None  # "X shook her head and said": the sentence subject speaks
    end = j
    while end > lo and text[end - 1] in " \t":
        end -= 1
    if end <= lo:
        return None
    if text[end - 1] == ",":
        # Appositive: find the name before the previous comma.
        k = text.rfind(",", max(lo, end - 200), end - 1)
        if k > lo:
            r = _name_after_comma(text, k, names)
            if r is not None and re.fullmatch(
                r"\s*(?:\([^()]{1,40}\))?\s*", text[r[0][1] : end - 1]
            ):
                return r  # "…in the primary, Gov. John Kasich (R-OH), said"
            r = _subject_ending(text, lo, k, names)
            if r is not None:
                return r
        # "Peter Hart, 25, a bank employee, said": the first name in the clause.
        for mt in names.at(lo, end):
            if not mt.possessive and names.person_like(mt):
                return (mt.start, mt.end), "name", mt
        return None
    return _subject_ending(text, lo, end, names)


def _subject_ending(text: str, lo: int, end: int, names: Names) -> Speaker | None:
    mt = names.ending_at(end)
    if mt is not None and mt.start >= lo and not mt.possessive:
        return (mt.start, mt.end), "name", mt
    pm = re.search(rf"(?<![\w’'-])({SUBJECT_PRONOUNS})\s*$", text[max(lo, end - 6) : end], re.I)
    if pm:
        s = max(lo, end - 6) + pm.start(1)
        return (s, s + len(pm.group(1))), "pron", None
    # Nominal subject: walk back over lowercase words to a determiner.
    words = list(WORD_RE.finditer(text, max(lo, end - 90), end))
    for back in range(1, min(len(words), 8) + 1):
        w = words[-back]
        low = w.group().lower()
        if low in CUES and back > 1:
            break
        if low in DETERMINERS:
            # Prefer a name inside ("the Clinton campaign" stays nominal).
            return (w.start(), end), "np", None
    return None


def _name_after_comma(text: str, comma: int, names: Names) -> Speaker | None:
    """A pronoun or a person's name (titles allowed before it) right after a comma."""
    p = comma + 1
    while p < len(text) and text[p] in " \t":
        p += 1
    pm = re.match(rf"({SUBJECT_PRONOUNS})\b", text[p : p + 5])
    if pm:
        return (p, p + len(pm.group(1))), "pron", None
    for mt in names.at(p, p + 40):
        lead = text[p : mt.start].split()
        if mt.possessive or not all(w.lower().rstrip(".") in TITLES for w in lead):
            return None
        return ((mt.start, mt.end), "name", mt) if names.person_like(mt) else None
    return None


def _lead_subject(text: str, lo: int, hi: int, names: Names) -> Speaker | None:
    """The subject after a leading phrase, which ends at one of its commas (`Appearing
    before supporters, Suu Kyi said`, `When Mook was asked …, he laughed and said`)."""
    first = WORD_RE.search(text, lo, hi)
    if first is None:
        return None
    w = first.group().lower()
    if w not in LEAD_OPENERS and not (w.endswith("ing") and len(w) > 5):
        return None
    found: Speaker | None = None
    k = text.find(",", lo, hi)
    while k >= 0:
        r = _name_after_comma(text, k, names)
        if r is not None:
            found = r
        k = text.find(",", k + 1, hi)
    return found


def _first_subject(text: str, lo: int, hi: int, names: Names) -> Speaker | None:
    """Main-clause subject for participle cues (`X mocked ..., insisting that`)."""
    lead = _lead_subject(text, lo, hi, names)
    if lead is not None:
        return lead
    pm = re.match(r"\s*(?:\w+\s+){0,6}?(he|she|they|I|we)\b", text[lo:hi], re.I)
    for mt in names.at(lo, hi):
        if pm and lo + pm.start(1) < mt.start:
            break
        if mt.possessive:
            continue
        if names.person_like(mt) or starts_sentence(text, mt.start):
            return (mt.start, mt.end), "name", mt
    if pm:
        s = lo + pm.start(1)
        return (s, s + len(pm.group(1))), "pron", None
    return None


def _subject_before_cue(
    text: str, off: int, between: str, cue: str, names: Names, cue_start: int
) -> Attr | None:
    """The speaker between a quote's end and a later cue (`…,” the senator from Ohio said`)."""
    first = between.lstrip()
    s = off + (len(between) - len(first))
    pm = re.match(rf"({SUBJECT_PRONOUNS})\b", first, re.I)
    if pm and (pm.group(1) != "I" or first[:1] == "I"):
        return Attr((s, s + len(pm.group(1))), "pron", cue)
    ms = [mt for mt in names.at(off, cue_start) if not mt.possessive]
    fw = first.split(" ", 1)[0].lower() if first else ""
    if fw in DETERMINERS:
        ap = [mt for mt in ms if text[s : mt.start].rstrip().endswith(",")]
        if ap:
            return Attr((ap[0].start, ap[0].end), "name", cue, ap[0])
        return Attr((s, s + len(first.split(",")[0].rstrip())), "np", cue)
    if ms and ms[0].start - off < 60:
        return Attr((ms[0].start, ms[0].end), "name", cue, ms[0])
    if first[:1].isupper():
        # A capitalised subject we did not read as a name ("White House officials").
        return Attr((s, s + len(first.split(",")[0].rstrip())), "np", cue)
    return None


def post_attribution(text: str, lo: int, hi: int, names: Names, limit: int = 160) -> Attr | None:
    """Attribution after the quote, within its sentence; the cue starts within `limit`."""
    end = sentence_end(text, lo, hi)
    window = text[lo:end]
    stripped = window.lstrip(" \t,—–-")
    if not stripped:
        return None
    off = lo + len(window) - len(stripped)
    for cm in cues(text, off, end):
        if cm.start() - off > limit:
            break
        word = cm.group().lower()
        cue, cue_end = cue_text(text, cm)
        between = text[off : cm.start()]
        if between.strip() == "" or word == "according to":
            if between.strip() == "" and word in WEAK_CUES:
                return None
            r = _speaker_after_cue(text, cue_end, end, names)
            return None if r is None else _attr(r, cue)
        if any(q in between for q in '"“”'):
            return None
        return _subject_before_cue(text, off, between, cue, names, cm.start())
    return None


def _colon_attribution(text: str, start: int, hi: int, names: Names) -> Attr | None:
    """`Darrell Scott: ‘…’`, `Hoff’s letter makes the case: “…”`: the sentence subject."""
    if not text[start:hi].rstrip().endswith(":") or hi - start > COLON_SENTENCE_MAX:
        return None
    r = _first_subject(text, start, hi, names)
    if r is not None and (r[0][0] - start < 40 or _lead_subject(text, start, hi, names) == r):
        return _attr(r, "")
    words = list(WORD_RE.finditer(text, start, min(hi, start + 60)))[:4]
    if not words:
        return None
    return Attr((words[0].start(), words[-1].end()), "np", "")


def pre_attribution(text: str, lo: int, hi: int, names: Names) -> Attr | None:
    """Attribution before the quote, in the same sentence (`Trump said: “…”`)."""
    start = sentence_start(text, lo, hi)
    last: re.Match[str] | None = None
    for cm in cues(text, start, hi):
        last = cm
    if last is None:
        return _colon_attribution(text, start, hi, names)
    cue, cue_end = cue_text(text, last)
    gap = text[cue_end:hi]
    if len(gap) > PRE_GAP_MAX or any(q in gap for q in '"“”'):
        return _colon_attribution(text, start, hi, names)
    word = last.group().lower()
    if word == "according to" or text[start : last.start()].strip() == "":
        r = _speaker_after_cue(text, cue_end, hi, names)
        return _attr(r, cue) if r else None
    r = None
    cue_at = last.start()
    if word.endswith("ing"):
        # "Nefzi said, adding, “…”": the participle shares the finite cue's subject.
        for cm in cues(text, start, cue_at):
            if not cm.group().lower().endswith("ing"):
                cue_at = cm.start()
    cue_word = CUE_SCAN_RE.match(text, cue_at)
    if cue_word is None or not cue_word.group().lower().endswith("ing"):
        r = _speaker_in_front(text, start, cue_at, names)
    if r is None:
        r = _first_subject(text, start, cue_at, names)
    if r is None:
        return None
    return _attr(r, cue)


def subject_attribution(text: str, lo: int, hi: int, names: Names) -> Attr | None:
    """A quote run into the reporter's clause with no verb of saying (`Trump attacked “the
    hateful ideology …”`, `Moore thanked him for “…”`): the clause's subject says it."""
    start = sentence_start(text, lo, hi)
    lead = text[start:hi].rstrip()
    if not lead or not lead[-1].isalpha():
        return None
    r = _first_subject(text, start, hi, names)
    return None if r is None else _attr(r, "")


def dash_attribution(text: str, r: Region, names: Names) -> None:
    """A quote followed by a paragraph "- Sanders." or "—Michelle Marks, Philadelphia."."""
    m = DASH_RE.match(text, r.close_pos)
    if m is None:
        return
    ms = names.at(m.end(), m.end() + 40)
    if ms and ms[0].start - m.end() < 25:
        mt = ms[0]
        r.speaker_span = (mt.start, mt.end)
        r.speaker = names.canonical(mt)
