"""The ``news`` summarizer: sumy's model, tuned for how news is written.

Plain centrality (LexRank, TextRank) loses to LEAD-3 on news because
reporters put the story first. This summarizer starts from position, adds
centrality and title overlap to pick the best of the opening sentences and to
reach for a later one when it is clearly central, controls redundancy, and
refuses sentences that cannot stand alone in a digest.

Tuned with ``bench/summaries_rouge.py`` (CNN/DailyMail dev, BBC News Summary);
the parameters are few on purpose and each has a reason given below.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from functools import lru_cache

from sumy.models.dom import ObjectDocumentModel
from sumy.models.dom import Sentence as SumySentence
from sumy.summarizers._summarizer import AbstractSummarizer

EXCLUDED = -1e9
"""Rating of a sentence that must never be in a summary."""

_PRONOUN_START = re.compile(
    r"^[\"'“‘(]*(?:he|she|they|his|her|their|him|them|it|its|this|these|those|that|such)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)+\b")
_BYLINE = re.compile(
    r"^(?:by\b|published:|updated:|last updated|posted\b)|\bPUBLISHED:|\bUPDATED:", re.IGNORECASE
)
_CAPTION = re.compile(
    r"\b(?:pictured|photographed|seen\ here)\b"
    r"|\((?:(?:far|second|top|bottom|front|back)\ )?"
    r"(?:left|right|centre|center|middle|above|below|top|bottom|inset|circled)"
    r"(?:\ (?:and|to)\ (?:left|right))?\)"
    r"|\((?:file|stock)\ (?:photo|picture|image|pic)\)",
    re.IGNORECASE | re.VERBOSE,
)
# Daily Mail style captions open with a short label: "Sharp dresser: The
# 54-year-old...", "WANTED: ...". Title-case labels ("Bridget Jones: The Edge
# of Reason", a transcript's "Joy Smith:") are names and titles, not captions.
_CAPTION_LABEL = re.compile(
    r"^[\"“‘']?(?:[A-Z][a-z'’-]*(?:\ [a-z][\w'’-]*){0,3}|[A-Z][A-Z'’\ -]{2,40}):\ [A-Z]", re.VERBOSE
)
# The same label glued after the text it follows: "...the magazine Happy
# couple: Julia's husband...". A preceding function word means a title
# ("Lord of the Rings: The Return of the King"), not a caption.
_GLUED_LABEL = re.compile(
    r"(?<![\w'’])(?!(?:of|the|a|an|and|or|for|in|on|at|to|with|by|from)\ )[a-z]\w*[a-z0-9)]"
    r"\ [A-Z][a-z'’-]*(?:\ [a-z][\w'’-]*){0,3}:\ [A-Z]",
    re.VERBOSE,
)
_READER_QUESTION = re.compile(
    r"\b(?:you|your)\b.*\?\s*[\"'”’]?$"
    r"|^(?:what|why|how|do|does|did|would|could|should|can|will|is|are|were|have)\b.*\byou\b",
    re.IGNORECASE,
)


def is_caption_or_byline(text: str) -> bool:
    """True for a photo caption, a byline or a question to the reader."""
    return bool(
        _BYLINE.search(text)
        or _CAPTION.search(text)
        or _CAPTION_LABEL.match(text)
        or _GLUED_LABEL.search(text)
        or _READER_QUESTION.search(text)
    )


@lru_cache(maxsize=16)
def _lowered(words: frozenset[str]) -> frozenset[str]:
    return frozenset(w.lower() for w in words)


@lru_cache(maxsize=1 << 17)
def _stem(stemmer: Callable[[str], str], word: str) -> str:
    """Snowball stemming is most of the summarizer's time; words repeat a lot."""
    return stemmer(word)


