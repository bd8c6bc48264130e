"""Reading an article once: sentences, their terms, quotes and people, cached."""

from __future__ import annotations

import bisect
import threading
from functools import lru_cache

from bot.models import Quote, Sentence
from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.models import Named, SourceArticle
from bot.nlp.answers.people import find_people
from bot.nlp.answers.terms import stem_terms
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.quotes import extract_quotes
from bot.nlp.text.article import article_sentences
from bot.nlp.text.clean import clean


def clear_article_cache() -> None:
    _index_cached.cache_clear()


def index_article(article: SourceArticle) -> Indexed:
    """The article as the answerer searches it; the same text is read only once.

    Cached by id, text, URL and stored analysis (the text itself is the key: hashing it
    again, as a digest, only doubled the cost of every question's lookups)."""
    return _index_cached(
        article.id, article.text, article.url, article.sentences, article.quotes, article.named
    )


@lru_cache(maxsize=512)
def _index_cached(
    article_id: str,
    text: str,
    url: str | None,
    stored_sentences: tuple[Sentence, ...] | None,
    stored_quotes: tuple[Quote, ...] | None,
    named: Named | None,
) -> Indexed:
    sentences, quotes = _analyze(text, stored_sentences, stored_quotes)
    idx = Indexed(
        SourceArticle(id=article_id, text=text, url=url, named=named),
        sentences,
        [stem_terms(s.text) for s in sentences],
        quotes,
    )
    starts = [s.start for s in sentences]
    for q in quotes:
        # A quote belongs to every sentence it overlaps.
        i = max(0, bisect.bisect_right(starts, q.span[0]) - 1)
        while i < len(sentences) and sentences[i].start < q.span[1]:
            if q.span[0] < sentences[i].end:
                idx.quote_sentence.setdefault(i, []).append(q)
            i += 1
    idx.base_terms = list(idx.terms)
    idx.vocab = frozenset(t for c in idx.terms for t in c)
    idx.lead = frozenset(t for c in idx.terms[: W.lead_sentences] for t in c)
    speakers = {t for q in quotes if q.speaker for t in stem_terms(q.speaker)}
    idx.findable = idx.vocab | speakers
    return idx


_people_lock = threading.Lock()


def read_people(idx: Indexed) -> Indexed:
    """``idx`` with its people read (who speaks, who each sentence names or reports),
    once: only the stories a question is about need them, not all fifty of a digest."""
    if idx.has_people:
        return idx
    with _people_lock:  # answers run in worker threads; an index is read once
        if not idx.has_people:
            find_people(idx)
            idx.has_people = True
    return idx


def _analyze(
    text: str, sentences: tuple[Sentence, ...] | None, quotes: tuple[Quote, ...] | None
) -> tuple[list[Sentence], list[Quote]]:
    """The sentences and quotes of ``text``: as stored at ingest, or worked out here."""
    if sentences is not None and quotes is not None:
        return list(sentences), list(quotes)
    doc = clean(text)
    split = list(sentences) if sentences is not None else article_sentences(doc)
    found = list(quotes) if quotes is not None else extract_quotes(text, skip=doc.removed)
    return split, found
