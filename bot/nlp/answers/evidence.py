"""Whether a sentence has what the kind of question needs: a date, a number, a cause, a place."""

from __future__ import annotations

import math
import re

from bot.nlp.answers.patterns import (
    CAPITALISED,
    LAST_TIME,
    MEASURE_EVIDENCE,
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
    dates,
    has_money,
    has_number,
)
from bot.nlp.answers.question import Question
from bot.nlp.answers.referents import gender_of
from bot.nlp.answers.terms import term, tokens, variants
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.lexicon import WORD, stop_words


def evidence(q: Question, sentence: str, matched: set[str], names: set[str]) -> float:
    """How much the sentence has what this kind of question needs, 0..1.

    What it needs must be new: "who stabbed Copeland?" is not answered by a
    sentence whose only name is Copeland, nor "how many in eight years?" by "eight".
    """
    named = any(_new_words(n, q) for n in names)
    kind = _kind_evidence(q, sentence, matched, named)
    if q.constraint and q.constraint not in sentence.lower():
        kind *= W.constraint_miss  # "who won the cup last year" is not this year's final
    if kind and matched and q.kind in NEAR_KINDS:
        kind *= _nearness(q, sentence, matched)
    return kind


NEAR_KINDS = frozenset({"who", "when", "where", "how_many"})


def _nearness(q: Question, sentence: str, matched: set[str]) -> float:
    """How close the answer lies to the words it answers: in a long sentence the name,
    date or number next to "stabbed" answers "who stabbed", not one three clauses on."""
    spans = answer_spans(q, sentence)
    if not spans:
        return 1.0  # the kind's own check decided already (a role word, a place noun)
    wanted = {v for t in matched for v, _ in variants(t)}
    at = [m.start() for m in WORD.finditer(sentence) if term(m.group(0)) in wanted]
    if not at:
        return W.near_none
    gap = min(max(0, a - end, start - a) for start, end in spans for a in at)
    words = gap / W.chars_per_word
    if words <= W.near_words:
        return 1.0
    return W.near_far if words <= 2 * W.near_words else W.near_none


def answer_spans(q: Question, sentence: str) -> list[tuple[int, int]]:
    """Where in the sentence the things this kind asks for are (new to the question)."""
    if q.kind not in NEAR_KINDS and q.kind != "name":
        return []
    if q.kind in {"who", "name"}:
        found = CAPITALISED.finditer(sentence)
    elif q.kind == "when":
        found = dates(sentence)
    elif q.kind == "where":
        found = PLACE.finditer(sentence)
    else:
        found = NUMBER.finditer(sentence)
    return [
        (m.start(), m.end())
        for m in found
        if m.start() > 0 or q.kind != "who" or " " in m.group(0)
        if _new_words(m.group(0), q) or not re.search(r"[A-Za-z]", m.group(0))
    ]


def _kind_evidence(q: Question, sentence: str, matched: set[str], named: bool) -> float:
    if q.kind == "when":
        if q.last and LAST_TIME.search(sentence):
            return 1.0
        date = any(_new_words(m.group(0), q) for m in dates(sentence))
        return (W.when_last_date if q.last else 1.0) if date else 0.0
    if q.measure and q.measure != "money":
        if MEASURE_EVIDENCE[q.measure].search(sentence):
            return 1.0
        if q.measure == "size":  # "how big is the contingency": any amount will do
            return W.size_any_number * number_near(sentence, q.focus)
        return W.measure_miss
    if q.kind == "how_many":
        if q.measure == "money" and q.focus is None:
            if has_money(sentence):
                return 1.0
            return W.money_number if has_number(sentence) else 0.0
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
        return _named_thing(sentence, q)
    if q.kind == "say":
        return 1.0 if SPEECH.search(sentence) or QUOTE_MARK.search(sentence) else W.say_none
    return 1.0


def _new_words(text: str, q: Question) -> bool:
    """Whether ``text`` has a word the question does not."""
    return any(w.lower() not in q.words for w in tokens(text))


def new_names(sentence: str, q: Question) -> list[re.Match[str]]:
    """Capitalised names in the sentence that the question does not already say.

    A lone capitalised word opening the sentence is no name ("Police said").
    """
    stops = stop_words("english")
    out = []
    for m in CAPITALISED.finditer(sentence):
        words = m.group(0).split()
        if m.start() == 0 and len(words) == 1:
            continue
        if any(
            w.lower() not in q.words and w.lower() not in stops and not NOT_PLACE.match(w)
            for w in words
        ):
            out.append(m)
    return out


def new_name(sentence: str, q: Question) -> bool:
    return bool(new_names(sentence, q))


def _named_thing(sentence: str, q: Question) -> float:
    """ "Which film", "what is the project called": a name next to the noun asked about
    ("the 2004 film 50 First Dates", "the Green Brain website") is the answer."""
    names = new_names(sentence, q)
    if not names:
        return W.name_none
    if not q.noun:
        return 1.0
    wanted = {v for v, _ in variants(q.noun)}
    at = [m.start() for m in WORD.finditer(sentence) if term(m.group(0)) in wanted]
    # Right next to the noun ("the film 50 First Dates", "the Houston Express ship") a
    # name is what the noun is called; a few words off, it may be something else's.
    gaps = [max(0, a - m.end(), m.start() - a) / W.chars_per_word for m in names for a in at]
    nearest = min(gaps, default=math.inf)
    if nearest <= W.name_next:
        return 1.0
    return W.name_near if nearest <= W.name_window else W.name_far


def number_near(sentence: str, focus: str | None) -> float:
    """How well the sentence gives a number for the counted noun.

    1.0 for a number within three words of the noun ("cut about 2,400 jobs",
    "prize money of 4.5 million"), 0.5 for a number elsewhere in a sentence
    that has the noun, 0 without a number.
    """
    if not has_number(sentence):
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
    """A person or a body the question does not name: someone the articles quote, a
    first name the name list knows ("Chancey Luna"), or an organisation ("the ECB")."""
    if named:
        return 1.0
    names = new_names(sentence, q)
    for m in names:
        words = m.group(0).split()
        if (len(words) >= 2 and gender_of(words[0])) or ORGANISATION.search(m.group(0)):
            return 1.0
        if len(words) == 1 and words[0].isupper() and len(words[0]) > 1:
            return 1.0  # an acronym: "ECB", "NASA"
    if names:
        return W.who_other_name
    return W.who_role if ROLE_WORD.search(sentence) else W.who_none
