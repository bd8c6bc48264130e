"""The full names each article gives are counted at ingest and stored with its analysis:
a "he" or "she" in a digest thread reads them from the row instead of counting the
names of every article again, and gets the same person."""

from __future__ import annotations

from typing import Any

import pytest

import bot.nlp.answers.referents as referents
from bot.chat.conversation import Conversation
from bot.chat.messages import ThreadRef
from bot.news.prepare import stored_analysis
from bot.nlp.answers import SourceArticle, clear_index_cache, index_article
from bot.nlp.answers.referents import NAMED_RULE, named_in, people_named
from bot.store import ArticleRecord, Store
from tests.sample_news import sample_texts


def _article(n: int, text: str, analysis: dict[str, Any]) -> SourceArticle:
    return SourceArticle.from_analysis(str(n), text, analysis, url=f"https://news.example/{n}")


def test_the_stored_counts_are_those_the_answerer_would_count() -> None:
    clear_index_cache()
    named = 0
    for n, text in enumerate(sample_texts()):
        article = _article(n, text, stored_analysis(text, None))
        assert article.named is not None and article.named[0] == NAMED_RULE
        idx = index_article(article)
        assert dict(article.named[1]) == named_in(idx.sentences, idx.quotes)
        assert people_named(idx) == named_in(idx.sentences, idx.quotes)
        named += bool(article.named[1])
    assert named >= 4  # most sample articles name someone: the counts are not all empty


def test_counts_stored_under_another_rule_or_malformed_are_counted_again() -> None:
    clear_index_cache()
    text = sample_texts()[0]
    analysis = stored_analysis(text, None)
    unstored = {k: v for k, v in analysis.items() if k != "named"}  # a row from before
    counted = people_named(index_article(_article(0, text, unstored)))
    assert counted  # the first sample article names people
    for n, named in enumerate(
        [
            {"rule": NAMED_RULE + 1, "counts": {"Nobody Here": 9}},  # an older or newer rule
            {"rule": NAMED_RULE, "counts": {"Nobody Here": "9"}},  # not a count
            {"rule": str(NAMED_RULE), "counts": {"Nobody Here": 9}},
            ["Nobody Here"],
        ],
        start=1,
    ):
        idx = index_article(_article(n, text, {**analysis, "named": named}))
        assert people_named(idx) == counted, named


def test_a_pronoun_in_a_thread_reads_the_stored_names(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_index_cache()
    texts = sample_texts()
    ids = [
        store.upsert_article(
            ArticleRecord(
                url=f"https://news.example/{n}",
                title=text.splitlines()[0],
                text=text,
                analysis=stored_analysis(text, None),
            )
        ).article_id
        for n, text in enumerate(texts)
    ]
    conv = Conversation(store)
    ref = ThreadRef("console", "c", "names")
    store.threads.save(ref, "digest", "digest", ids)
    expected = conv.answer_in_thread(ref, "how old is he?")

    counted: list[object] = []
    original = referents.named_in

    def counting(*args: Any) -> Any:
        counted.append(args)
        return original(*args)

    monkeypatch.setattr(referents, "named_in", counting)
    clear_index_cache()  # the thread is read anew: only the stored counts are there
    again = ThreadRef("console", "c", "names-again")
    store.threads.save(again, "digest", "digest", ids)
    assert conv.answer_in_thread(again, "how old is he?") == expected
    assert counted == []  # not one article's names were counted again


# What ``named_in`` counts by, and the mark it was last counted under. A change to any
# of it changes this digest: then bump ``NAMED_RULE`` (counts stored by the old code are
# counted again) and write both here.
RULE_DIGESTS = {1: "214cce41b39f213b"}


def _counting_digest() -> str:
    import hashlib
    import inspect
    from importlib.metadata import version

    from bot.nlp.answers import referents, terms
    from bot.nlp.answers.patterns import CAPITALISED_RUN

    parts = [
        inspect.getsource(referents.named_in),
        inspect.getsource(referents.gender_of),
        inspect.getsource(terms._tokens),
        CAPITALISED_RUN.pattern,
        version("gender-guesser"),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def test_the_counting_rule_is_marked_anew_when_the_counting_changes() -> None:
    assert RULE_DIGESTS.get(NAMED_RULE) == _counting_digest(), (
        "people_named counts differently now: bump NAMED_RULE and record its digest"
    )
