"""Which stories of a digest thread a question is about, before their sentences compete."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.models import SourceArticle, Turn
from bot.nlp.answers.terms import search_terms, variants
from bot.nlp.answers.thread import Thread
from bot.nlp.answers.weights import WEIGHTS as W


def focus_articles(
    terms: dict[str, float],
    articles: Sequence[SourceArticle],
    thread: Thread,
    subjects: Sequence[str],
    previous: Turn | None,
) -> set[int]:
    """The articles (by ``id`` of their index) a question in a multi-article thread is about.

    Each question word counts by how few of the thread's articles use it ("Corvane",
    "Penang" name one story; "people" or "said" name none), so a question is steered
    to its story before its sentences compete with look-alikes from other stories.
    A person asked about, or the previous answer's article on a follow-up, counts too.
    """
    indexes = thread.indexes
    everything = {id(idx) for idx in indexes}
    if len(indexes) < 2:
        return everything
    n = len(indexes)
    relevance: dict[int, float] = {}
    for article, idx in zip(articles, indexes, strict=True):
        score = _relevance(terms, article, idx, thread)
        if subjects and thread.quotes_or_reports(idx, subjects):
            score += math.log(n + 1)
        if previous and any(s.article_id == idx.article.id for s in previous.answer.sentences):
            score += math.log(n + 1)
        relevance[id(idx)] = score
    top = max(relevance.values())
    if top <= 0:
        return everything
    return {k for k, v in relevance.items() if v >= W.focus_share * top}


def _relevance(
    terms: dict[str, float], article: SourceArticle, idx: Indexed, thread: Thread
) -> float:
    """How much the question's words single out this article among the thread's."""
    n = len(thread.indexes)
    lead = idx.lead
    # The title's terms, shared (not copied into a Counter and joined to the lead's for each
    # article and question: a term is in one or the other).
    title = search_terms(article.title or "")
    score = 0.0
    for t, qw in terms.items():
        best = 0.0
        for v, vw in variants(t):
            if v in idx.vocab:
                df = thread.article_df[v]
                # what the story is about
                about = W.focus_lead if v in lead or v in title else 1.0
                best = max(best, about * vw * math.log((n + 1) / df))
        score += min(qw, 1.0) * best
    return score
