"""How good a key quote each quote makes, and the pick of the best few.

The weights say what an editor looks for: a named speaker (the more the article
is about them, the better), a statement of readable length, early in the story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Quote
from bot.nlp.quotes.names import Names
from bot.nlp.quotes.regions import Region
from bot.nlp.quotes.text import trim


@dataclass(frozen=True, slots=True)
class Weights:
    named_speaker: float = 3.0  # a speaker with a name
    speaker_prominence: float = 1.5  # x mentions of the speaker / mentions of the top name
    unnamed_speaker: float = 1.0  # a pronoun or a description we could not resolve
    ideal_length: float = 2.0  # ideal_words long
    fair_length: float = 1.0  # fair_words long, or exactly four words
    too_long: float = -1.0  # over long_words
    position: float = 1.0  # x (1 - offset / length): the story comes first
    inherited: float = -0.3  # a bare quote that continues the previous speaker's
    question: float = -0.6  # a question rarely carries the news; a statement does
    runs_in: float = -1.5  # starts in lower case, run into the reporter's clause
    narration_free: int = 40  # characters of narration after the attribution, free
    narration_scale: int = 100  # characters of narration beyond that cost a whole point
    narration_max: float = 0.5  # the most narration can cost
    ideal_words: tuple[int, int] = (5, 40)
    fair_words: tuple[int, int] = (41, 70)
    long_words: int = 120


WEIGHTS = Weights()


def _body(text: str, r: Region, s: int, e: int) -> str:
    """The quote's words; paragraph continuations read on, an interruption is an ellipsis."""
    if len(r.parts) == 1:
        return text[s:e]
    pieces = [text[slice(*trim(text, a, b))] for a, b in r.parts]
    pieces[-1] = text[trim(text, *r.parts[-1])[0] : e]
    body = pieces[0]
    for k in range(1, len(pieces)):
        gap = text[r.parts[k - 1][1] : r.parts[k][0]]
        body += (" " if "\n" in gap else " … ") + pieces[k]
    return body


def _score_one(r: Region, body: str, s: int, n: int, names: Names, top: int, w: Weights) -> float:
    words = len(body.split())
    score = 0.0
    if r.partial:
        return score
    if r.speaker:
        score += w.named_speaker
        key = r.speaker.split()[-1]
        score += w.speaker_prominence * names.counts.get(key, 0) / top
    elif r.speaker_span:
        score += w.unnamed_speaker
    if w.ideal_words[0] <= words <= w.ideal_words[1]:
        score += w.ideal_length
    elif words == 4 or w.fair_words[0] <= words <= w.fair_words[1]:
        score += w.fair_length
    elif words > w.long_words:
        score += w.too_long
    score += w.position - s / n
    if r.inherited:
        score += w.inherited
    if body.endswith("?"):
        score += w.question
    if body[:1].islower():
        # took credit for “being right on …”: a statement, but it reads as half of one.
        score += w.runs_in
    if r.trail > w.narration_free:
        # "…,” Trump asked with a grin, stressing that …: the quote is embedded in
        # narration; a quote whose sentence is just the attribution stands alone.
        score -= min(w.narration_max, (r.trail - w.narration_free) / w.narration_scale)
    return score


def score(text: str, regions: list[Region], names: Names, w: Weights = WEIGHTS) -> list[Quote]:
    """Each region as a Quote, with its key-quote score."""
    n = max(1, len(text))
    top = max(names.counts.values(), default=1)
    out: list[Quote] = []
    for r in regions:
        s, e = trim(text, r.parts[0][0], r.parts[-1][1])
        if e <= s:
            continue
        body = _body(text, r, s, e)
        out.append(
            Quote(
                text=body,
                speaker=r.speaker,
                cue=r.cue,
                partial=r.partial,
                span=(s, e),
                speaker_span=r.speaker_span,
                score=round(_score_one(r, body, s, n, names, top, w), 4),
            )
        )
    return out


def key_quotes(quotes: Sequence[Quote], n: int = 3) -> list[Quote]:
    """The n best non-partial quotes, best first (what an editor would pick)."""
    seen: set[str] = set()
    out: list[Quote] = []
    for q in sorted((q for q in quotes if not q.partial), key=lambda q: (-q.score, q.span[0])):
        k = q.text.lower()
        if k in seen:
            continue
        seen.add(k)
        out.append(q)
        if len(out) >= n:
            break
    return out
