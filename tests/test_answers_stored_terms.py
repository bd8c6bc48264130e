"""Sentences' search terms stored at ingest: used as stored (a first question stems no
sentence again), old rows without them answer as before, another version is ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

import bot.nlp.answers.index as index_module
from bot.chat.conversation import Conversation, thread_articles, workspace_of
from bot.chat.messages import ThreadRef
from bot.nlp.analyze import analyze
from bot.nlp.answers import SourceArticle, answer, clear_index_cache
from bot.nlp.answers.index import index_article
from bot.nlp.answers.stored_terms import KEY, terms_version
from bot.nlp.answers.terms import TERMS_VERSION, stem_terms
from bot.store import ArticleRecord, Store, analysis_payload

FIXTURES = Path(__file__).parent / "fixtures"
KOREA = (FIXTURES / "korea_summit.txt").read_text(encoding="utf-8")
HARBOUR = (
    "A fisherman was stabbed outside a bar in Portwick on Friday night.\n\n"
    "Police said Marcus Webb, 31, attacked the fisherman after an argument in 2024.\n\n"
    "The harbour master, Ellen Hart, said the bar's doors would stay closed until Monday."
)
QUESTIONS = ("what did the harbour master say?", "who attacked the fisherman?", "who met?")


def _article(text: str, payload: dict[str, Any], name: str = "a") -> SourceArticle:
    return SourceArticle.from_analysis(name, text, payload, url=f"https://example.com/{name}")


def _stem_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the article index stems from now on."""
    calls: list[str] = []

    def recording(text: str, language: str = "english") -> Any:
        calls.append(text)
        return stem_terms(text, language)

    monkeypatch.setattr(index_module, "stem_terms", recording)
    return calls


def test_stored_terms_are_what_stemming_gives_and_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_index_cache()
    payload = analysis_payload(analyze(HARBOUR))
    assert payload[KEY]["version"] == terms_version()
    assert terms_version().startswith(f"{TERMS_VERSION}:")
    article = _article(HARBOUR, payload)
    assert article.terms is not None and len(article.terms) == len(article.sentences or ())
    calls = _stem_calls(monkeypatch)
    idx = index_article(article)
    sentences = {s.text for s in idx.sentences}
    assert not sentences & set(calls)  # no sentence stemmed again
    expected = [stem_terms(s.text) for s in idx.sentences]
    assert idx.terms == expected
    assert [list(c.items()) for c in idx.terms] == [list(c.items()) for c in expected]  # order


def test_a_stored_term_is_what_the_index_searches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proof the stored terms are read, not recomputed: a changed stored term shows."""
    clear_index_cache()
    payload = analysis_payload(analyze(HARBOUR))
    payload[KEY]["sentences"][0] = "zebraterm zebraterm"
    idx = index_article(_article(HARBOUR, payload))
    assert idx.terms[0] == {"zebraterm": 2}
    assert "zebraterm" in idx.vocab


def test_old_rows_without_terms_answer_the_same() -> None:
    texts = {"korea": KOREA, "harbour": HARBOUR}
    payloads = {k: analysis_payload(analyze(t)) for k, t in texts.items()}
    old = {k: {f: v for f, v in p.items() if f != KEY} for k, p in payloads.items()}
    with_terms = [_article(texts[k], payloads[k], k) for k in texts]
    without = [_article(texts[k], old[k], k) for k in texts]
    assert all(a.terms is not None for a in with_terms)
    assert all(a.terms is None and a.sentences is not None for a in without)
    for question in QUESTIONS:
        clear_index_cache()
        new = answer(question, with_terms)
        clear_index_cache()
        assert answer(question, without) == new
    clear_index_cache()
    assert [index_article(a).terms for a in with_terms] == [index_article(a).terms for a in without]


@pytest.mark.parametrize("version", [f"{TERMS_VERSION + 1}:x", "0", None, 7])
def test_another_version_is_ignored(version: object, monkeypatch: pytest.MonkeyPatch) -> None:
    clear_index_cache()
    payload = analysis_payload(analyze(HARBOUR))
    payload[KEY]["sentences"] = ["zebraterm"] * len(payload["sentences"])
    payload[KEY]["version"] = version
    article = _article(HARBOUR, payload)
    assert article.terms is None
    idx = index_article(article)
    assert idx.terms == [stem_terms(s.text) for s in idx.sentences]
    assert "zebraterm" not in idx.vocab


def test_a_library_or_list_change_is_another_version(monkeypatch: pytest.MonkeyPatch) -> None:
    """The version covers what ``term()`` reads, not only the constant."""
    import bot.nlp.answers.stored_terms as stored

    before = terms_version()
    terms_version.cache_clear()
    monkeypatch.setattr(stored, "IRREGULAR", {**vars(stored)["IRREGULAR"], "zebraed": "zebra"})
    try:
        assert terms_version() != before
    finally:
        terms_version.cache_clear()
    monkeypatch.undo()
    assert terms_version() == before


def test_terms_that_do_not_fit_the_sentences_are_ignored() -> None:
    clear_index_cache()
    payload = analysis_payload(analyze(HARBOUR))
    payload[KEY]["sentences"] = payload[KEY]["sentences"][:-1]
    assert _article(HARBOUR, payload).terms is None
    payload[KEY]["sentences"] = [1] * len(payload["sentences"])
    assert _article(HARBOUR, payload).terms is None


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store.open(database_url)
    try:
        yield s
    finally:
        s.close()


def test_terms_survive_the_store_in_order(store: Store) -> None:
    """Through the store (PostgreSQL's JSONB too) the terms come back as stored."""
    clear_index_cache()
    payload = analysis_payload(analyze(KOREA))
    record = ArticleRecord(
        url="https://example.com/korea", title="Korea", text=KOREA, analysis=payload
    )
    article_id = store.upsert_article(record).article_id
    ref = ThreadRef("console", "console", "terms-1")
    (read,) = thread_articles(store, [article_id], workspace_of(ref))
    assert read.terms == tuple(payload[KEY]["sentences"])
    store.threads.save(ref, "brief", "Korea", [article_id])
    got = Conversation(store).answer_in_thread(ref, "who met?")
    clear_index_cache()
    assert got == answer("who met?", [SourceArticle(str(article_id), KOREA, url=record.url)])


def test_a_reply_looks_up_its_thread_twice_not_three_times(store: Store) -> None:
    """One read of the thread and its turns (``recall``), one to add the turn."""
    clear_index_cache()
    article_id = store.upsert_article(
        ArticleRecord(
            url="https://example.com/korea",
            title="Korea",
            text=KOREA,
            analysis=analysis_payload(analyze(KOREA)),
        )
    ).article_id
    ref = ThreadRef("console", "console", "terms-2")
    store.threads.save(ref, "brief", "Korea", [article_id])
    conv = Conversation(store)
    conv.answer_in_thread(ref, "who met?")
    assert store.threads.recall(ref) == (store.threads.get(ref), store.threads.turns(ref))
    assert store.threads.recall(ThreadRef("console", "console", "none")) == (None, [])
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        second = conv.answer_in_thread(ref, "who met?")
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    lookups = [q for q in statements if "FROM threads" in q and "thread_turns" not in q]
    assert len(lookups) == 2, statements
    assert [q for q, _ in store.threads.turns(ref)] == ["who met?", "who met?"]
    assert second.text
