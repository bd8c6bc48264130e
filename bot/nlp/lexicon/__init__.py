"""newsbrief's vocabulary in one place: word lists, the word pattern, stemmers.

Word lists are data files beside this module (``<name>.txt``), read once each, the
way sumy keeps its stop words: one entry a line, ``#`` header lines saying where
the list came from and what its tags mean. An entry may carry tags after it
(``said  quotes sentences answers``): a vocabulary is written once, and the
readers that used to keep their own slightly different copies pick their part
of it by tag. Entries are stored lower case unless a list says otherwise.

    from bot.nlp.lexicon import words, word_list, alternation
    words("days")                      # frozenset of the seven days
    words("speech_verbs", "sentences") # the verbs tagged "sentences"
    alternation("months")              # "january|february|…", for a regex

Stemming is here too: sumy's Snowball ``stemmer(language)`` and its stop words
``stop_words(language)`` (data inside the sumy wheel, never downloaded), and
``light_stem``, a crude English plural/tense folder for fuzzy title matching.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sumy.nlp.stemmers import Stemmer

__all__ = [
    "WORD",
    "alternation",
    "light_stem",
    "stemmer",
    "stop_words",
    "word_list",
    "word_pattern",
    "words",
]


@cache
def _entries(name: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """(entry, tags) of a list, in file order; a missing list is a clear error."""
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"not a word-list name: {name!r}")
    path = resources.files(__name__).joinpath(f"{name}.txt")
    if not path.is_file():
        raise LookupError(f"no word list {name!r} in bot/nlp/lexicon")
    out: list[tuple[str, frozenset[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        entry, *tags = line.split()
        out.append((entry, frozenset(tags)))
    return tuple(out)


@cache
def word_list(name: str, tag: str | None = None) -> tuple[str, ...]:
    """Entries of list `name` in file order (only those tagged `tag`, if given)."""
    return tuple(e for e, tags in _entries(name) if tag is None or tag in tags)


@cache
def words(name: str, tag: str | None = None) -> frozenset[str]:
    """Entries of list `name` as a set (only those tagged `tag`, if given)."""
    found = frozenset(word_list(name, tag))
    if tag is not None and not found:
        raise LookupError(f"word list {name!r} has no entry tagged {tag!r}")
    return found


def alternation(name: str, tag: str | None = None) -> str:
    """The entries as a regex alternation ``a|b|c``, escaped, in file order."""
    words(name, tag)  # the same clear error for an unknown list or tag
    return "|".join(map(re.escape, word_list(name, tag)))


# --------------------------------------------------------------------- words

_JOINED = "-'’."  # marks that hold a word together between letters: well-known, O’Neill, U.S


def word_pattern(
    joiners: str = _JOINED, *, letters: str = r"^\W_", trailing: bool = False
) -> re.Pattern[str]:
    """The word pattern: a run of `letters` (a character-class body; default letters and
    digits in any script), held together by single `joiners` between letters.

    With `trailing`, joiners may also repeat and end a word ("Jr.", "U.S.", "rock-"),
    which quote attribution wants when it measures where a speaker's name ends.
    """
    marks = "".join(re.escape(c) for c in joiners)
    if trailing:
        return re.compile(f"[{letters}][{letters}{marks}]*")
    if not joiners:
        return re.compile(f"[{letters}]+")
    return re.compile(f"[{letters}]+(?:[{marks}][{letters}]+)*")


WORD = word_pattern()
"""Words for sentences, summaries and answers: hyphenated names, contractions and
initialisms stay whole ("well-known", "don't", "U.S")."""


# --------------------------------------------------------------------- stemming


@cache
def stemmer(language: str) -> Stemmer:
    """sumy's stemmer (NLTK's Snowball for the language); code only, no data download."""
    from sumy.nlp.stemmers import Stemmer  # imported when first needed: sumy is slow to load

    return Stemmer(language)


@cache
def stop_words(language: str) -> frozenset[str]:
    """sumy's stop words for the language, from the data files inside its wheel."""
    from sumy.utils import get_stop_words

    return frozenset(get_stop_words(language))


def light_stem(word: str) -> str:
    """Crude plural/tense folding, enough to match "talks"/"talk", "elections"/"election".

    Not Snowball: story fingerprints are stored with their terms, so this folding is
    part of the stored format; it stays as it is.
    """
    for suffix, keep in (("ies", 3), ("ing", 4), ("ed", 4), ("es", 4), ("s", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word
