"""Direct quotes and who said them: regions, then checks, attribution and scores.

No parser and no model: the bot has to digest dozens of articles a second and may
never download anything at run time, so everything here is pattern work over the
text as given. Offsets always point into the caller's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import Quote, Span
from bot.nlp.quotes.attribution import (
    Attr,
    dash_attribution,
    post_attribution,
    pre_attribution,
    subject_attribution,
)
from bot.nlp.quotes.checks import is_partial, not_speech, title_case
from bot.nlp.quotes.names import Names
from bot.nlp.quotes.patterns import APPOSITIVE_RE, MARK_CHARS
from bot.nlp.quotes.pronouns import Pronouns
from bot.nlp.quotes.regions import Region, find_regions, merge_interrupted
from bot.nlp.quotes.scoring import score
from bot.nlp.quotes.text import first_cue, first_nonspace, para_bounds, sentence_end
from bot.nlp.quotes.vocab import PERSON_PRONOUNS

PRE_REACH = 400
"""How far before a quote its attribution may start (`Trump said on Monday: “…”`)."""
POST_REACH = 250
"""How far after a quote its attribution is looked for."""
POST_CUE_ENDED = 60
"""After a quote that ends a sentence (.”), the cue must start this close (“…,” she said)."""
POST_CUE = 160
"""After a quote that runs on (,”), the cue may start this far (“…,” the senator from X said)."""
BRIDGE_MAX = 60
"""The longest attribution ending the previous paragraph that a bare quote inherits."""


def _blank(text: str, skip: Sequence[tuple[int, int]]) -> str:
    """text with the spans in skip blanked out (newlines kept), offsets unchanged."""
    if not skip:
        return text
    chars = list(text)
    for s, e in skip:
        for i in range(max(0, s), min(len(text), e)):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _first_paragraph(work: str) -> int:
    lead = first_nonspace(work, 0)
    while lead < len(work) and work[lead] in "\r\n \t":
        lead += 1
    return lead


class _Extraction:
    """One article's quotes, attributed in text order (a quote may inherit the last)."""

    def __init__(self, work: str, regions: list[Region]) -> None:
        self.work = work
        self.regions = regions
        self.names = Names(work)
        self.nl = [m.start() for m in re.finditer("\n", work)]
        spans: list[Span] = [(r.open_pos, r.close_pos) for r in regions]
        self.pronouns = Pronouns(self.names, self.nl, spans)
        self.first_para = _first_paragraph(work)
        self.doubles = any(r.kind == "double" for r in regions)
        self.speakers: list[tuple[int, str]] = []

    def run(self) -> None:
        work = self.work
        prev: Region | None = None
        prev_para = -1
        for idx, r in enumerate(self.regions):
            ps, pe = para_bounds(self.nl, work, r.open_pos)
            headline = ps == self.first_para and pe < len(work)
            r.partial = is_partial(work, r, ps) or not_speech(
                work, r, ps, pe, headline, self.doubles
            )
            nxt_open = self.regions[idx + 1].open_pos if idx + 1 < len(self.regions) else len(work)
            attr = self._attribution(r, ps, prev, nxt_open)
            if attr is not None:
                self._attribute(r, attr)
            elif prev is not None and prev.speaker_span is not None:
                self._inherit(r, prev, prev_para, ps)
            if r.speaker_span is None:
                dash_attribution(work, r, self.names)
            if (r.speaker_span is None or r.inherited) and not r.partial and title_case(work, r):
                # “Cruel Intentions,” on TNT: an unattributed title-case phrase names a work.
                r.partial = True
                if r.inherited:
                    r.speaker = r.speaker_span = r.cue = None
                    r.inherited = False
            if r.speaker:
                self.speakers.append((r.open_pos, r.speaker))
            prev = r
            prev_para = ps

    def _attribution(self, r: Region, ps: int, prev: Region | None, nxt_open: int) -> Attr | None:
        """Inside an interrupted quote first, then after the quote, then before it."""
        work, names = self.work, self.names
        attr: Attr | None = None
        if len(r.parts) > 1:
            gap_lo = r.parts[0][1]
            while gap_lo < len(work) and work[gap_lo] in MARK_CHARS:
                gap_lo += 1
            gap_hi = r.parts[1][0]
            while gap_hi > gap_lo and work[gap_hi - 1] in MARK_CHARS:
                gap_hi -= 1
            if work.find("\n", gap_lo, gap_hi) < 0:
                attr = post_attribution(work, gap_lo, gap_hi, names)
        if attr is None:
            _, close_pe = para_bounds(self.nl, work, r.close_pos - 1)
            ended = work[r.parts[-1][0] : r.parts[-1][1]].rstrip()[-1:] in (".", "!", "?", "…")
            hi = min(close_pe, nxt_open, r.close_pos + POST_REACH)
            limit = POST_CUE_ENDED if ended else POST_CUE
            attr = post_attribution(work, r.close_pos, hi, names, limit=limit)
        if attr is None:
            prev_close = prev.close_pos if prev is not None else 0
            lo = max(ps, prev_close, r.open_pos - PRE_REACH)
            attr = pre_attribution(work, lo, r.open_pos, names)
            if attr is None and r.open_pos == first_nonspace(work, ps):
                attr = self._colon_paragraph(ps, prev_close)
            if attr is None and not r.partial:
                attr = subject_attribution(work, lo, r.open_pos, names)
        return attr

    def _colon_paragraph(self, ps: int, prev_close: int) -> Attr | None:
        """ "He added:" closing the previous paragraph."""
        work = self.work
        pps, _ = para_bounds(self.nl, work, max(0, ps - 2))
        pps = max(pps, ps - PRE_REACH)
        tail = work[pps:ps].rstrip()
        if tail.endswith(":") and ps > 1:
            return pre_attribution(work, max(pps, prev_close), pps + len(tail), self.names)
        return None

    def _attribute(self, r: Region, attr: Attr) -> None:
        work = self.work
        r.speaker_span = attr.span
        r.cue = attr.cue
        if attr.span[0] >= r.close_pos:
            _, close_pe = para_bounds(self.nl, work, r.close_pos - 1)
            send = sentence_end(work, r.close_pos, close_pe)
            cue_at = work.find(attr.cue, r.close_pos, send) if attr.cue else -1
            tail_from = max(attr.span[1], cue_at + len(attr.cue) if cue_at >= 0 else 0)
            rest = work[tail_from:send]
            # ", who has run a bakery since 2008" describes the speaker, not the scene.
            if not APPOSITIVE_RE.match(rest):
                r.trail = len(rest.strip())
        r.speaker = self._resolve(attr)
        if attr.mention is not None:
            attr.mention.subject = True
            self.names.speaker_keys.add(attr.mention.tokens[-1])

    def _resolve(self, attr: Attr) -> str | None:
        if attr.kind == "name" and attr.mention is not None:
            return self.names.canonical(attr.mention)
        if attr.kind == "pron":
            p = self.work[attr.span[0] : attr.span[1]].lower()
            if p in PERSON_PRONOUNS:
                return self.pronouns.antecedent(attr.span[0], p, self.speakers)
        return None

    def _same_voice(self, prev: Region, r: Region) -> bool:
        """Nobody else is named between two quotes of one paragraph, close together."""
        assert prev.speaker_span is not None
        if r.partial or r.open_pos - prev.close_pos > SAME_VOICE_GAP:
            return False
        own = prev.speaker_span
        for mt in self.names.at(prev.close_pos, r.open_pos):
            if (mt.start, mt.end) != own and self.names.person_like(mt):
                return False
        return True

    def _inherit(self, r: Region, prev: Region, prev_para: int, ps: int) -> None:
        """An unattributed quote right after an attributed one may be the same speaker's."""
        work = self.work
        if prev_para == ps and sentence_end(work, prev.close_pos, r.open_pos) == r.open_pos:
            # A later quote in the same sentence ("praised X as “a” and said “b”").
            r.speaker = prev.speaker
            r.speaker_span = prev.speaker_span
            r.cue = prev.cue
        elif prev_para == ps and self._same_voice(prev, r):
            # “A,” he said outside. But “B.”: the paragraph goes on with the same speaker.
            r.speaker = prev.speaker
            r.speaker_span = prev.speaker_span
            r.cue = prev.cue
            r.inherited = True
        elif prev_para >= 0:
            # A bare quote right after an attributed one continues it.
            gap = work[prev.close_pos : r.open_pos]
            bare = (
                r.open_pos == first_nonspace(work, ps)
                and prev_para == para_bounds(self.nl, work, max(0, ps - 1))[0]
            )
            # The previous paragraph may end with the attribution ("…,” she said.).
            if bare and "\n" in gap and len(gap.strip()) < BRIDGE_MAX and first_cue(gap):
                gap = ""
            if gap.count("\n") <= 2 and len(gap.strip()) < 3 and not r.partial:
                r.speaker = prev.speaker
                r.speaker_span = prev.speaker_span
                r.cue = prev.cue
                r.inherited = True


SAME_VOICE_GAP = 200
"""The most narration between two quotes of a paragraph that the second inherits across."""


def extract_quotes(text: str, *, skip: Sequence[tuple[int, int]] = ()) -> list[Quote]:
    """Every direct quote in `text`, in text order, with speakers; spans in `skip` are ignored."""
    if not text:
        return []
    work = _blank(text, skip)
    if not any(c in work for c in MARK_CHARS):
        return []
    regions = merge_interrupted(work, find_regions(work))
    if not regions:
        return []
    ex = _Extraction(work, regions)
    ex.run()
    return score(text, regions, ex.names)
