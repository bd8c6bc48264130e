"""Whether a sentence has what the kind of question needs: a date, a number, a cause, a place."""

from __future__ import annotations

import re

from bot.nlp.answers.patterns import (
    CAPITALISED,
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
    QUOTE_MARK,
    ROLE_WORD,
    SPEECH,
    STRONG_CAUSE,
    VAGUE_NUMBER,
)
from bot.nlp.answers.question import Question
from bot.nlp.answers.terms import term, tokens, variants
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.lexicon import stop_words


def evidence(q: Question, sentence: str, matched: set[str], names: set[str]) -> float:
    """How much the sentence has what this kind of question needs, 0..1.

    What it needs must be new: "who stabbed Copeland?" is not answered by a
    sentence whose only name is Copeland, nor "how many in eight years?" by "eight".
    """
    named = any(_new_words(n, q) for n in names)
    kind = _kind_evidence(q, sentence, matched, named)
    if q.constraint and q.constraint not in sentence.lower():
        kind *= W.constraint_miss  # "who won the cup last year" is not this year's final
    return kind


def _kind_evidence(q: Question, sentence: str, matched: set[str], named: bool) -> float:
    if q.kind == "when":
        if q.last and LAST_TIME.search(sentence):
            return 1.0
        date = any(_new_words(m.group(0), q) for m in DATE.finditer(sentence))
        return (W.when_last_date if q.last else 1.0) if date else 0.0
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
        return _places(sentence, q)
    if q.kind == "who":
        return _names_someone(sentence, named, q)
    if q.kind == "name":
        return 1.0 if new_name(sentence, q) else W.name_none
    if q.kind == "say":
        return 1.0 if SPEECH.search(sentence) or QUOTE_MARK.search(sentence) else W.say_none
    return 1.0


def _new_words(text: str, q: Question) -> bool:
    """Whether ``text`` has a word the question does not."""
    return any(w.lower() not in q.words for w in tokens(text))


def new_name(sentence: str, q: Question) -> bool:
    """A capitalised name in the sentence that the question does not already say.

    A lone capitalised word opening the sentence is no name ("Police said").
    """
    stops = stop_words("english")
    for m in CAPITALISED.finditer(sentence):
        words = m.group(0).split()
        if m.start() == 0 and len(words) == 1:
            continue
        if any(
            w.lower() not in q.words and w.lower() not in stops and not NOT_PLACE.match(w)
            for w in words
        ):
            return True
    return False


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


def _places(sentence: str, q: Question) -> float:
    count = 0
    for m in PLACE.finditer(sentence):
        place = m.group("place")
        if NOT_PLACE.match(place) or ORGANISATION.search(place) or not _new_words(place, q):
            continue
        count += 1 + len(re.findall(r",\s*[A-Z]|\sand\s+[A-Z]", place))
    if count:
        return min(1.0, W.place_base + W.place_each * count)
    return W.place_noun if PLACE_NOUN.search(sentence) else W.place_none


def _names_someone(sentence: str, named: bool, q: Question) -> float:
    if named or new_name(sentence, q):
        return 1.0
    return W.who_role if ROLE_WORD.search(sentence) else W.who_none
