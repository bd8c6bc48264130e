"""What a thread's articles are together, worked out once per thread and kept for its
follow-ups: word frequencies over every sentence, every person, who is quoted most.

A question in a 50-story digest thread reads all of that; building it anew for every
question cost more than the answer itself. It is kept in a small LRU keyed by the
thread's article indexes (themselves cached by article id, text and stored analysis), so
an edited article or a changed thread builds a new one.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from bot.nlp.answers.index import clear_article_cache, index_article, read_people
from bot.nlp.answers.indexed import Indexed, Person
from bot.nlp.answers.models import SourceArticle
from bot.nlp.answers.referents import people_named
from bot.nlp.answers.terms import clear_text_caches, stem_terms, variants

MAX_THREADS = 64  # threads kept; each holds only references to its cached article indexes
MAX_ARTICLES = 512  # parsed stored articles kept (as many as article indexes)


@dataclass(slots=True)
class Thread:
    """The articles of one thread, and what is known of them together.

    People are read only from the articles a question needs them of (``read_people``):
    those it is about, those that may name whom it asks about.
    """

    indexes: tuple[Indexed, ...]
    sentences: int  # how many sentences the articles have
    df: Counter[str]  # term -> how many of those sentences use it
    length: int  # their summed length, in terms
    vocab: frozenset[str]  # every term of every article, and its speakers' names
    article_df: Counter[str]  # term -> how many articles use it
    speakers: Counter[str]  # quoted people, by how many quotes
    _persons: Counter[str] | None = None

    @property
    def avg(self) -> float:
        """Mean sentence length, in terms."""
        return self.length / self.sentences if self.sentences else 0.0

    def persons(self) -> Counter[str]:
        """Full names, by how many sentences of the thread name them (every article read)."""
        if self._persons is None:
            persons: Counter[str] = Counter()
            for idx in self.indexes:
                if idx.persons is None:
                    idx.persons = people_named(idx)  # the same for every reader: no lock
                persons.update(idx.persons)
            self._persons = persons
        return self._persons

    def people_for(self, phrase: str) -> dict[str, Person]:
        """Everyone quoted or reported in the articles that use a word of ``phrase`` (or a
        paraphrase of it): whom it names or describes is among them."""
        wanted = {v for t in stem_terms(phrase) for v, _ in variants(t)}
        return _all_people(
            [read_people(idx) for idx in self.indexes if not wanted or wanted & idx.findable]
        )

    def quotes_or_reports(self, idx: Indexed, names: Sequence[str]) -> bool:
        """Whether the article quotes or reports one of these people."""
        for name in names:
            words = stem_terms(name).keys()
            if words <= idx.findable and name in read_people(idx).people:
                return True
        return False


_cache: OrderedDict[tuple[int, ...], Thread] = OrderedDict()
_lock = threading.Lock()


def thread_of(indexes: Sequence[Indexed]) -> Thread:
    """The thread of these article indexes: kept from an earlier question when it is
    the same indexes (the same objects: an article read again is a new index)."""
    key = tuple(id(idx) for idx in indexes)
    with _lock:
        found = _cache.get(key)
        if found is not None and all(a is b for a, b in zip(found.indexes, indexes, strict=True)):
            _cache.move_to_end(key)
            return found
    built = build_thread(indexes)
    with _lock:
        _cache[key] = built
        _cache.move_to_end(key)
        while len(_cache) > MAX_THREADS:
            _cache.popitem(last=False)
    return built


# The same article objects as an earlier question (kept by ``kept_article``): its
# thread, without looking up each article's index again (that lookup hashes and
# compares every sentence of every article: most of a warm answer).
_by_articles: OrderedDict[tuple[int, ...], tuple[tuple[SourceArticle, ...], Thread]] = OrderedDict()


def thread_for(articles: Sequence[SourceArticle]) -> Thread:
    """The thread of these articles (``thread_of`` their indexes), at once when they are
    the very objects of an earlier question."""
    key = tuple(id(a) for a in articles)
    with _lock:
        found = _by_articles.get(key)
        if found is not None and all(a is b for a, b in zip(found[0], articles, strict=True)):
            _by_articles.move_to_end(key)
            return found[1]
    built = thread_of([index_article(a) for a in articles])
    with _lock:
        _by_articles[key] = (tuple(articles), built)
        _by_articles.move_to_end(key)
        while len(_by_articles) > MAX_THREADS:
            _by_articles.popitem(last=False)
    return built


# Stored articles already parsed (``SourceArticle.from_analysis``), by a key that
# changes with the stored row (its id, when it was updated, its content hash): a warm
# question neither reads nor parses their analyses again.
_articles: OrderedDict[Hashable, SourceArticle] = OrderedDict()


def kept_article(key: Hashable) -> SourceArticle | None:
    """The article kept under ``key``, if any."""
    with _lock:
        found = _articles.get(key)
        if found is not None:
            _articles.move_to_end(key)
        return found


def keep_article(key: Hashable, article: SourceArticle) -> None:
    """Keep a parsed stored article under ``key`` (the least recent dropped past the bound)."""
    with _lock:
        _articles[key] = article
        _articles.move_to_end(key)
        while len(_articles) > MAX_ARTICLES:
            _articles.popitem(last=False)


def clear_thread_cache() -> None:
    with _lock:
        _cache.clear()
        _by_articles.clear()
        _articles.clear()


def clear_index_cache() -> None:
    """Forget every article and thread read so far (a cold start, for benchmarks): their
    indexes and the tokens and terms of their sentences. Word-level caches (a word's
    lemma) stay."""
    clear_article_cache()
    clear_text_caches()
    clear_thread_cache()


def build_thread(indexes: Sequence[Indexed]) -> Thread:
    """Everything a question reads across the thread, from its article indexes."""
    df: Counter[str] = Counter()
    article_df: Counter[str] = Counter()
    length = sentences = 0
    for idx in indexes:
        for c in idx.base_terms:
            df.update(c.keys())
            length += sum(c.values())
        sentences += len(idx.base_terms)
        article_df.update(idx.vocab)
    return Thread(
        indexes=tuple(indexes),
        sentences=sentences,
        df=df,
        length=length,
        vocab=frozenset().union(*(idx.findable for idx in indexes)),
        article_df=article_df,
        speakers=Counter(q.speaker for idx in indexes for q in idx.quotes if q.speaker),
    )


def _all_people(indexes: Sequence[Indexed]) -> dict[str, Person]:
    """Everyone the articles quote or report; one person's descriptions from every article."""
    out: dict[str, Person] = {}
    for idx in indexes:
        for name, p in idx.people.items():
            if name not in out:
                out[name] = Person(name, dict(p.desc))
            else:
                for t, w in p.desc.items():
                    out[name].desc[t] = max(out[name].desc.get(t, 0.0), w)
    return out
