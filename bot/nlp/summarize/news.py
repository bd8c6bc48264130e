"""The ``news`` summarizer: sumy's model, tuned for how news is written.

Plain centrality (LexRank, TextRank) loses to LEAD-3 on news because
reporters put the story first. This summarizer starts from position, adds
centrality (how much of the rest of the article a sentence speaks for) and
title overlap to pick the best of the opening sentences and to reach for a
later one when it is clearly central, and picks greedily with a soft penalty
for repeating what it already chose. It refuses sentences that cannot stand
alone in a digest: captions, bylines, questions to the reader, and a pronoun
opener whose preceding sentence is not in the summary.

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
# "By Jane Smith, Political Editor", "By . Daily Mail Reporter", but not "By 2010,
# it expects…" or "By Tuesday, the team had…": a byline holds names and titles only.
_NAME_LINE = r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|and|for|in|of|the|at|\|))*"
_BYLINE = re.compile(
    rf"^By\s+(?:\.\s+)?{_NAME_LINE}(?:\s*,\s*{_NAME_LINE})*\s*[.,|]?\s*(?:$|PUBLISHED|UPDATED)"
    r"|(?i:^(?:published:|updated:|last updated|posted\b))|\bPUBLISHED:|\bUPDATED:"
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
# ("Lord of the Rings: The Return of the King"), not a caption, and so does a
# single name before the colon ("the new Avengers: Age of Ultron").
_GLUED_LABEL = re.compile(
    r"(?<![\w'’])(?!(?:of|the|a|an|and|or|for|in|on|at|to|with|by|from)\ )[a-z]\w*[a-z0-9)]"
    r"\ [A-Z][a-z'’-]*(?:\ [a-z][\w'’-]*){1,3}:\ [A-Z]",
    re.VERBOSE,
)
# A question put to the reader ("Would you pay £5 for it?"), not a sentence that
# only starts like one ("Will Smith co-stars alongside… than you can count").
_READER_QUESTION = re.compile(
    r"\b(?:you|your)\b.*\?\s*[\"'”’]?$"
    r"|^(?:what|why|how|do|does|did|would|could|should|can|will|is|are|were|have)\b"
    r"[^.!?]*\byou\b[^.!?]*\?",
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
    """Position + centrality + title overlap, with soft redundancy and stand-alone rules."""

    # Position leads because reporters put the story first (sentence i scores
    # 1 / (1 + i)); centrality and the title decide between the opening
    # sentences and let a clearly central later sentence in.
    position_weight = 1.0
    position_decay = 1.0
    # Centrality: a sentence's summed cosine to every other sentence, over the
    # article's highest (so 1.0 is its most central sentence). A sentence that
    # many others restate is what the article is about; the centroid cosine
    # used before favoured sentences that merely shared its frequent words.
    centrality_weight = 0.4
    centrality_window = 80  # sentences rated for centrality; later ones never win on position
    title_weight = 0.6
    # A digest line should be short; very long "sentences" are often a caption
    # glued to the next sentence. Lose length_weight per ideal_words past it.
    ideal_words = 20
    length_weight = 0.25
    # Redundancy, softly: each pick loses redundancy_weight × its cosine to the
    # most similar sentence already chosen (maximal marginal relevance), so a
    # central sentence that restates the lead gives way to one that adds to it;
    # past redundancy_threshold it is a repeat and never taken.
    redundancy_weight = 0.75
    redundancy_threshold = 0.55
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
        openers = {i for i, s in enumerate(sentences) if _PRONOUN_START.match(str(s))}
        left = [i for i, r in enumerate(ratings) if r > EXCLUDED]
        chosen: list[int] = []
        while len(chosen) < sentences_count:
            best, best_value = -1, EXCLUDED
            for i in left:
                # An opening pronoun reads right only after the sentence it follows.
                if i in openers and i - 1 not in chosen:
                    continue
                overlap = max((_cosine(vectors[i], vectors[j]) for j in chosen), default=0.0)
                if overlap > self.redundancy_threshold:
                    continue
                value = ratings[i] - self.redundancy_weight * overlap
                if value > best_value:
                    best, best_value = i, value
            if best < 0:
                break
            chosen.append(best)
            left.remove(best)
        return tuple(sentences[i] for i in sorted(chosen))

    def _centrality(self, vectors: list[Counter[str]], idf: Mapping[str, float]) -> list[float]:
        """Summed tf-idf cosine of each of the first sentences to all the others, over the max."""
        weighted = [{t: c * idf[t] for t, c in v.items()} for v in vectors]
        norms = [_norm(w) or 1.0 for w in weighted]
        n = len(vectors)
        window = min(n, self.centrality_window)
        degree = [0.0] * n
        for i in range(window):
            wi = weighted[i]
            for j in range(i + 1, n):
                wj = weighted[j]
                a, b = (wi, wj) if len(wi) <= len(wj) else (wj, wi)
                dot = sum(x * b.get(t, 0.0) for t, x in a.items())
                if dot:
                    sim = dot / (norms[i] * norms[j])
                    degree[i] += sim
                    if j < window:
                        degree[j] += sim
        top = max(degree[:window], default=0.0)
        return [d / top if top > 0 else 0.0 for d in degree]

    def rate_sentences(self, document: ObjectDocumentModel) -> list[float]:
        sentences = document.sentences
        n = len(sentences)
        vectors = [self._terms(s) for s in sentences]
        df: Counter[str] = Counter()
        for v in vectors:
            df.update(v.keys())
        idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        centrality = self._centrality(vectors, idf)
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
            score: float = (
                self.position_weight * (1 + i) ** -self.position_decay
                + self.centrality_weight * centrality[i]
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
