"""Who an article quotes or reports, how it describes them, and which sentences are theirs."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterator

from bot.nlp.answers.indexed import Indexed, Person
from bot.nlp.answers.patterns import (
    ANAPHORIC_SPEAKER,
    DATE,
    NAME_THEN_VERB,
    ROLE_POSSESSOR,
    SPEECH,
    VERB_THEN_NAME,
)
from bot.nlp.answers.terms import search_terms
from bot.nlp.answers.vocab import CHAT, SPEECH_VERBS
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.lexicon import stop_words


def find_people(idx: Indexed) -> None:
    """Who speaks in the article, how it describes them, and which sentences report them."""
    for q in idx.quotes:
        if q.speaker and q.speaker not in idx.people:
            idx.people[q.speaker] = Person(q.speaker)
    speaks = _speech_sentences(idx)
    _credit_reported(idx, _reported_speech(idx, speaks))
    for i, qs in idx.quote_sentence.items():
        for q in qs:
            if q.speaker:
                idx.credit(i, q.speaker, W.partial_quote if q.partial else W.full_quote)
    _find_mentions(idx)
    _credit_anaphora(idx, speaks)
    # A sentence reporting someone also mentions them ("he said" names Tanner).
    for i, who in idx.said.items():
        for name in who:
            idx.names[i].add(name)
            idx.terms[i] = _with_name(idx.terms[i], name)


_VERB_WORDS = frozenset(SPEECH_VERBS.split("|"))
_PLAIN_VERBS = all(re.fullmatch(r"[a-z]+", v) for v in _VERB_WORDS)  # as the set below needs
_RUN = re.compile(r"\w+")
_NON_ASCII_WORD = re.compile(r"(?![\x00-\x7f])\w")


def _speech_sentences(idx: Indexed) -> list[bool]:
    """Whether ``SPEECH`` matches each sentence, by its words: ``SPEECH`` is a verb of saying
    as a whole word, any case, and trying its alternatives at every position was most
    of reading an article's people. A sentence with a non-ASCII letter (which may fold
    to an ASCII one) is matched by the pattern itself."""
    if not _PLAIN_VERBS:
        return [SPEECH.search(s.text) is not None for s in idx.sentences]
    out: list[bool] = []
    for s in idx.sentences:
        text = s.text
        if text.isascii():  # no scan for a non-ASCII letter
            words: list[str] = text.translate(_ASCII_WORDS).split()
        elif _NON_ASCII_WORD.search(text):
            out.append(SPEECH.search(text) is not None)
            continue
        else:
            words = _RUN.findall(text.lower())  # lower: ASCII words
        out.append(not _VERB_WORDS.isdisjoint(words))
    return out


# Each ASCII character to itself lower-cased if it is a word character (a letter, a digit,
# "_": what \w matches in ASCII) and to a space if not: an ASCII sentence's words, as
# ``re.findall(r"\w+", text.lower())`` gives them, are then its ``split()``, sooner.
_ASCII_WORDS = str.maketrans(
    {c: chr(c).lower() if chr(c).isalnum() or chr(c) == "_" else " " for c in range(128)}
)


def _with_name(terms: Counter[str], name: str) -> Counter[str]:
    """``terms`` and, once each, the terms of ``name`` it lacks: what ``terms +
    Counter({t: 1 ...})`` gives (positive counts, in that order), without its overhead."""
    out: Counter[str] = Counter()
    dict.update(out, terms if all(n > 0 for n in terms.values()) else +terms)
    for t in search_terms(name):
        if t not in terms:
            out[t] = 1
    return out


def _reported_speech(idx: Indexed, speaks: list[bool]) -> list[tuple[int, str]]:
    """(sentence, name) of every "Maas said" / "said Lim Wei" in the article."""
    raw = [
        (i, m.group("name"))
        for i, s in enumerate(idx.sentences)
        if speaks[i]  # both patterns hold a verb of saying: only where one is
        for pattern in (NAME_THEN_VERB, VERB_THEN_NAME)
        for m in pattern.finditer(s.text)
    ]
    if not raw:
        return []  # no one said anything by name: the article's full names are not needed
    found: list[tuple[int, str]] = []
    full = _full_names(idx.article.text)
    for _round in range(2):  # full names first, then surnames alone ("Maas said")
        surnames = {p.surname for p in idx.people.values()} | {n.split()[-1] for _, n in found}
        found = [(i, name) for i, r in raw if (name := _clean_name(r, surnames | full.keys()))]
    # "Nigalidze said", where the article named "Gaioz Nigalidze" once: the full name.
    return [(i, full.get(name, name)) for i, name in found]


# A first name and one to three more capitalised words. The word boundary before the first
# name is a lookbehind after its capital (as in ``patterns.CAPITALISED``): the same matches
# as \b(?P<first>[A-Z][a-z’'-]+)..., but ``re`` skips from capital to capital.
_FULL_NAME = re.compile(
    r"(?P<first>[A-Z](?<!\w[A-Z])[a-z’'-]+)\s+(?P<rest>(?:[A-Z][\w’'-]+\s+){0,2}[A-Z][\w’'-]+)"
)


def _full_names(text: str) -> dict[str, str]:
    """Surname -> the full name the article gives it ("Gaioz Nigalidze"): a run of
    capitalised words that opens with no function word; a surname two runs share is left
    out. Only a surname someone "said" something with is looked up here."""
    out: dict[str, str] = {}
    shared: set[str] = set()
    stops = stop_words("english")
    for m in _FULL_NAME.finditer(text):
        if m.group("first").lower() in stops or m.group("rest").split()[-1].lower() in stops:
            continue
        words = [m.group("first"), *m.group("rest").split()]
        while words and words[0].endswith(("'s", "’s")):
            words = words[1:]  # "Armenia's Tigran Petrosian"
        if len(words) < 2:
            continue
        name = " ".join(words)
        surname = words[-1]
        if out.get(surname, name) != name:
            shared.add(surname)
        out.setdefault(surname, name)
    return {k: v for k, v in out.items() if k not in shared}


def _credit_reported(idx: Indexed, found: list[tuple[int, str]]) -> None:
    by_surname = {p.surname: p for p in idx.people.values()}
    for i, name in found:
        surname = name.split()[-1]
        if surname not in by_surname:
            by_surname[surname] = idx.people[name] = Person(name)
        person = by_surname[surname]
        person.describe(name, W.describe_name)  # "Transport Minister Ruth Adeyemi"
        idx.credit(i, person.name, W.reported_speech)


def _clean_name(raw: str, known_surnames: set[str]) -> str | None:
    """A capitalised run as a person's (or organisation's) name, or None."""
    stops = stop_words("english")
    toks = raw.split()
    while toks and (toks[0].lower() in stops or toks[0].lower() in CHAT):
        toks = toks[1:]
    if not toks:
        return None
    if len(toks) == 1 and toks[0] not in known_surnames:
        return None
    if DATE.fullmatch(toks[-1]):
        return None
    return " ".join(toks)


def _find_mentions(idx: Indexed) -> None:
    """Who each sentence names, and the words that describe them there."""
    idx.names = [set() for _ in idx.sentences]
    starts = [s.start for s in idx.sentences]
    text = idx.article.text
    longer = sorted(idx.people.values(), key=lambda p: -len(p.name))
    for person in idx.people.values():
        person.describe(person.name, W.describe_name)
        others = [o for o in longer if o is not person and person.surname in o.name.split()]
        for m in _whole_word(person.surname, text):
            if any(_covers(text, o.name, m.start()) for o in others):
                continue  # "Kim" inside "Kim Yo-jong" is someone else
            i = bisect.bisect_right(starts, m.start()) - 1
            if i < 0 or m.start() >= idx.sentences[i].end:
                continue
            sent = idx.sentences[i]
            idx.names[i].add(person.name)
            local = m.start() - sent.start
            name_start = _name_start(sent.text, local)
            before, after = _appositives(sent.text, name_start, local + len(person.surname))
            _describe_role(person, before)
            _describe_role(person, after)
            person.describe_terms(idx.base_terms[i], W.describe_sentence)  # its terms


def _describe_role(person: Person, phrase: str) -> None:
    """The words around a name describe the person, but a role they are given as a
    possessor ("the mayor's deputy, Ana Ruiz") is someone else's: it weighs as little
    as the rest of the sentence, and "the mayor" means the mayor."""
    owners = [m.group(0) for m in ROLE_POSSESSOR.finditer(phrase)]
    person.describe(ROLE_POSSESSOR.sub(" ", phrase) if owners else phrase, W.describe_name)
    for owner in owners:
        person.describe(owner, W.describe_sentence)


def _whole_word(word: str, text: str) -> Iterator[re.Match[str]]:
    r"""What ``re.finditer(rf"\b{re.escape(word)}\b(?![’']s\b)", text)`` yields, tried only
    where ``word`` occurs (``str.find``): a pattern opening on ``\b`` is otherwise tried at
    every position of the article, once per person in it."""
    pattern = re.compile(rf"\b{re.escape(word)}\b(?![’']s\b)")
    pos = text.find(word)
    while pos >= 0:
        m = pattern.match(text, pos)  # \b still sees the character before ``pos``
        if m:
            yield m
            pos = text.find(word, max(m.end(), pos + 1))
        else:
            pos = text.find(word, pos + 1)


def _credit_anaphora(idx: Indexed, speaks: list[bool]) -> None:
    """ "The Castlegate manager said ...", "She declined to say ..." right after a
    sentence naming someone: that person spoke, and the description is theirs (the
    pattern holds a verb of saying as a whole word: only sentences ``speaks`` are tried)."""
    for i in range(1, len(idx.sentences)):
        ana = ANAPHORIC_SPEAKER.search(idx.sentences[i].text) if speaks[i] else None
        if not ana or idx.names[i] - set(idx.said.get(i, {})):
            continue
        prev = _last_named(idx, i - 1)
        if prev is None:
            continue
        if idx.said.get(i) and prev.name not in idx.said[i]:
            continue  # someone else is already credited with this sentence
        np = ana.group("np") or ana.group("np2") or ""
        if not re.fullmatch(r"he|she|they", np, re.I):
            prev.describe(np, W.describe_name)
        idx.credit(i, prev.name, W.anaphoric_speech)


def _covers(text: str, name: str, pos: int) -> bool:
    """Whether an occurrence of ``name`` in ``text`` covers position ``pos``."""
    lo = max(0, pos - len(name))
    for m in re.finditer(re.escape(name), text[lo : pos + len(name)]):
        if lo + m.start() <= pos < lo + m.end():
            return True
    return False


def _name_start(sentence: str, pos: int) -> int:
    r"""Start of the capitalised run that ends in the surname at ``pos``.

    Each step back is what ``re.search(r"([A-Z][\w’'-]*\.?)\s+$", sentence[:start])``
    finds (its group), looked for only in the last word before ``start``: that search
    tried every position of the sentence before the name. The group ends where the
    whitespace before ``start`` begins (``\s`` is ``str.isspace``), and starts in the run
    of non-space characters before it."""
    start = pos
    while True:
        end = start
        while end and sentence[end - 1].isspace():
            end -= 1
        if end == start:
            return start  # no whitespace before: no word before it in the run
        word = end
        while word and not sentence[word - 1].isspace():
            word -= 1
        m = _WORD_TO_END.search(sentence, word, end)
        if not m:
            return start
        start = m.start()


_WORD_TO_END = re.compile(r"[A-Z][\w’'-]*\.?\Z")  # \Z: at ``endpos``


def _appositives(sentence: str, start: int, end: int) -> tuple[str, str]:
    """Words that describe a name: the role before it and an appositive after it."""
    head = sentence[:start]
    before = re.split(r"[,;:—–(“”\"]", head)[-1]
    tail = sentence[end:]
    if not before.strip() and head.rstrip().endswith(",") and tail.lstrip().startswith(","):
        before = re.split(r"[,;:—–(“”\".]", head.rstrip()[:-1])[-1]  # "Kim's sister, Kim Yo-jong,"
        before = " ".join(before.split()[-W.comma_role_words :])
    before = " ".join(before.split()[-W.role_words :])
    after = ""
    m = re.match(r"\s*,\s*([^,.;“”\"]{1,160})", tail)
    if m and not SPEECH.match(m.group(1)):  # "Mark Ellery, said the money ..." is no appositive
        after = " ".join(m.group(1).split()[: W.appositive_words])
    return before, after


def _last_named(idx: Indexed, i: int) -> Person | None:
    """The person a sentence ends on: who a following "he" or "the manager" refers to."""
    names = idx.names[i]
    if not names:
        return None
    s = idx.sentences[i].text
    # Ties (two people sharing a surname) go to the longer, then the first name in order:
    # never to the set's order, which changes with the interpreter's hash seed.
    best = max(sorted(names), key=lambda n: (s.rfind(n.split()[-1]), len(n)))
    return idx.people.get(best)
