"""Okapi BM25 over an article's sentences, each question word counted once."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from bot.nlp.answers.terms import variants
from bot.nlp.answers.weights import WEIGHTS as W


def bm25_idf(query: dict[str, float], df: Mapping[str, int], n: int) -> dict[str, float]:
    """Inverse document frequency of every query term and paraphrase over ``n`` documents,
    ``df`` of which use each term."""
    keys = {v for t in query for v, _ in variants(t)}
    df = {t: df.get(t, 0) for t in keys}
    return {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in keys}


def concepts(
    query: dict[str, float],
    doc: Counter[str],
    idf: dict[str, float],
    avg: float,
    context: Counter[str] | None = None,
    length: int | None = None,
) -> tuple[float, dict[str, float]]:
    """Okapi BM25 where each question word counts once, through its best paraphrase.

    Hand-written on purpose: the corpora are a few hundred sentences, built per
    question from cached term counts. Returns the score and, per question
    term, how fully the sentence matched it (1 for the word, 0.7 a paraphrase).
    A word found only in ``context`` (the sentence before) counts a third:
    "The vaccine ... was given to 4,800 children" is still about "the trial".
    ``length``: the sentence's own length, when ``doc`` holds more (names it reports).
    """
    k1, b = W.k1, W.b
    if length is None:
        length = sum(doc.values())
    norm = k1 * (1 - b + b * length / (avg or 1))
    score = 0.0
    matched: dict[str, float] = {}
    for t, qw in query.items():
        best = 0.0
        how = 0.0
        for v, vw in variants(t):
            tf = doc.get(v, 0)
            if tf:
                s = vw * idf[v] * tf * (k1 + 1) / (tf + norm)
                if s > best:
                    best, how = s, vw
        if not best and context:
            for v, vw in variants(t):
                if context.get(v, 0):
                    s = W.context * vw * idf[v] * (k1 + 1) / (1 + norm)
                    if s > best:
                        best, how = s, W.context * vw
        if best:
            score += qw * best
            matched[t] = how
    return score, matched


def concept_idf(term: str, idf: dict[str, float], absent: float) -> float:
    """A question word's weight: its own idf, or its paraphrase's if only that is present."""
    own = idf[term]
    if own < absent:
        return own
    present = [idf[v] for v, _ in variants(term)[1:] if idf[v] < absent]
    return max(present) if present else own
