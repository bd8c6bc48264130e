"""What a question asks for: its kind, who it is about, what number or time it wants."""

from __future__ import annotations

import re
from dataclasses import dataclass

import simplemma

from bot.nlp.answers.patterns import MONEY_QUESTION
from bot.nlp.answers.terms import normalise, term, tokens
from bot.nlp.answers.vocab import AUXILIARIES, NOT_COUNTED, QUESTION_OPENERS
from bot.nlp.lexicon import stop_words


def is_question(text: str) -> bool:
    """Whether a line typed in a thread asks something: a question mark at its end, or a
    question word or auxiliary verb first ("who scored", "did she win", "and why").
    "thanks!" and "@sam have a look" don't, and a thread's chatter goes unanswered."""
    text = normalise(text).strip()
    if text.rstrip(_CLOSING).endswith("?"):
        return True
    words = [w.lower() for w in tokens(text)]
    if words[:1] == ["and"] or words[:1] == ["so"]:
        words = words[1:]
    return bool(words) and (words[0] in QUESTION_OPENERS or words[0] in AUXILIARIES)


_CLOSING = " \t\"'’”)]*_~.!"  # after the question mark: quotes, brackets, markup, "?!"


# The first pattern that matches names the kind; none matches: "other".
KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "say",
        re.compile(
            r"\b(?:what|how)\s+(?:did|does|do|has|have|was|is|were)\s+(?P<who>.+?)\s+"
            r"(?:say|said|saying|tell|told|think|thought|claim|argue|mean|react|respond|"
            r"reply|add|warn|promise|comment|describe|call|joke)\b"
            r"|^\W*(?:and\s+)?(?:did|does|has|have)\s+(?P<who4>[\w’'.\- ]+?)\s+"
            r"(?:say|said|mention|comment|tell|warn|promise)\b"
            r"|\b(?P<who2>[\w’'.\- ]+?)['’]s\s+(?:reaction|response|comments?|words|quote|view)\b"
            r"|\bquote\s+(?:from|by)\s+(?P<who3>.+?)\s*\??$",
            re.IGNORECASE,
        ),
    ),
    (
        "when",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?when\b|\bwhat\s+(?:year|date|day|month|time)\b"
            r"|\bsince\s+when\b|\bhow\s+long\s+ago\b|\bwhich\s+(?:year|day|month)\b"
            r"|\bby\s+when\b|\bwhat\s+time\b",
            re.IGNORECASE,
        ),
    ),
    (
        "how_many",
        re.compile(
            r"\bhow\s+(?:many|much|long|far|big|large|old|high|fast|often|tall|deep|heavy)\b"
            r"|\bwhat\s+(?:(?:was|is|were|are|'s|’s)\s+)?(?:the\s+)?(?:[\w'’]+\s+){0,2}"
            r"(?:percentage|share|number|amount|proportion|figure|price|cost|score|scoreline|"
            r"total|margin|size|age|budget|rate|height|level)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "effect",
        re.compile(
            r"\bhow\s+(?:well|effective|successful|good|bad)\b|\bdid\s+(?:it|the\s+\w+)\s+work\b",
            re.I,
        ),
    ),
    (
        "why",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?why\b|\bwhat\s+(?:caused|led\s+to|made)\b|\breason\b"
            r"|\bhow\s+come\b",
            re.I,
        ),
    ),
    ("who", re.compile(r"^\W*(?:and\s+)?(?:so\s+)?(?:who|whom|whose)\b", re.IGNORECASE)),
    (
        "where",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?where\b|\bwhich\s+(?:city|town|country|"
            r"place|street|road)\b",
            re.IGNORECASE,
        ),
    ),
    (
        # "which team", "what's the name of", "what was it called": a named thing
        "name",
        re.compile(
            r"\bwhich\s+(?!of\b|one\b|ones\b)[a-z]+\b|\bwhat(?:['’]s|\s+is|\s+was|\s+are|\s+were)?"
            r"\s+(?:the\s+)?names?\b|\bcalled\W*$|\bwhat\s+(?:is|was|are|were)\s+\w+\s+called\b",
            re.IGNORECASE,
        ),
    ),
    (
        "yesno",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?(?:did|does|do|is|are|was|were|has|have|had|can|could|"
            r"will|would|should)\b",
            re.IGNORECASE,
        ),
    ),
]

