"""Whether a sentence has what the kind of question needs: a date, a number, a cause, a place."""

from __future__ import annotations

import re

from bot.nlp.answers.patterns import (
    DATE,
    LAST_TIME,
    MEASURE_EVIDENCE,
    MONEY,
    NOT_PLACE,
    NUMBER,
    NUMBER_TOKEN,
    ORGANISATION,
    PERCENT,
    PLACE,
    PLACE_NOUN,
    ROLE_WORD,
    STRONG_CAUSE,
    VAGUE_NUMBER,
)
from bot.nlp.answers.question import Question
from bot.nlp.answers.terms import term, tokens, variants
from bot.nlp.answers.weights import WEIGHTS as W


def evidence(q: Question, sentence: str, matched: set[str], named: bool) -> float:
    """How much the sentence has what this kind of question needs, 0..1."""
    kind = _kind_evidence(q, sentence, matched, named)
    if q.constraint and q.constraint not in sentence.lower():
        kind *= W.constraint_miss  # "who won the cup last year" is not this year's final
    return kind


def _kind_evidence(q: Question, sentence: str, matched: set[str], named: bool) -> float:
    if q.kind == "when":
        if q.last and LAST_TIME.search(sentence):
            return 1.0
        return (W.when_last_date if q.last else 1.0) if DATE.search(sentence) else 0.0
    if q.measure and q.measure != "money":
        if MEASURE_EVIDENCE[q.measure].search(sentence):
            return 1.0
        if q.measure == "size":  # "how big is the contingency": any amount will do
            return W.size_any_number * number_near(sentence, q.focus)
        return W.measure_miss
    if q.kind == "how_many":
        if q.measure == "money" and q.focus is None:
            if MONEY.search(sentence):
                return 1.0
            return W.money_number if NUMBER.search(sentence) else 0.0
        return number_near(sentence, q.focus)
    if q.kind == "effect":
        return 1.0 if PERCENT.search(sentence) else W.effect_miss
    if q.kind == "why":
        return _cause(sentence, matched)
    if q.kind == "where":
        return _places(sentence)
    if q.kind == "who":
        return _names_someone(sentence, named)
    return 1.0


def number_near(sentence: str, focus: str | None) -> float:
    """How well the sentence gives a number for the counted noun.

    1.0 for a number within three words of the noun ("cut about 2,400 jobs",
    "prize money of 4.5 million"), 0.5 for a number elsewhere in a sentence
    that has the noun, 0 without a number.
    """
    if not NUMBER.search(sentence):
        return 0.0
    if focus is None:
        return 1.0 if re.search(r"\d", sentence) else W.number_no_digit
    toks = tokens(sentence)
    wanted = {v for v, _ in variants(focus)}
    terms = [term(t) for t in toks]
    if not any(t in wanted for t in terms):
        return 0.0
    reach = W.number_window
    for j, t in enumerate(terms):
        if t not in wanted:
            continue
        for k in range(max(0, j - reach), min(len(toks), j + reach + 1)):
            if k != j and NUMBER_TOKEN.match(toks[k]):
                if re.search(r"\d", toks[k]):
                    return 1.0
                return W.number_vague if VAGUE_NUMBER.match(toks[k]) else W.number_word
    return W.number_far


def _cause(sentence: str, matched: set[str]) -> float:
    """A causal marker, best after the thing asked about: "X came after Y", "X because Y"."""
    markers = list(STRONG_CAUSE.finditer(sentence))
    if not markers:
        return W.cause_none
    first = markers[0].start()
    before = {term(t) for t in tokens(sentence[:first])}
    return 1.0 if before & matched else W.cause_elsewhere


def _places(sentence: str) -> float:
    count = 0
    for m in PLACE.finditer(sentence):
        place = m.group("place")
        if NOT_PLACE.match(place) or ORGANISATION.search(place):
            continue
        count += 1 + len(re.findall(r",\s*[A-Z]|\sand\s+[A-Z]", place))
    if count:
        return min(1.0, W.place_base + W.place_each * count)
    return W.place_noun if PLACE_NOUN.search(sentence) else W.place_none


def _names_someone(sentence: str, named: bool) -> float:
    if named or re.search(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z][\w’'-]*\s+[A-Z][\w’'-]+", sentence):
        return 1.0
    return W.who_role if ROLE_WORD.search(sentence) else W.who_none
