"""Each sentence's search terms, worked out at ingest and stored with the analysis.

A thread's first question would otherwise tokenise and stem all its articles' sentences
(half its time). What was stored is used only while it is what ``stem_terms`` would
give now: its version is ``TERMS_VERSION`` with a fingerprint of the word lists,
settings and libraries ``term()`` reads, so an edited list or an upgraded lemmatiser
makes old rows fall back to stemming their sentences again, as before.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import metadata
from typing import Any

from bot.models import Sentence
from bot.nlp.answers.terms import TERMS_VERSION, stem_terms
from bot.nlp.answers.vocab import IRREGULAR
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.lexicon import stop_words

KEY = "terms"  # the analysis payload's key
LANGUAGE = "english"  # the only language the answerer reads stored sentences of


@cache
def terms_version() -> str:
    """``TERMS_VERSION`` and what else decides a word's term (lists, settings, libraries)."""
    parts = [
        str(TERMS_VERSION),
        repr(sorted(IRREGULAR.items())),
        repr(sorted(stop_words(LANGUAGE))),
        str(W.min_number_digits),
        *(f"{lib}={_version(lib)}" for lib in ("simplemma", "nltk", "sumy")),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return f"{TERMS_VERSION}:{digest}"


def _version(lib: str) -> str:
    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        return "?"


def terms_payload(sentences: Sequence[Sentence]) -> dict[str, Any] | None:
    """The sentences' terms to store: each sentence's terms, space-separated, each as
    often as it counts, in order of first use. None if a term would not survive that."""
    out: list[str] = []
    for s in sentences:
        counts = stem_terms(s.text, LANGUAGE)
        if any(not t or any(c.isspace() for c in t) for t in counts):
            return None
        out.append(" ".join(t for t, n in counts.items() for _ in range(n)))
    return {"version": terms_version(), "sentences": out}


def stored_terms(
    analysis: Mapping[str, Any] | None, sentences: Sequence[Sentence]
) -> tuple[str, ...] | None:
    """The stored terms of these (stored) sentences, or None: none stored, another
    version, or not one entry per sentence."""
    raw = (analysis or {}).get(KEY)
    if not isinstance(raw, dict) or raw.get("version") != terms_version():
        return None
    found = raw.get("sentences")
    if not isinstance(found, list) or len(found) != len(sentences):
        return None
    if not all(isinstance(t, str) for t in found):
        return None
    return tuple(found)


def as_counts(stored: str) -> Counter[str]:
    """A stored sentence's terms as ``stem_terms`` gives them (same counts, same order)."""
    return Counter(stored.split())
