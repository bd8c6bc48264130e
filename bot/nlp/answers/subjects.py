"""Who a question is about: a person named ("mr reid") or described ("Kim's sister")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from bot.nlp.answers.indexed import Person
from bot.nlp.answers.models import Turn
from bot.nlp.answers.referents import gender_of
from bot.nlp.answers.terms import term, tokens, variants
from bot.nlp.answers.vocab import NOT_NAMING, POSSESSIVE_PRONOUN
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.lexicon import stop_words


def resolve_subject(phrase: str, people: Mapping[str, Person]) -> tuple[str, ...]:
    """Who the phrase means (of the thread's ``people``): one person by name, or those a
    description fits best."""
    phrase = phrase.strip(" ?.!,")
    named = _match_speaker(phrase, people)
    return (named,) if named else _describe_speaker(phrase, people)


def recent_subject(history: Sequence[Turn], gender: str | None = None) -> str | None:
    """The person the thread last talked about, who a "she" (``gender``) can be: after
    "who is Mara Quinlan?" then "what did Trump say?", "what did she say?" is Quinlan."""
    return next(
        (s for t in reversed(history) if (s := t.answer.subject) and _fits(s, gender)), None
    )


def main_speaker(counts: Counter[str], gender: str | None = None) -> str | None:
    """The person quoted most (``counts``: quotes by speaker) who a bare "he" or "she"
    (``gender``) can be: who it most likely means."""
    fits = [n for n in counts if _fits(n, gender)]
    return min(fits, key=lambda n: (-counts[n], n)) if fits else None


def _fits(name: str, gender: str | None) -> bool:
    """Whether a "he" or "she" can stand for the name: its first name does not say no."""
    return gender is None or gender_of(name) in (gender, None)


def named_person(question: str, people: Callable[[], Iterable[str]]) -> str | None:
    """The one person of ``people`` whose surname the question writes as a name ("who is
    Mara Quinlan?", "how old is Ashdown?"): whom a "she" or "he" next means. The people
    are read only for a question that writes a name."""
    written = {w for w in tokens(question)[1:] if w[:1].isupper()}
    if not written:
        return None
    found = {p for p in people() if (words := p.split()) and words[-1] in written}
    return found.pop() if len(found) == 1 else None


def _match_speaker(phrase: str, people: Mapping[str, Person]) -> str | None:
    """A person named by the phrase: "Trump", "kim yo-jong", "mr reid"."""
    wanted = {t.lower() for t in tokens(phrase) if t.lower() not in POSSESSIVE_PRONOUN}
    wanted -= NOT_NAMING
    if not wanted:
        return None
    best: tuple[int, int, str] | None = None
    for name in sorted(people):
        sp_tokens = {t.lower() for t in tokens(name)}
        common = len(wanted & sp_tokens)
        if common == len(wanted) and (best is None or (common, -len(sp_tokens)) > best[:2]):
            best = (common, -len(sp_tokens), name)
    if best is None and written_as_name(phrase):
        # "Kim Jong-un", whom the articles call "Kim": the longest name that is part of
        # the one asked, not "Kim Yo-jong", whose "Yo" the question lacks.
        parts = [
            (len(t), n) for n in sorted(people) if (t := {w.lower() for w in tokens(n)}) <= wanted
        ]
        return max(parts)[1] if parts else None
    return best[2] if best else None


def as_written(phrase: str, texts: Iterable[str]) -> str:
    """The phrase as the articles write it when they write it as a name: "kim jong-un"
    typed in a chat is "Kim Jong-un" (``written_as_name``); otherwise the phrase itself."""
    words = phrase.split()
    if not words or written_as_name(phrase) or any(w.endswith(("'s", "’s")) for w in words):
        return phrase
    found = re.compile(
        r"(?<![\w’'-])" + r"\s+".join(map(re.escape, words)) + r"(?![\w’'-])", re.IGNORECASE
    )
    for text in texts:
        for m in found.finditer(text):
            if written_as_name(m.group(0)):
                return " ".join(m.group(0).split())
    return phrase


def written_as_name(phrase: str) -> bool:
    """Every word capitalised and none possessive: "Kim Jong-un", not "Kim's sister"."""
    words = phrase.split()
    return bool(words) and all(w[:1].isupper() and not w.endswith(("'s", "’s")) for w in words)


def _describe_speaker(phrase: str, people: Mapping[str, Person]) -> tuple[str, ...]:
    """The person the articles describe with the phrase: "Kim's sister", "the crane operator".

    Each person carries the words around their mentions (the role before the
    name, an appositive after it: "Joe Tanner, a crane operator", "Meridia's
    chief executive, Hendrik Maas"), weighted 1, and the rest of the sentence,
    weighted less. The phrase must match at least two thirds of its words (half,
    when its last word matches).
    Everyone tied at the top is returned (a digest may hold three chief
    executives): the rest of the question picks among what they said.
    """
    wanted = [
        term(w)
        for w in tokens(phrase)
        if w.lower() not in POSSESSIVE_PRONOUN and w.lower() not in stop_words("english")
    ]
    if not wanted:
        return ()
    scored: list[tuple[float, str]] = []
    for name in sorted(people):
        desc = people[name].desc
        score = 0.0
        matched = 0
        head = False
        for t in wanted:
            hit = max((desc.get(v, 0.0) * vw for v, vw in variants(t)), default=0.0)
            score += hit
            matched += hit > 0
            head = hit > 0  # ends True when the last word, the noun phrase's head, matched
        # English noun phrases end in their head ("the local governor", "the defence
        # lawyer"): with it, half the words will do; the modifiers are often paraphrased.
        share = W.describe_head_share if head else W.describe_share
        if matched >= share * len(wanted) and score >= W.describe_min:
            scored.append((score, name))
    scored.sort(key=lambda r: (-r[0], r[1]))
    top = tuple(name for score, name in scored if score >= scored[0][0] - 1e-9) if scored else ()
    return top if len(top) <= W.describe_max_people else ()
