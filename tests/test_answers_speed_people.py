"""Finding a person's surname in an article by ``str.find`` gives what the pattern gave."""

from __future__ import annotations

import re

import pytest

from bot.nlp.answers.people import _whole_word

WHOLE_WORD_CASES = [
    ("Kim", "Kim Jong-un met Kim Yo-jong; Kim's sister and Kimberly left. Kim"),
    ("Price", "Price said. Price’s team, Prices and priceless; Price's. (Price)"),
    ("O'Neill", "O'Neill and O'Neills met O'Neill's O'Neill"),
    ("a-a", "a-a-a a-a a-aa"),
    ("Smith", ""),
    ("Smith", "Smith"),
    ("Ng", "Ng_ Ng2 _Ng Ng."),
    ("Müller", "Müller und Müllers, Herr Müller."),
]


@pytest.mark.parametrize(("word", "text"), WHOLE_WORD_CASES)
def test_whole_word_finds_what_finditer_finds(word: str, text: str) -> None:
    pattern = rf"\b{re.escape(word)}\b(?![’']s\b)"
    expected = [m.span() for m in re.finditer(pattern, text)]
    assert [m.span() for m in _whole_word(word, text)] == expected
