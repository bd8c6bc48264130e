"""Reading an article once: sentences, their terms, quotes and people, cached."""

from __future__ import annotations

import bisect
import hashlib
from functools import lru_cache

from bot.models import Quote, Sentence
from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.models import SourceArticle
from bot.nlp.answers.people import find_people
from bot.nlp.answers.referents import people_named
from bot.nlp.answers.terms import clear_text_caches, stem_terms
from bot.nlp.answers.thread import clear_thread_cache
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.quotes import extract_quotes
from bot.nlp.text.article import article_sentences
from bot.nlp.text.clean import clean


def index_article(article: SourceArticle) -> Indexed:
    """The article as the answerer searches it; the same text is read only once."""
    digest = hashlib.blake2b(article.text.encode("utf-8", "replace"), digest_size=16).hexdigest()
    return _index_cached(
        article.id, digest, article.text, article.url, article.sentences, article.quotes
    )


def clear_index_cache() -> None:
    """Forget every article read so far (a cold start, for benchmarks): their indexes and
    the tokens and terms of their sentences. Word-level caches (a word's lemma) stay."""
    _index_cached.cache_clear()
    clear_text_caches()
    clear_thread_cache()


@lru_cache(maxsize=512)
def _index_cached(
    article_id: str,
    digest: str,
    text: str,
    url: str | None,
    stored_sentences: tuple[Sentence, ...] | None,
    stored_quotes: tuple[Quote, ...] | None,
) -> Indexed:
    sentences, quotes = _analyze(text, stored_sentences, stored_quotes)
    idx = Indexed(
        SourceArticle(id=article_id, text=text, url=url),
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
    find_people(idx)
    idx.persons = people_named(idx)
    idx.vocab = frozenset(t for c in idx.terms for t in c)
    idx.lead = frozenset(t for c in idx.terms[: W.lead_sentences] for t in c)
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
