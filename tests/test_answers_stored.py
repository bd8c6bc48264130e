"""A thread's stored articles are read and parsed once: a warm question reads no article
text or analysis again, and an edited article is read anew."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat.conversation import Conversation, thread_articles, workspace_of
from bot.chat.messages import ThreadRef
from bot.nlp.analyze import analyze
from bot.nlp.answers import clear_index_cache
from bot.nlp.answers.thread import MAX_ARTICLES, keep_article, kept_article, thread_for
from bot.store import ArticleRecord, Store, analysis_payload

FIXTURES = Path(__file__).parent / "fixtures"
KOREA = (FIXTURES / "korea_summit.txt").read_text(encoding="utf-8")
HARBOUR = (
    "A fisherman was stabbed outside a bar in Portwick on Friday night.\n\n"
    "Police said Marcus Webb, 31, attacked the fisherman after an argument.\n\n"
    "The harbour master, Ellen Hart, said the bar would stay closed until Monday."
)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.open(database_url)
    try:
        yield s
    finally:
        s.close()


def _store(store: Store, url: str, text: str) -> int:
    record = ArticleRecord(
        url=url, title=text.split(".")[0], text=text, analysis=analysis_payload(analyze(text))
    )
    return store.upsert_article(record).article_id


def _reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The ids of every whole-article read (text and analysis) from now on."""
    seen: list[list[int]] = []
    original = store.articles

    def articles(ids: Any, **kwargs: Any) -> Any:
        seen.append(list(ids))
        return original(ids, **kwargs)

    monkeypatch.setattr(store, "articles", articles)
    return seen


def test_a_warm_question_reads_no_article_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_index_cache()
    ids = [_store(store, "https://example.com/korea", KOREA)]
    ids.append(_store(store, "https://example.com/harbour", HARBOUR))
    ref = ThreadRef("console", "console", "stored-1")
    store.threads.save(ref, "digest", "Two", ids)
    reads = _reads(store, monkeypatch)
    conv = Conversation(store)
    first = conv.answer_in_thread(ref, "what did the harbour master say?")
    assert reads == [ids]
    warm = conv.answer_in_thread(ref, "what did the harbour master say?")
    assert reads == [ids]  # nothing read whole again
    assert warm.text == first.text and "stay closed" in first.text
    clear_index_cache()  # the same answer from a cold start
    other = ThreadRef("console", "console", "stored-2")
    store.threads.save(other, "digest", "Two", ids)
    assert conv.answer_in_thread(other, "what did the harbour master say?").text == first.text


def test_an_edited_article_is_read_again(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_index_cache()
    article_id = _store(store, "https://example.com/harbour", HARBOUR)
    ref = ThreadRef("console", "console", "stored-3")
    store.threads.save(ref, "brief", "Harbour", [article_id])
    reads = _reads(store, monkeypatch)
    conv = Conversation(store)
    assert "Monday" in conv.answer_in_thread(ref, "what did the harbour master say?").text
    edited = HARBOUR.replace("until Monday", "until Thursday")
    assert _store(store, "https://example.com/harbour", edited) == article_id
    assert "Thursday" in conv.answer_in_thread(ref, "what did the harbour master say?").text
    assert reads == [[article_id], [article_id]]


def test_kept_articles_are_bounded_and_threads_found_by_the_same_objects(
    store: Store,
) -> None:
    clear_index_cache()
    article_id = _store(store, "https://example.com/harbour", HARBOUR)
    ref = ThreadRef("console", "console", "stored-4")
    workspace = workspace_of(ref)
    articles = thread_articles(store, [article_id], workspace)
    again = thread_articles(store, [article_id], workspace)
    assert again[0] is articles[0]  # kept, parsed once
    assert thread_for(again) is thread_for(articles)  # the same objects: the same thread
    for k in range(MAX_ARTICLES):
        keep_article(("other", k), articles[0])
    assert kept_article(("other", 0)) is articles[0]
    dropped = thread_articles(store, [article_id], workspace)
    assert dropped[0] is not articles[0] and dropped[0] == articles[0]  # read again, the same
