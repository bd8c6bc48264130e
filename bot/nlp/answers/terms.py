"""Words to search terms: chat shorthand expanded, lemma then stem, paraphrases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

import simplemma

from bot.nlp.answers.vocab import CHAT, CHAT_RE, IRREGULAR, PARAPHRASES, PHRASES, SYNONYMS
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.lexicon import WORD, stemmer, stop_words


@lru_cache(maxsize=65536)
def term(word: str, language: str = "english") -> str:
    """Lemma, then stem: "broke"/"break", "children"/"child" meet; snowball alone would not."""
    lower = word.lower()
    if "." in lower:
        lower = lower.replace(".", "")  # "U.S." and "US" are one word
    lower = IRREGULAR.get(lower, lower)
    if language == "english":
        lower = simplemma.lemmatize(lower, lang="en")
    return str(stemmer(language)(lower))


def normalise(text: str) -> str:
    """Chat shorthand expanded, curly apostrophes straightened."""
    text = text.replace("’", "'")
    text = CHAT_RE.sub(lambda m: CHAT[m.group(1).lower()], text)
    for pattern, repl in PHRASES:
        text = pattern.sub(repl, text)
    return text


def tokens(text: str) -> tuple[str, ...]:
    """Words without possessive endings; hyphenated compounds also yield their parts.

    Cached: an article's sentences are tokenised by several readers (terms, people, names).
    """
    return _tokens(text)


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    words = WORD.findall(text)
    if "-" not in text and "'s" not in text and "’s" not in text:
        return tuple(words)  # no word to change (most sentences): the loop below is most of it
    out: list[str] = []
    for w in words:
        if w.endswith(_POSSESSIVE):
            w = w[:-2]
        if "-" in w and not w[0].isdigit():
            out.extend(p for p in w.split("-") if p)
        else:
            out.append(w)
    return tuple(out)


_POSSESSIVE = ("'s", "’s")


def stem_terms(text: str, language: str = "english") -> Counter[str]:
    """The search terms of ``text``: no stop words, no short numbers."""
    out: Counter[str] = Counter()
    dict.update(out, _stem_terms(text, language))  # Counter(mapping) checks types: slow
    return out


def search_terms(text: str) -> Mapping[str, int]:
    """``stem_terms`` of English text, shared: read it, never change it."""
    return _stem_terms(text, "english")


@lru_cache(maxsize=65536)
def _stem_terms(text: str, language: str) -> dict[str, int]:
    """The terms of ``text`` with their counts, in order of first use (cached: an
    article's sentences are read by several of its readers)."""
    out: dict[str, int] = {}
    known = _KNOWN.setdefault(language, {})
    for w in tokens(text):
        # A plain dict in front of the LRU: one lookup by the word alone, no key tuple.
        t = known.get(w, _UNSEEN)
        if t is _UNSEEN:
            if len(known) >= _MAX_KNOWN:
                known.clear()
            t = known[w] = _search_term(w, language)
        if t is not None:
            out[t] = out.get(t, 0) + 1
    return out


_KNOWN: dict[str, dict[str, str | None]] = {}  # language -> word -> its search term
_MAX_KNOWN = 131072
_UNSEEN = ""  # not looked up yet (an empty term, were there one, is only looked up again)


@lru_cache(maxsize=131072)
def _search_term(word: str, language: str) -> str | None:
    """A word's search term, or None for a stop word or a short number."""
    if word.lower() in stop_words(language) or (word.isdigit() and len(word) < W.min_number_digits):
        return None
    return term(word, language)


def clear_text_caches() -> None:
    """Forget the tokens and terms of every text seen (their words' lemmas stay)."""
    _tokens.cache_clear()
    _stem_terms.cache_clear()


@lru_cache(maxsize=65536)
def variants(t: str) -> tuple[tuple[str, float], ...]:
    """The term, its everyday paraphrases and its WordNet synonyms, with how much each counts."""
    out: dict[str, float] = {t: 1.0}
    for alt in (*PARAPHRASES.get(t, ()), *_paraphrases().get(t, ())):
        out.setdefault(term(alt), W.paraphrase)
    for alt in _synonyms().get(t, ()):
        out.setdefault(alt, W.synonym)
    return tuple(out.items())


@lru_cache(maxsize=1)
def _paraphrases() -> dict[str, tuple[str, ...]]:
    """The paraphrase list by the search term of its words too: "capture" finds "captur"."""
    out: dict[str, tuple[str, ...]] = {}
    for word, alts in PARAPHRASES.items():
        out[term(word)] = (*out.get(term(word), ()), *alts)
    return out


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, frozenset[str]]:
    """WordNet's synonyms by search term (read once, when a question first needs them)."""
    by_term: dict[str, set[str]] = {}
    for word, alts in SYNONYMS.items():
        by_term.setdefault(term(word), set()).update(term(a) for a in alts)
    return {t: frozenset(a - {t}) for t, a in by_term.items()}
