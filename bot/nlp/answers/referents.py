"""Who or what a pronoun in a question stands for: "how old is he?", "who's in it?".

A follow-up's "he" or "she" is the person the previous answer named (that is
what "who was he campaigning with?" then "what's his job?" asks about), else the
person the previous turn was about; a question with no turn before it means the
person the article is most about. "It", "that" and "they" lean on the names
the previous answer gave. Genders come from first names, through the
gender-guesser package's data (Jörg Michael's name dictionary, inside its wheel).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any

from bot.models import Quote, Sentence
from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.models import Turn
from bot.nlp.answers.patterns import CAPITALISED, CAPITALISED_RUN
from bot.nlp.answers.terms import tokens
from bot.nlp.lexicon import stop_words

MALE = re.compile(r"\b(?:he|him|his|himself)\b", re.IGNORECASE)
FEMALE = re.compile(r"\b(?:she|her|hers|herself)\b", re.IGNORECASE)
THING = re.compile(r"\b(?:it|its|that|they|them|their|this)\b", re.IGNORECASE)


@cache
def _detector() -> Any:
    import gender_guesser.detector as gender  # its name list loads once, when first needed

    return gender.Detector(case_sensitive=False)


@lru_cache(maxsize=65536)
def gender_of(name: str) -> str | None:
    """ "male", "female", or None when the first name does not tell."""
    first = name.split()[0].strip(".")
    guess = str(_detector().get_gender(first))
    if guess in {"male", "mostly_male"}:
        return "male"
    if guess in {"female", "mostly_female"}:
        return "female"
    return None


def pronoun_gender(question: str) -> str | None:
    """The gender of a personal pronoun in the question, or None if it has none."""
    if FEMALE.search(question):
        return "female"
    if MALE.search(question):
        return "male"
    return None


# The rule ``people_named`` counts by: ingest stores its counts with this mark
# (``stored_names``), and counts stored under another mark are worked out again.
# Change it whenever ``people_named`` could count otherwise (a test digests the code it
# counts with and fails until the mark is bumped: tests/test_answers_stored_names.py).
NAMED_RULE = 1


def people_named(idx: Indexed) -> Counter[str]:
    """Full names the article gives ("Chancey Luna"), counted by the sentences that
    name them, by surname too, and one more for each person it quotes. A name is two
    or more capitalised words whose first is a first name the name list knows.

    Read from the sentences and quotes alone (not who each sentence reports), so a
    thread's names are counted without reading every article's people. Counted at
    ingest, by this rule, they are not counted again."""
    stored = idx.article.named
    if stored is not None and stored[0] == NAMED_RULE:
        return Counter(dict(stored[1]))
    return named_in(idx.sentences, idx.quotes)


def stored_names(sentences: Sequence[Sentence], quotes: Sequence[Quote]) -> dict[str, Any]:
    """``people_named``'s counts as ingest stores them, with the rule's mark: a question
    about "he" in a digest thread then counts the names of fifty articles without
    reading them (``SourceArticle.named``)."""
    return {"rule": NAMED_RULE, "counts": dict(named_in(sentences, quotes))}


def named_in(sentences: Sequence[Sentence], quotes: Sequence[Quote]) -> Counter[str]:
    """``people_named`` of an article with these sentences and quotes."""
    full: dict[str, str] = {}
    for s in sentences:
        # Runs of two words or more only (CAPITALISED_RUN): a one-word run names no one.
        for m in CAPITALISED_RUN.finditer(s.text):
            words = [w for w in m.group(0).split() if w[:1].isupper()]
            while len(words) >= 2 and gender_of(words[0]) is None:
                words = words[1:]
            if len(words) >= 2:
                full.setdefault(words[-1], " ".join(words[:4]))
    counts: Counter[str] = Counter()
    for s in sentences if full else ():
        # A surname among the sentence's words is in its text: most sentences have none,
        # and ``in`` finds that sooner than making a set of their words.
        text = s.text
        hits = [surname for surname in full if surname in text]
        if hits:
            found = tokens(text)
            for surname in hits:
                if surname in found:
                    counts[full[surname]] += 1
    for p in dict.fromkeys(q.speaker for q in quotes if q.speaker):
        counts[p] += 1
    return counts


def main_person(counts: Counter[str], gender: str | None) -> str | None:
    """The person the articles name most often (``counts``: full names by sentences
    naming them), of that gender when it is known."""
    fits = [n for n in counts if gender_of(n) == gender and counts[n] >= 2]
    return min(fits, key=lambda n: (-counts[n], n)) if fits else None


def answer_names(previous: Turn) -> list[str]:
    """Names the previous answer gave that its question did not ask about, in order."""
    asked = {w.lower() for w in tokens(previous.question)}
    stops = stop_words("english")
    out: list[str] = []
    for s in previous.answer.sentences:
        for m in CAPITALISED.finditer(s.text):
            words = m.group(0).split()
            if m.start() == 0 and len(words) == 1:
                continue
            if all(w.lower() in asked or w.lower() in stops for w in words):
                continue
            if m.group(0) not in out:
                out.append(m.group(0))
    return out


def referent(
    question: str,
    history: Sequence[Turn],
    persons: Callable[[], Counter[str]],
    follow_up: bool,
) -> str | None:
    """The person a "he" or "she" in the question means, or None (``persons``: the
    thread's full names by how often they are named, read only when needed)."""
    gender = pronoun_gender(question)
    if gender is None:
        return None
    previous = history[-1] if history and follow_up else None
    if previous is not None:
        for name in answer_names(previous):
            if len(name.split()) >= 2 and gender_of(name) == gender:
                return name
        if previous.answer.subject and gender_of(previous.answer.subject) in (gender, None):
            return previous.answer.subject
    return main_person(persons(), gender)
