"""The words the answerer reads, drawn from ``bot.nlp.lexicon``.

Every list lives in a data file there; this module only names the parts answers
uses. Lists that map a word to others are written ``word=other`` (``_`` for a
space, ``,`` between several), one entry a line.
"""

from __future__ import annotations

import re

from bot.nlp.lexicon import alternation, word_list, words


def _mapping(name: str) -> dict[str, tuple[str, ...]]:
    """A ``word=a,b`` list as {word: (a, b)}, in file order."""
    out: dict[str, tuple[str, ...]] = {}
    for entry in word_list(name):
        key, sep, values = entry.partition("=")
        if not sep or not key or not values:
            raise ValueError(f"word list {name!r}: {entry!r} is not word=other")
        out[key] = tuple(v.replace("_", " ") for v in values.split(","))
    return out


CHAT: dict[str, str] = {k: v[0] for k, v in _mapping("chat_shorthand").items()}
"""Chat shorthand and dropped apostrophes, expanded before anything else."""
CHAT_RE = re.compile(r"(?<![\w$£€])(" + "|".join(map(re.escape, CHAT)) + r")(?![\w])", re.I)
# Phrasal verbs people use where reporters write one word.
PHRASES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(?:go|going|went|come|coming|came|get|getting|got|move|moving)\s+back\b", re.I
        ),
        "return",
    ),
    (re.compile(r"\bset\s+off\b", re.I), "trigger"),
    (re.compile(r"\bcall(?:ed)?\s+off\b", re.I), "cancel"),
]
IRREGULAR: dict[str, str] = {k: v[0] for k, v in _mapping("irregular_past").items()}
"""Past forms the lemmatizer leaves alone ("broke" is also an adjective)."""
PARAPHRASES: dict[str, tuple[str, ...]] = _mapping("paraphrases")
"""Everyday paraphrases between how people ask and how reporters write."""
SYNONYMS: dict[str, tuple[str, ...]] = _mapping("synonyms")
"""WordNet 3.0 synonyms of common senses (tools/wordnet_synonyms.py writes the list)."""

QUESTION_WORDS = words("question_words")
"""What a question asks, not what it is about: no search terms."""
MEASURE_WORDS = words("measure_words")
"""Words that name the measure rather than the thing measured: matched by evidence."""
POSSESSIVE_PRONOUN = frozenset("their his her its our my your the a an".split())
"""Dropped from a phrase that describes a person ("their boss")."""
NOT_COUNTED = frozenset(
    "is are was were will would did does do has have had can could should of more less "
    "longer money the".split()
)
"""After "how many/much": words that are not the counted noun."""
NOT_NAMING = frozenset("mr mrs ms dr s of professor prof".split())
"""Titles and joiners that don't pick a person out ("mr reid", "kim's sister")."""
AUXILIARIES = frozenset(
    "is are was were will would do does did can could should shall may might must has have "
    "had".split()
)
"""Verbs a question puts before its subject: "will that cost", "did she win"."""
QUESTION_OPENERS = frozenset("what when why how who whom whose where which tell explain".split())
"""Words a question (or a request for an answer: "tell me…") opens with, with AUXILIARIES."""

SPEECH_VERBS = alternation("speech_verbs", "answers")
"""Verbs of saying that mark reported speech, as a regex alternation."""
MONTHS = alternation("months") + "|" + alternation("month_abbreviations")
DAYS = alternation("days")
ORGANISATIONS = "|".join(
    re.escape(w.capitalize())
    for w in (*word_list("organisation_words"), *word_list("organisations", "answers"))
)
"""Title Case words that make a capitalised phrase an organisation ("Port Authority"):
WordNet's kinds of organisation, and the legal forms (Inc, Ltd)."""
PERSON_ROLES = "|".join((alternation("role_words"), r"spokes\w+"))
"""Words for a role a person holds (WordNet's kinds of leader, official, professional ...)."""
ROLES = "|".join((PERSON_ROLES, alternation("organisation_words")))
"""Words that describe someone by role or by the body they speak for ("the union leader"):
WordNet's kinds of leader, official, professional ..., and of organisation."""
PLACE_NOUNS = alternation("places", "answers")
"""Nouns of a kind of place ("the station")."""
