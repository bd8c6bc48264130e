"""What the answerer knows about one article once it has read it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.models import Quote, Sentence
from bot.nlp.answers.models import SourceArticle
from bot.nlp.answers.terms import search_terms


@dataclass(slots=True)
class Person:
    """Someone an article quotes or reports, and the words it describes them with."""

    name: str
    desc: dict[str, float] = field(default_factory=dict)  # term -> how closely it describes

    @property
    def surname(self) -> str:
        return self.name.split()[-1]

    def describe(self, text: str, weight: float) -> None:
        self.describe_terms(search_terms(text), weight)

    def describe_terms(self, terms: Iterable[str], weight: float) -> None:
        """``describe`` by terms already known (a sentence's own, from its index)."""
        desc = self.desc
        for t in terms:
            if desc.get(t, 0.0) < weight:
                desc[t] = weight


@dataclass(slots=True)
class Indexed:
    """One article's sentences as search terms, its quotes and (once read) its people.

    ``people``, ``said`` and ``names`` are empty until ``has_people``
    (``bot.nlp.answers.index.read_people``).
    """

    article: SourceArticle
    sentences: list[Sentence]
    terms: list[Counter[str]]
    quotes: list[Quote]
    quote_sentence: dict[int, list[Quote]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    # sentence -> person -> how surely the sentence reports what that person said
    said: dict[int, dict[str, float]] = field(default_factory=dict)
    names: list[set[str]] = field(default_factory=list)  # people mentioned per sentence
    vocab: frozenset[str] = frozenset()  # every term the article uses
    lead: frozenset[str] = frozenset()  # the terms of its first sentences
    persons: Counter[str] | None = None  # full names, by sentences naming them (once asked)
    # The sentences' own terms: ``terms`` adds the names of the people a sentence reports
    # once they are read (``has_people``); thread-wide word weights use these.
    base_terms: list[Counter[str]] = field(default_factory=list)
    # ``vocab`` and the terms of every quoted speaker's name: whom the article can name
    findable: frozenset[str] = frozenset()
    has_people: bool = False

    def credit(self, i: int, name: str, strength: float) -> None:
        """Sentence ``i`` reports what ``name`` said, at least this surely."""
        said = self.said.setdefault(i, {})
        said[name] = max(said.get(name, 0.0), strength)
