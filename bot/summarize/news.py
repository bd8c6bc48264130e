"""The ``news`` summarizer: sumy's model, tuned for how news is written.

Plain centrality (LexRank, TextRank) loses to LEAD-3 on news because
reporters put the story first. This summarizer starts from position, adds
centrality and title overlap to pick the best of the opening sentences and to
reach for a later one when it is clearly central, controls redundancy, and
refuses sentences that cannot stand alone in a digest.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from sumy.models.dom import ObjectDocumentModel
from sumy.models.dom import Sentence as SumySentence
from sumy.summarizers._summarizer import AbstractSummarizer

_PRONOUN_START = re.compile(
    r"^[\"'“‘(]*(?:he|she|they|his|her|their|him|them|it|its|this|these|those|that|such)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)+\b")
_BYLINE = re.compile(
    r"^(?:by\b|published:|updated:|last updated|posted\b)|\bPUBLISHED:|\bUPDATED:", re.IGNORECASE
)
_CAPTION = re.compile(
    r"\b(?:pictured|photographed|\(pictured\)|\((?:left|right|centre|center|above|below|top|bottom)\))",
    re.IGNORECASE,
)
_READER_QUESTION = re.compile(
    r"\b(?:you|your)\b.*\?\s*[\"'”’]?$|^(?:what|why|how|do|did|would|could|should|is|are)\b.*\byou\b",
    re.IGNORECASE,
)


class NewsSummarizer(AbstractSummarizer):  # type: ignore[misc]
    """Position + centrality + title overlap, with MMR and stand-alone rules."""

    position_weight = 1.0
    centrality_weight = 0.6
    title_weight = 0.4
    redundancy_threshold = 0.55
    min_words = 6
    max_words = 70

    def __init__(self, stemmer: object, stop_words: frozenset[str] = frozenset()) -> None:
        super().__init__(stemmer)
        self._stop_words = frozenset(w.lower() for w in stop_words)

    def _terms(self, sentence: SumySentence) -> Counter[str]:
        return Counter(
            self.stem_word(w)
            for w in sentence.words
            if w.lower() not in self._stop_words and any(c.isalpha() for c in w)
        )

    def __call__(
        self, document: ObjectDocumentModel, sentences_count: int
    ) -> tuple[SumySentence, ...]:
        sentences = document.sentences
        if not sentences or sentences_count <= 0:
            return ()
        ratings = self.rate_sentences(document)
        chosen: list[int] = []
        vectors = [self._terms(s) for s in sentences]
        order = sorted(range(len(sentences)), key=lambda i: ratings[i], reverse=True)
        named = False
        for i in order:
            if len(chosen) >= sentences_count:
                break
            if ratings[i] <= -1e6:
                break
            if any(_cosine(vectors[i], vectors[j]) > self.redundancy_threshold for j in chosen):
                continue
            chosen.append(i)
        # An opening pronoun is fine only if the summary has already named
        # someone before it (in article order).
        chosen.sort()
        final: list[int] = []
        for i in chosen:
            text = str(sentences[i])
            if _PRONOUN_START.match(text) and not named:
                continue
            if _NAME.search(text):
                named = True
            final.append(i)
        if len(final) < sentences_count:
            for i in order:
                if len(final) >= sentences_count:
                    break
                if i in final or ratings[i] <= -1e6 or _PRONOUN_START.match(str(sentences[i])):
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
        centroid: Counter[str] = Counter()
        for v in vectors:
            for t, c in v.items():
                centroid[t] += c * idf[t]
        title_terms: Counter[str] = Counter()
        for h in document.headings:
            title_terms.update(self._terms(h))
        ratings: list[float] = []
        for i, (s, v) in enumerate(zip(sentences, vectors, strict=True)):
            words = len(s.words)
            text = str(s)
            if (
                words < self.min_words
                or words > self.max_words
                or _BYLINE.search(text)
                or _CAPTION.search(text)
                or _READER_QUESTION.search(text)
            ):
                ratings.append(-1e9)
                continue
            weighted = Counter({t: c * idf[t] for t, c in v.items()})
            cent = _cosine(weighted, centroid)
            title = _cosine(v, title_terms) if title_terms else 0.0
            pos = 1.0 / math.sqrt(1 + i)
            ratings.append(
                self.position_weight * pos
                + self.centrality_weight * cent
                + self.title_weight * title
            )
        return ratings


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
