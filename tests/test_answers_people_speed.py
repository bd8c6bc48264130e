"""find_people's shortcuts give what the patterns and sums they replace give."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from bot.nlp.answers.patterns import SPEECH
from bot.nlp.answers.people import _speech_sentences, _with_name
from bot.nlp.answers.terms import search_terms

SENTENCES = [
    "Police said Marcus Webb attacked him.",
    "“We are closed,” she SAID.",
    "The unsaid words, saidx and said_ are not verbs of saying.",
    "It was 2said or said2.",
    "He ſaid nothing.",  # long s folds to "s" under IGNORECASE: the pattern decides
    "Ａsked nothing; asked.",
    "He İnsisted.",
    "Told—and told again.",
    "No verb here at all.",
    "",
    "Café owners declined to comment.",
]


@pytest.mark.parametrize("text", SENTENCES)
def test_speech_sentences_match_the_pattern(text: str) -> None:
    idx: Any = SimpleNamespace(sentences=[SimpleNamespace(text=text)])
    assert _speech_sentences(idx) == [SPEECH.search(text) is not None]


def test_a_name_is_added_as_counter_addition_would() -> None:
    terms = Counter({"polic": 2, "webb": 1, "attack": 1})
    name = "Marcus Webb"
    expected = terms + Counter({t: 1 for t in search_terms(name) if t not in terms})
    got = _with_name(terms, name)
    assert list(got.items()) == list(expected.items())
    odd = Counter({"polic": 0, "webb": 1})
    assert list(_with_name(odd, name).items()) == list(
        (odd + Counter({t: 1 for t in search_terms(name) if t not in odd})).items()
    )
