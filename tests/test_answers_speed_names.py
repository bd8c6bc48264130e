"""Cheaper readings of who an article names give what the slower ones gave: the
capitalised-run patterns written capital first, ``people_named`` on them, and
find_people's full names, name starts and verbs of saying."""

from __future__ import annotations

import random
import re
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from bot.nlp.answers import SourceArticle, index_article
from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.patterns import (
    _DATE_WORDS,
    CAPITALISED,
    CAPITALISED_RUN,
    DATE,
    SPEECH,
    dates,
)
from bot.nlp.answers.people import _FULL_NAME, _name_start, _speech_sentences
from bot.nlp.answers.referents import gender_of, people_named
from bot.nlp.answers.terms import tokens
from tests.sample_news import sample_texts

# The patterns as they were written before (opening on \b).
OLD_CAPITALISED = re.compile(r"\b[A-Z][\w’'&.-]*(?:\s+(?:of\s+|the\s+|and\s+)?[A-Z0-9][\w’'&.-]*)*")

TEXTS = [
    "",
    "A",
    "Kim Jong-un met Kim Yo-jong in Pyongyang.",
    "O'Brien said. O'Brien Smith said. McDonald's CEO Steve Easterbrook.",
    "the Bank of England and the Church of the Nazarene",
    "iPhone XR, eBay Inc., U.S. President Donald J. Trump",
    "_Alan Turing, 2Pac Shakur, Ana_Maria Lopez, Ángel Di María",
    "Armenia’s Tigran Petrosian & Sons — Mr. Jones.  New\tYork\nCity",
    "Apple 2 and Apple II; of The Times; A. B. C.",
    "éA Bé C, ÉMILE Zola, x-Men Origins",
]

_ALPHABET = [*"ABcd '’.-&_1éÉ,\nx", "Bo", "d ", "  ", "of ", "the ", "and ", "Mc"]


def _random_texts(n: int) -> list[str]:
    rng = random.Random(14)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30))) for _ in range(n)]


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], str]]:
    return [(m.span(), m.group(0)) for m in pattern.finditer(text)]


def _old_runs(text: str) -> list[tuple[tuple[int, int], str]]:
    """The old pattern's runs that go on past their first word."""
    return [
        (m.span(), m.group(0))
        for m in OLD_CAPITALISED.finditer(text)
        if re.match(r"[A-Z][\w’'&.-]*\s", m.group(0))
    ]


@pytest.mark.parametrize("text", TEXTS)
def test_capitalised_matches_as_the_old_pattern(text: str) -> None:
    assert _spans(CAPITALISED, text) == _spans(OLD_CAPITALISED, text)
    assert _spans(CAPITALISED_RUN, text) == _old_runs(text)


def test_capitalised_matches_as_the_old_pattern_on_random_and_news_text() -> None:
    texts = _random_texts(20000) + [s for a in sample_texts() for s in a.split(". ")]
    for text in texts:
        assert _spans(CAPITALISED, text) == _spans(OLD_CAPITALISED, text), text
        assert _spans(CAPITALISED_RUN, text) == _old_runs(text), text


def _old_people_named(idx: Indexed) -> Counter[str]:
    """``people_named`` as it was written before (every run, a set of words per sentence)."""
    full: dict[str, str] = {}
    for s in idx.sentences:
        for m in OLD_CAPITALISED.finditer(s.text):
            words = [w for w in m.group(0).split() if w[:1].isupper()]
            while len(words) >= 2 and gender_of(words[0]) is None:
                words = words[1:]
            if len(words) >= 2:
                full.setdefault(words[-1], " ".join(words[:4]))
    counts: Counter[str] = Counter()
    if full:
        for s in idx.sentences:
            for surname in full.keys() & set(tokens(s.text)):
                counts[full[surname]] += 1
    for p in dict.fromkeys(q.speaker for q in idx.quotes if q.speaker):
        counts[p] += 1
    return counts


