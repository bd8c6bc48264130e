"""A question with no words to match and no one asked about does not read every article's
people, and answers as it did when they were read."""

from __future__ import annotations

from bot.nlp.answers import SourceArticle, answer, clear_index_cache
from bot.nlp.answers.index import index_article, read_people

ARTICLES = [
    SourceArticle(
        id="a",
        text=(
            "The council approved a new bridge over the river on Monday. "
            "Mayor Ruth Adeyemi said the bridge would cost $4.5 million. "
            "Work starts in spring, she said."
        ),
        url="https://news.example/a",
    ),
    SourceArticle(
        id="b",
        text=(
            "A festival drew crowds to the park at the weekend. "
            "Organiser Tom Price said he was delighted. "
            "Tickets sold out in a day, Price said."
        ),
        url="https://news.example/b",
    ),
    SourceArticle(
        id="c",
        text=(
            "Striker Kofi Mensah scored twice as City won 3-1. "
            "Manager Dan Ellery said the team deserved it."
        ),
        url="https://news.example/c",
    ),
]


def _every_people_read() -> None:
    for a in ARTICLES:
        read_people(index_article(a))


def test_money_question_answers_as_with_every_article_read() -> None:
    clear_index_cache()
    lazy = answer("how much did it cost?", ARTICLES)
    clear_index_cache()
    _every_people_read()
    eager = answer("how much did it cost?", ARTICLES)
    assert lazy == eager
    assert lazy.confident and "$4.5 million" in lazy.text
    assert lazy.subject is not None and "Adeyemi" in lazy.subject  # read from its article


def test_money_question_reads_only_the_answers_article() -> None:
    clear_index_cache()
    result = answer("how much did it cost?", ARTICLES)
    read = {a.id for a in ARTICLES if index_article(a).has_people}
    assert {s.article_id for s in result.sentences} == {"a"}
    assert read == {"a"}  # whom the answer is about: only its own article's people


def test_question_about_someone_still_reads_people() -> None:
    clear_index_cache()
    result = answer("what did Price say?", ARTICLES)
    assert result.confident
    assert index_article(ARTICLES[1]).has_people