# What a number must measure, from how the question asks for it.
MEASURES: list[tuple[str, re.Pattern[str]]] = [
    (
        "percent",
        re.compile(r"\bwhat\s+(?:[\w'’]+\s+){0,4}?(?:share|percentage|proportion|percent)\b"),
    ),
    ("score", re.compile(r"\bwhat\s+(?:[\w'’]+\s+){0,4}?(?:score|scoreline)\b")),
    ("duration", re.compile(r"\bhow\s+long\b(?!\s+ago)")),
    ("age", re.compile(r"\bhow\s+old\b")),
    ("frequency", re.compile(r"\bhow\s+often\b")),
    ("size", re.compile(r"\bhow\s+(?:high|tall|deep|far|big|large|heavy|fast)\b")),
]
# A time the answer must be about: "who won the cup last year".
CONSTRAINT = re.compile(
    r"\b(?:last|next|this)\s+(?:year|week|month|season|summer|winter|spring|autumn)\b"
    r"|\b(?:yesterday|today|tomorrow)\b|\bin\s+(?:19|20)\d\d\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Question:
    kind: str
    who: str | None  # the person a "say" question asks about, as written
    focus: str | None  # the counted noun of "how many", as a term
    last: bool  # "when was X last ...": wants "since <date>"
    measure: str | None  # what a number must measure: percent, money, score, duration, ...
    constraint: str | None  # a time the answer must be about: "last year", "in 2019"
    words: frozenset[str] = frozenset()  # the question's own words, lower case: no answer
    noun: str | None = None  # "which film", "what is the project called": the term "film"


def analyze_question(question: str) -> Question:
    """Kind of question, who it asks about (for "say"), and the counted noun (for "how many")."""
    focus = _counted(question)
    kind = "other"
    who = None
    for k, pattern in KIND_PATTERNS:
        m = pattern.search(question)
        if m:
            kind = k
            if kind == "say":
                who = next((g for g in m.groups() if g), None)
                if who:
                    who = re.sub(r"^(?:the|a)\s+", "", who.strip(), flags=re.I)
            break
    return Question(
        kind=kind,
        who=who,
        focus=focus,
        last=kind == "when" and bool(re.search(r"\blast\b", question, re.I)),
        measure=_measure(question, kind),
        constraint=None if kind == "when" else _constraint(question),
        words=frozenset(w.lower() for w in tokens(question)),
        noun=_noun(question) if kind == "name" else None,
    )


_COUNTED = re.compile(r"\bhow\s+(?:many|much)\s+(?P<np>[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})", re.I)


def _counted(question: str) -> str | None:
    """The counted noun of "how many/much", as a term: the noun after a participle ("how
    many flying drones" counts drones). None after a comparative ("how much higher"):
    that asks for a difference, not a count."""
    m = _COUNTED.search(question)
    if not m:
        return None
    words = m.group("np").lower().split()
    if words[0] in NOT_COUNTED or _comparative(words[0]):
        return None
    noun = words[0]
    for w in words[1:]:
        if not noun.endswith(("ing", "ed")) or w in NOT_COUNTED or w in stop_words("english"):
            break  # only a participle ("flying", "injured") goes before its noun here
        noun = w
    return term(noun)


def _comparative(word: str) -> bool:
    """ "higher", "fewer": an adjective's -er form (the lemmatiser gives the adjective)."""
    return word.endswith("er") and not simplemma.lemmatize(word, lang="en").endswith("er")


_NAMED_NOUN = re.compile(
    r"\bwhich\s+(?:\w+\s+)?(?P<a>[a-z]+)\s+(?:is|was|are|were|does|did|do|has|had|will|would|"
    r"could|can|should|got|gave|made|picked|helped)\b"
    r"|\bwhich\s+(?P<b>[a-z]+)\b"
    r"|\bname\s+of\s+(?:the\s+|his\s+|her\s+|their\s+|its\s+)?(?:\w+\s+)?(?P<c>[a-z]+)\W*$"
    r"|\b(?:the|this|his|her|their|its)\s+(?:\w+\s+)?(?P<d>[a-z]+)\s+called\b",
    re.IGNORECASE,
)


def _noun(question: str) -> str | None:
    """The noun a "which" or "called" question names a thing of, as a term."""
    m = _NAMED_NOUN.search(question)
    word = next((g for g in m.groups() if g), None) if m else None
    return term(word) if word else None


def _measure(question: str, kind: str) -> str | None:
    if kind not in {"how_many", "other"}:
        return None
    for name, pattern in MEASURES:
        if pattern.search(question.lower()):
            return name
    return "money" if MONEY_QUESTION.search(question) else None


def _constraint(question: str) -> str | None:
    m = CONSTRAINT.search(question)
    return m.group(0).lower() if m else None