class NewsSummarizer(AbstractSummarizer):  # type: ignore[misc]
    """Position + centrality + title overlap, with MMR and stand-alone rules."""

    # Weights of the three signals. Position dominates because reporters put
    # the story first; centrality and the title decide between the opening
    # sentences and let a clearly central later sentence in.
    position_weight = 1.0
    centrality_weight = 0.4
    title_weight = 0.6
    position_decay = 1.0  # sentence i scores 1 / (1 + i): the harmonic lead prior
    # A digest line should be short; very long "sentences" are often a caption
    # glued to the next sentence. Lose length_weight per ideal_words past it.
    ideal_words = 20
    length_weight = 0.2
    redundancy_threshold = 0.55  # cosine above which a candidate repeats a chosen one
    min_words = 6
    max_words = 70

    def __init__(
        self, stemmer: Callable[[str], str], stop_words: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(stemmer)
        self._stop_words = _lowered(stop_words)
        self._raw_stemmer = stemmer
        self._vectors: dict[int, Counter[str]] = {}

    def _terms(self, sentence: SumySentence) -> Counter[str]:
        key = id(sentence)
        cached = self._vectors.get(key)
        if cached is None:
            cached = Counter(
                _stem(self._raw_stemmer, w.lower())
                for w in sentence.words
                if w.lower() not in self._stop_words and any(c.isalpha() for c in w)
            )
            self._vectors[key] = cached
        return cached

    def __call__(
        self, document: ObjectDocumentModel, sentences_count: int
    ) -> tuple[SumySentence, ...]:
        sentences = document.sentences
        if not sentences or sentences_count <= 0:
            return ()
        ratings = self.rate_sentences(document)
        vectors = [self._terms(s) for s in sentences]
        order = sorted(range(len(sentences)), key=lambda i: ratings[i], reverse=True)
        chosen: list[int] = []
        for i in order:
            if len(chosen) >= sentences_count or ratings[i] <= EXCLUDED:
                break
            if any(_cosine(vectors[i], vectors[j]) > self.redundancy_threshold for j in chosen):
                continue
            chosen.append(i)
        # An opening pronoun is fine only if the summary has already named
        # someone before it (in article order).
        chosen.sort()
        final: list[int] = []
        named = False
        for i in chosen:
            text = str(sentences[i])
            if _PRONOUN_START.match(text) and not named:
                continue
            if _NAME.search(text):
                named = True
            final.append(i)
        if len(final) < sentences_count:
            for i in order:
                if len(final) >= sentences_count or ratings[i] <= EXCLUDED:
                    break
                if i in final or _PRONOUN_START.match(str(sentences[i])):
                    continue
                if any(_cosine(vectors[i], vectors[j]) > self.redundancy_threshold for j in final):
                    continue
                final.append(i)
        return tuple(sentences[i] for i in sorted(final))

    def rate_sentences(self, document: ObjectDocumentModel) -> list[float]:
        sentences = document.sentences
        n = len(sentences)
        vectors = [self._terms(s) for s in sentences]
        df: Counter[str] = Counter()
        for v in vectors:
            df.update(v.keys())
        idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        centroid: dict[str, float] = {}
        for v in vectors:
            for t, c in v.items():
                centroid[t] = centroid.get(t, 0.0) + c * idf[t]
        centroid_norm = _norm(centroid)
        title_terms: Counter[str] = Counter()
        for h in document.headings:
            title_terms.update(self._terms(h))
        ratings: list[float] = []
        for i, (s, v) in enumerate(zip(sentences, vectors, strict=True)):
            words = len(s.words)
            text = str(s)
            if words < self.min_words or words > self.max_words or is_caption_or_byline(text):
                ratings.append(EXCLUDED)
                continue
            weighted = {t: c * idf[t] for t, c in v.items()}
            dot = sum(w * centroid[t] for t, w in weighted.items())  # every t is in it
            centrality = dot / (_norm(weighted) * centroid_norm) if dot else 0.0
            score: float = (
                self.position_weight * (1 + i) ** -self.position_decay
                + self.centrality_weight * centrality
                + (self.title_weight * _cosine(v, title_terms) if title_terms else 0.0)
            )
            if words > self.ideal_words:
                score -= self.length_weight * (words - self.ideal_words) / self.ideal_words
            ratings.append(score)
        return ratings


def _norm(v: Mapping[str, float]) -> float:
    return math.sqrt(sum(c * c for c in v.values()))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(c * b.get(t, 0) for t, c in a.items())
    if not dot:
        return 0.0
    na = math.sqrt(sum(c * c for c in a.values()))
    nb = math.sqrt(sum(c * c for c in b.values()))
    return float(dot / (na * nb))