def test_people_named_as_before() -> None:
    texts = sample_texts()
    texts.append(" ".join(TEXTS))
    named = 0
    for n, text in enumerate(texts):
        idx = index_article(SourceArticle(id=f"names-{n}", text=text))
        assert people_named(idx) == _old_people_named(idx)
        named += bool(people_named(idx))
    assert named


# find_people's readings (bot.nlp.answers.people), against what they were written as.
OLD_FULL_NAME = re.compile(
    r"\b(?P<first>[A-Z][a-z’'-]+)\s+(?P<rest>(?:[A-Z][\w’'-]+\s+){0,2}[A-Z][\w’'-]+)"
)
_SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\x1c"]  # str.isspace and \s agree
_NAME_ALPHABET = [*"ABcd'’.-_1é,", "Bo", "Mc", "Kim ", "Yo-jong ", "Mr. ", *_SPACES]


def _random_names(n: int) -> list[str]:
    rng = random.Random(15)
    return [
        "".join(rng.choice(_NAME_ALPHABET) for _ in range(rng.randint(0, 14))) for _ in range(n)
    ]


def test_full_name_pattern_matches_as_before() -> None:
    for text in [*TEXTS, *_random_names(20000), *sample_texts()]:
        assert [(m.span(), m.groupdict()) for m in _FULL_NAME.finditer(text)] == [
            (m.span(), m.groupdict()) for m in OLD_FULL_NAME.finditer(text)
        ], text


def _old_name_start(sentence: str, pos: int) -> int:
    start = pos
    while True:
        m = re.search(r"([A-Z][\w’'-]*\.?)\s+$", sentence[:start])
        if not m:
            return start
        start = m.start(1)


def test_name_start_as_before() -> None:
    cases = [("Transport Minister Ruth Adeyemi said", 25), ("Mr. Kim Jong-un", 8), ("", 0)]
    for text in _random_names(5000):
        cases.extend((text, pos) for pos in range(len(text) + 1))
    for sentence in (s for a in sample_texts() for s in a.split(". ")):
        cases.extend((sentence, m.start()) for m in re.finditer(r"[A-Z]", sentence))
    for sentence, pos in cases:
        assert _name_start(sentence, pos) == _old_name_start(sentence, pos), (sentence, pos)


def test_speech_sentences_as_the_pattern_on_random_and_news_text() -> None:
    verbs = ["said", "SAID", "told", "_said", "said_", "ſaid", "Ａsked", "says2", "İnsisted"]
    rng = random.Random(16)
    alphabet = [*verbs, *_NAME_ALPHABET, "“", "”", "—", "é"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(5000)]
    texts += [s for a in sample_texts() for s in a.split(". ")]
    idx: Any = SimpleNamespace(sentences=[SimpleNamespace(text=t) for t in texts])
    assert _speech_sentences(idx) == [SPEECH.search(t) is not None for t in texts]
    assert any(_speech_sentences(idx)) and not all(_speech_sentences(idx))


def test_dates_as_the_pattern_on_random_and_news_text() -> None:
    words = [
        *_DATE_WORDS,
        "TODAY",
        "Tonight",
        "AT THE TIME",
        "in a few hours",
        "1999",
        "ago",
        "last",
        "within",
        "ſpring",
        "\u212aelvin",
        "pm",
        "a.m.",
        "in",
        "the",
        "at",
        "３",
    ]
    rng = random.Random(17)
    alphabet = [*words, " ", "  ", ",", "-", "x", "e", "é", "\n"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(20000)]
    texts += [s for a in sample_texts() for s in a.split(". ")]
    for text in texts:
        assert [(m.span(), m.group(0)) for m in dates(text)] == [
            (m.span(), m.group(0)) for m in DATE.finditer(text)
        ], text
    assert any(DATE.search(t) for t in texts) and not all(DATE.search(t) for t in texts)
