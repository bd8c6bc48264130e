"""Scoring every sentence of the thread against one question, and picking the answer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlp.answers.bm25 import bm25_idf, concept_idf, concepts
from bot.nlp.answers.evidence import answer_spans, evidence
from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.question import Question
from bot.nlp.answers.terms import variants
from bot.nlp.answers.thread import Thread
from bot.nlp.answers.weights import WEIGHTS as W

_NO_NAMES: set[str] = set()  # shared, never changed

Ranked = tuple[float, float, float, int]  # score, coverage, evidence, position in the corpus


@dataclass(frozen=True, slots=True)
class Asked:
    """The question as ranking needs it."""

    question: Question
    terms: dict[str, float]  # search term -> weight (1 the question's own, less a follow-up's)
    measures: tuple[str, ...]  # measure words ("score", "share") matched by evidence instead
    subjects: tuple[str, ...]  # the people it is about
    follow_up: bool
    previous: frozenset[tuple[str, str]]  # (article id, text) of the previous answer


@dataclass(frozen=True, slots=True)
class Corpus:
    """The sentences that may answer, and the word weights they are scored with."""

    flat: list[tuple[Indexed, int]]  # (article, sentence number) of every candidate
    idf: dict[str, float]
    avg: float  # mean sentence length, in terms
    concept_idf: dict[str, float]  # one weight per question word (see ``concept_idf``)
    main: set[str]  # the words coverage is measured on
    total: float  # their summed weight
    wider: set[str]  # a follow-up's words and the previous question's (else empty)
    wider_total: float


def corpus(asked: Asked, thread: Thread, flat: list[tuple[Indexed, int]]) -> Corpus:
    """Word weights from the whole thread: a word every story uses says little."""
    terms, measures = asked.terms, asked.measures
    idf = bm25_idf(terms, thread.df, thread.sentences)
    avg = thread.avg
    absent = math.log(1 + (thread.sentences + 0.5) / 0.5)
    weights = {t: concept_idf(t, idf, absent) for t in terms}
    weights.update(dict.fromkeys(measures, absent))
    # Coverage is of the question's own words; a bare "how much will that cost?"
    # leans on the previous question's instead.
    own = {t for t, w in terms.items() if w >= 1.0} | set(measures)
    main = own or set(terms)
    # A follow-up's own words are few ("what's his role?"): a sentence also covers it by
    # covering what the question before asked about (the better of the two counts).
    # ("what did she say": whom it asks about is the link, and their words count).
    wider = set()
    if asked.follow_up and own and asked.question.kind != "say":
        wider = set(terms) | set(measures)

    def total(words: set[str]) -> float:
        # A word no article uses (nor a paraphrase of it) is how the asker put it, not
        # how the reporter did: it counts less towards what a sentence must cover.
        return (
            sum(
                weights[t]
                * min(terms.get(t, 1.0), 1.0)
                * (W.unused_word if weights[t] >= absent else 1.0)
                for t in words
            )
            or 1.0
        )

    return Corpus(flat, idf, avg, weights, main, total(main), wider, total(wider))


def rank(asked: Asked, corpus: Corpus) -> list[Ranked]:
    """Every sentence that can score scored, best first (earlier first among equals)."""
    ranked = [score_sentence(asked, corpus, n) for n in candidates(asked, corpus)]
    # What the kind needs first: a sentence without it (no number for "how many")
    # is no answer, however many of the question's words it repeats.
    ranked.sort(key=lambda r: (r[2] >= W.min_evidence, r[0], -r[3]), reverse=True)
    return ranked


def candidates(asked: Asked, corpus: Corpus) -> list[int]:
    """The sentences whose score can be above 0: those using a question word (or after
    one that does: its context), and those naming or reporting a person asked about.

    Any other scores 0, and a 0 is never an answer, a rival (the default is 0) or a
    second sentence; skipping them spares scoring every sentence of a 50-story thread.
    A measure word ("the score") adds to any sentence with the evidence: all are read.
    """
    flat = corpus.flat
    if asked.measures:
        return list(range(len(flat)))
    wanted = {v for t in asked.terms for v, _ in variants(t)}
    people = set(asked.subjects)
    return [
        n
        for n, (idx, i) in enumerate(flat)
        if not wanted.isdisjoint(idx.terms[i])
        or (i > 0 and not wanted.isdisjoint(idx.terms[i - 1]))
        or (people and not people.isdisjoint(idx.names[i]))
        or (people and not people.isdisjoint(idx.said.get(i, ())))
    ]


def score_sentence(asked: Asked, corpus: Corpus, n: int) -> Ranked:
    """BM25, times how much of the question it covers and the evidence its kind needs."""
    idx, i = corpus.flat[n]
    context = idx.terms[i - 1] if i else None
    own = sum(idx.base_terms[i].values())
    score, matched = concepts(asked.terms, idx.terms[i], corpus.idf, corpus.avg, context, own)
    names = idx.names[i] if idx.has_people else _NO_NAMES  # not read: no one asked of
    found = evidence(asked.question, idx.sentences[i].text, set(matched), names)
    if asked.measures and found >= W.exact_evidence:
        # "what was the final score": a scoreline is the score.
        score += sum(corpus.concept_idf[m] for m in asked.measures)
        matched.update(dict.fromkeys(asked.measures, 1.0))
    weights = corpus.concept_idf
    covered = sum(weights[t] * how for t, how in matched.items() if t in corpus.main)
    coverage = covered / corpus.total
    if corpus.wider:
        wide = sum(weights[t] * how for t, how in matched.items() if t in corpus.wider)
        coverage = max(coverage, wide / corpus.wider_total)
    score *= W.coverage_base + coverage  # a sentence that answers all of it beats a partial one
    score, coverage = _speaker(asked, idx, i, score, coverage)
    score *= W.evidence_floor + W.evidence_gain * found
    if asked.follow_up and asked.previous and _near_previous(asked, idx, i):
        # "who's in it?": with no words of its own, "it" is in the answer before.
        bare = not any(w >= 1.0 for w in asked.terms.values())
        score *= W.near_previous_bare if bare else W.near_previous
    score *= 1.0 + W.lead_bonus / (1 + i)  # reporters put the main facts first
    return score, coverage, found, n


def _speaker(
    asked: Asked, idx: Indexed, i: int, score: float, coverage: float
) -> tuple[float, float]:
    """Score and coverage, given whether the people asked about said this sentence."""
    subjects, say = asked.subjects, asked.question.kind == "say"
    said = idx.said.get(i, {})
    if not subjects or not (say or asked.follow_up or any(p in said for p in subjects)):
        return score, coverage
    strength = max(said.get(p, 0.0) for p in subjects)
    if strength:
        score += W.said_bonus + W.said_gain * strength
        if say:
            coverage = max(coverage, W.say_coverage)
    elif say:
        score *= W.unsaid_score
        coverage *= W.unsaid_coverage
    elif any(p in idx.names[i] for p in subjects):
        score += W.mention_bonus
    return score, coverage


def _near_previous(asked: Asked, idx: Indexed, i: int) -> bool:
    """Whether sentence ``i`` is (next to) a sentence of the previous answer."""
    lo, hi = max(0, i - W.near_window), min(len(idx.sentences), i + W.near_window + 1)
    return any((idx.article.id, idx.sentences[j].text) in asked.previous for j in range(lo, hi))


def confident(asked: Asked, corpus: Corpus, ranked: list[Ranked]) -> bool:
    """Whether the best sentence covers the question well enough, with the evidence it
    needs, and stands out: when another sentence (not its neighbour) scores nearly as
    well, the articles do not single out an answer, and a guess is worse than the links.
    When the best has exactly what the kind needs, only a sentence that has it too is a
    rival: "researchers set up camera traps" names no one for "who set up the traps"."""
    if not ranked:
        return False
    score, coverage, found, n = ranked[0]
    exact = found >= W.exact_evidence and asked.question.kind not in {"other", "yesno"}
    needed = W.min_coverage_with_evidence if exact else W.min_coverage
    if asked.question.kind == "yesno":
        needed = W.min_coverage_yesno  # a sentence only says yes if it says all of it
    if score <= 0 or coverage < needed or found < W.min_evidence:
        return False
    key = _answer_key(asked, *corpus.flat[n])
    rival = next(
        (
            r[0]
            for r in ranked[1:]
            if r[2] >= W.min_evidence
            and (r[2] >= W.exact_evidence or not exact)
            and not _agrees(asked, corpus, n, r[3], key)
        ),
        0.0,
    )
    return score >= W.min_margin * rival


def _agrees(asked: Asked, corpus: Corpus, best: int, other: int, key: frozenset[str]) -> bool:
    """Whether sentence ``other`` is no rival to ``best``: its neighbour, or one giving
    the same answer (the same name, number or date; the same speaker)."""
    idx, i = corpus.flat[best]
    idx2, j = corpus.flat[other]
    if idx2 is idx and abs(j - i) <= 1:
        return True
    return bool(key & _answer_key(asked, idx2, j))


def _answer_key(asked: Asked, idx: Indexed, i: int) -> frozenset[str]:
    """What the sentence answers with, lower case: its new names, numbers or dates, or
    who it reports (for "what did X say")."""
    q = asked.question
    if q.kind == "say":
        return frozenset(idx.said.get(i, {}))
    text = idx.sentences[i].text
    words = (
        w.strip(".,;:!?'’\"“”").lower() for s, e in answer_spans(q, text) for w in text[s:e].split()
    )
    return frozenset(w for w in words if w and w not in q.words)


def pick(asked: Asked, corpus: Corpus, ranked: list[Ranked], max_sentences: int) -> list[int]:
    """The best sentence, and the one or two around it that belong to the answer."""
    flat = corpus.flat
    best_score, _cov, _ev, best_n = ranked[0]
    picked = [best_n]
    idx0, i0 = flat[best_n]
    if asked.question.kind == "say" and max_sentences > 1:
        start = _quote_start(asked, idx0, i0)
        if start is not None:
            picked.append(next(k for k, (ix, j) in enumerate(flat) if ix is idx0 and j == start))
        elif _goes_on(asked, idx0, i0):  # "We are not talking about little green men," ...
            picked.append(next(k for k, (ix, j) in enumerate(flat) if ix is idx0 and j == i0 + 1))
    for score, cov, _ev, n in ranked[1:]:
        if len(picked) >= max_sentences:
            break
        idx1, i1 = flat[n]
        # A second sentence only when it continues the first (same article, next
        # sentence) and scores nearly as well: answers stay short.
        if (
            idx1 is idx0
            and abs(i1 - i0) == 1
            and score >= W.second_share * best_score
            and cov >= W.second_coverage
        ):
            picked.append(n)
    picked.sort(key=lambda n: flat[n][1])
    return _whole_quotes(flat, picked)


QUOTE_GROWTH = 2  # sentences a quotation may add to an answer to be shown whole


def _whole_quotes(flat: Sequence[tuple[Indexed, int]], picked: list[int]) -> list[int]:
    """The picked sentences with the rest of a quotation they cut: the sentence splitter
    ends sentences inside a quote of several ("…,” Quinlan said. “We did not want this
    strike."), and an answer that opens or ends mid-quote reads as a misquote."""
    idx = flat[picked[0]][0]
    if any(flat[n][0] is not idx for n in picked):
        return picked
    texts = idx.sentences

    def depth(lo: int, hi: int) -> int:  # quotes opened and not closed in lo..hi
        text = " ".join(texts[j].text for j in range(lo, hi + 1))
        return text.count("“") - text.count("”")

    first, last = flat[picked[0]][1], flat[picked[-1]][1]
    if depth(first, last) == 0:
        return picked
    for _ in range(QUOTE_GROWTH):
        if depth(first, last) > 0 and last + 1 < len(texts):
            last += 1
        elif depth(first, last) < 0 and first > 0:
            first -= 1
    if depth(first, last) != 0:
        return picked  # no whole quotation within reach: as the ranking picked
    at = {j: k for k, (ix, j) in enumerate(flat) if ix is idx}
    grown = [at[j] for j in range(first, last + 1) if j in at]
    return grown if len(grown) == last - first + 1 else picked


def _goes_on(asked: Asked, idx: Indexed, i: int) -> bool:
    """Whether the speaker asked about goes on speaking in the next sentence: it is theirs,
    or a quote no one else is credited with, after one of theirs."""
    if i + 1 >= len(idx.sentences) or not any(p in idx.said.get(i, {}) for p in asked.subjects):
        return False
    said = idx.said.get(i + 1, {})
    if said:
        return any(p in said for p in asked.subjects)
    return idx.sentences[i + 1].text.lstrip()[:1] in "“\"‘'"


def _quote_start(asked: Asked, idx: Indexed, i: int) -> int | None:
    """A quote that began a sentence or two earlier: where it starts (and its attribution)."""
    starts = [
        j
        for qt in idx.quote_sentence.get(i, [])
        if qt.speaker in asked.subjects or qt.speaker is None
        for j in range(max(0, i - W.quote_lookback), i)
        if idx.sentences[j].start <= qt.span[0] < idx.sentences[j].end
    ]
    return min(starts) if starts else None
