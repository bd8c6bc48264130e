"""A thread's articles read once and kept: the answers are the same however much of it
was read before, and a changed thread or article is read again."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.nlp.analyze import analyze
from bot.nlp.answers import SourceArticle, Turn, answer, clear_index_cache, index_article, ranking
from bot.nlp.answers.answering import _follows
from bot.nlp.answers.index import read_people
from bot.nlp.answers.thread import MAX_THREADS, thread_of
from bot.store import analysis_payload
from tests.sample_news import SAMPLE_PATHS

QUESTIONS = [
    "what did the union leader say?",
    "how many jobs will be cut?",
    "when will the tram line open?",
    "who scored the winning goal?",
    "why did the river flood?",
    "how well did the vaccine work?",
    "where did the summit take place?",
]


def _samples() -> list[SourceArticle]:
    out = []
    for path in SAMPLE_PATHS:
        text = path.read_text(encoding="utf-8")
        payload = json.loads(json.dumps(analysis_payload(analyze(text))))
        out.append(SourceArticle.from_analysis(path.stem, text, payload, url=f"u/{path.stem}"))
    return out


@pytest.fixture(autouse=True)
def _cold() -> None:
    clear_index_cache()


def test_a_warm_question_reuses_the_thread() -> None:
    articles = _samples()
    first = thread_of([index_article(a) for a in articles])
    assert thread_of([index_article(a) for a in articles]) is first
    # An edited article is a new index, so a new thread.
    edited = [dataclasses.replace(articles[0], text=articles[0].text + " More."), *articles[1:]]
    other = thread_of([index_article(a) for a in edited])
    assert other is not first and other.indexes[1:] == first.indexes[1:]


def test_the_thread_cache_is_bounded() -> None:
    articles = _samples()
    first = thread_of([index_article(articles[0])])
    for n in range(MAX_THREADS + 1):
        single = dataclasses.replace(articles[1], id=f"copy-{n}")
        thread_of([index_article(single)])
    assert thread_of([index_article(articles[0])]) is not first  # evicted, built again


def test_only_the_stories_asked_about_are_read_for_people() -> None:
    articles = _samples()
    answer("when will the tram line open?", articles)
    read = {i.article.id for i in (index_article(a) for a in articles) if i.has_people}
    assert "01-tram-line" in read
    assert len(read) < len(articles)


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_do_not_depend_on_what_was_read_before(question: str) -> None:
    """Lazily read people give the answers that reading every article first gives."""
    articles = _samples()
    lazy = answer(question, articles)
    follow = answer("and what did he say?", articles, [Turn(question, lazy)])
    clear_index_cache()
    for a in articles:
        read_people(index_article(a))
    assert answer(question, articles) == lazy
    assert answer("and what did he say?", articles, [Turn(question, lazy)]) == follow


@pytest.mark.parametrize("question", QUESTIONS)
def test_sentences_left_unscored_would_score_nothing(question: str) -> None:
    """Ranking scores only the candidates; every other sentence scores 0."""
    seen: list[tuple[ranking.Asked, ranking.Corpus]] = []
    original = ranking.candidates

    def spy(asked: ranking.Asked, corpus: ranking.Corpus) -> list[int]:
        seen.append((asked, corpus))
        return original(asked, corpus)

    ranking.candidates = spy  # type: ignore[assignment]
    try:
        answer(question, _samples())
    finally:
        ranking.candidates = original  # type: ignore[assignment]
    assert seen
    asked, corpus = seen[0]
    chosen = set(original(asked, corpus))
    assert chosen
    for n in range(len(corpus.flat)):
        if n not in chosen:
            assert ranking.score_sentence(asked, corpus, n)[0] == 0.0


@pytest.mark.parametrize(
    ("question", "follows"),
    [
        ("which telescope found all that water?", False),
        ("how much will that cost?", True),
        ("who said that?", True),
        ("and the second one?", True),
        ("what is his job?", True),
        ("what was in that report?", False),
        ("how many of those were sold?", True),
    ],
)
def test_that_before_a_noun_points_at_nothing_said_before(question: str, follows: bool) -> None:
    assert _follows(question) is follows


def test_a_follow_up_is_covered_by_the_question_before() -> None:
    """ "What's her role?" has one word of its own, which the article never uses: the
    sentence that names her for the question before answers it."""
    text = (
        "Maria Okafor, the deputy transport minister, said on Monday that the new rail line "
        "between the two cities would open in 2027. The line will cost £2bn, paid for by a "
        "new levy on freight. Critics said the plan was years late and the levy too low."
    )
    article = SourceArticle(id="rail", text=text)
    first = answer("when will the rail line between the cities open?", [article])
    assert first.confident and "2027" in first.text
    role = answer("what's her role?", [article], [Turn("when will the rail line open?", first)])
    assert role.confident and "deputy transport minister" in role.text


def test_unsure_in_a_digest_points_at_the_story_asked_about() -> None:
    articles = _samples()
    vaccine = next(a for a in articles if "malaria" in a.id)
    a = answer("is the vaccine safe for pregnant women?", articles)
    assert not a.confident and "story your question seems to be about" in a.text
    assert [url for _title, url in a.links] == [vaccine.url]
    # About none of them: every story, to read instead.
    other = answer("what is the weather tomorrow?", articles)
    assert not other.confident and len(other.links) == len(articles)
