"""The number and money shortcuts give what the patterns they stand in front of give."""

from __future__ import annotations

import pytest

from bot.nlp.answers.patterns import MONEY, NUMBER, has_money, has_number
from tests.sample_news import sample_texts

TEXTS = [
    "",
    "No figure here at all.",
    "It cost $4.5 million, officials said.",
    "The fee was 300 euros a head.",
    "He paid £20 for it.",
    "A €5 note.",
    "Prices rose by 12 percent.",
    "Some 3 DOLLARS each.",
    "Twelve people, ONE winner.",
    "Someone often wrote it down.",  # "one", "ten" inside other words: no number
    "It fell by half.",
    "They waited per  cent.",
    "Dozens were hurt; hundreds fled.",
    "Two-thirds agreed.",
    "The 1990s were different, and 7pounds too.",
    "She spent 40 yen.",
    "Yuan: 5 of them.",
    "Ｔwo is a full-width T; ٣ is an Arabic digit.",
    "ſix folds to six under IGNORECASE.",
    "Café owners paid 5 Euros.",
    "“One,” she said.",
    "A KELVIN sign: 5 \u212aroner; Ten.",
    "pounds without a digit",
    "$ alone, then 5",
]


def _news_sentences() -> list[str]:
    return [s for text in sample_texts() for s in text.split(". ")]


@pytest.mark.parametrize("text", TEXTS)
def test_shortcuts_match_the_patterns(text: str) -> None:
    assert has_number(text) == (NUMBER.search(text) is not None)
    assert has_money(text) == (MONEY.search(text) is not None)


def test_shortcuts_match_on_news_text() -> None:
    texts = _news_sentences()
    assert [has_number(t) for t in texts] == [NUMBER.search(t) is not None for t in texts]
    assert [has_money(t) for t in texts] == [MONEY.search(t) is not None for t in texts]
    assert any(has_money(t) for t in texts)
