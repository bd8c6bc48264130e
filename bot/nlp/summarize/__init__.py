"""Extractive summaries: every sumy algorithm by name, plus the news-tuned default.

The names are a plain tuple and sumy is imported only when a summary is made:
``newsbrief --help`` lists the choices without loading sumy, nltk and numpy (about
a third of a second), nor bot.nlp.text.sentences, whose patterns compile on import.
``tests/test_startup.py`` checks that the names match the registered summarizers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.errors import NewsbriefError

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

    from bot.models import Sentence

DEFAULT_ALGORITHM = "news"

# sumy's summarizers by name, in the order the CLI lists them (sumy_summarizers below).
SUMY_ALGORITHMS: tuple[str, ...] = (
    "lexrank",
    "lsa",
    "textrank",
    "luhn",
    "edmundson",
    "sumbasic",
    "kl",
    "reduction",
)
ALGORITHMS: tuple[str, ...] = (DEFAULT_ALGORITHM, *SUMY_ALGORITHMS)

# The graph and matrix methods (LexRank, TextRank, Reduction, LSA) grow with
# the square of the sentence count or worse; past this many sentences we keep
# the most central ones by a linear-time score before handing them to sumy.
MAX_GRAPH_SENTENCES = 200
# sumy's KL re-scores every remaining sentence against the growing summary with
# full word-distribution passes: ~0.9 s at 100 sentences, ~2.7 s at 200. A
# tighter cap keeps it usable on long articles.
MAX_SENTENCES = {"kl": 60}


class UnknownAlgorithmError(NewsbriefError):
    pass


@cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries numpy loaded (``_make`` imported sumy), found once (~4 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while sumy runs. Its matrices are a few hundred sentences
    wide at most, too small for threads to pay: OpenBLAS's default (a thread per core)
    made LSA 1.7x slower in wall time on an idle 2-core machine and 3-5x on a busy one,
    for the same CPU time, and an ingest runs one summarizer per core already. Limited
    around the call (24 us), not for the whole process, with threadpoolctl since numpy
    is loaded by then and OPENBLAS_NUM_THREADS is read only when it loads."""
    with _blas().limit(limits=1, user_api="blas"):
        yield


@cache
def sumy_summarizers() -> dict[str, Callable[..., Any]]:
    """sumy's summarizer classes by name (SUMY_ALGORITHMS), imported on first use."""
    from sumy.summarizers.edmundson import EdmundsonSummarizer
    from sumy.summarizers.kl import KLSummarizer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.reduction import ReductionSummarizer
    from sumy.summarizers.sum_basic import SumBasicSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer

    return {
        "lexrank": LexRankSummarizer,
        "lsa": LsaSummarizer,
        "textrank": TextRankSummarizer,
        "luhn": LuhnSummarizer,
        "edmundson": EdmundsonSummarizer,
        "sumbasic": SumBasicSummarizer,
        "kl": KLSummarizer,
        "reduction": ReductionSummarizer,
    }


def _make(algorithm: str, language: str, title: str | None) -> Any:
    from bot.nlp.lexicon import stemmer, stop_words
    from bot.nlp.summarize.news import NewsSummarizer
    from bot.nlp.text.sentences import words

    stem = stemmer(language)
    stops = stop_words(language)
    if algorithm == DEFAULT_ALGORITHM:
        return NewsSummarizer(stem, stops)
    summarizer = sumy_summarizers()[algorithm](stem)
    if algorithm == "edmundson":
        # Edmundson needs word lists; the title's words are the natural bonus.
        summarizer.null_words = stops
        summarizer.bonus_words = [w for w in words(title or "") if w.lower() not in stops] or [
            "said"
        ]
        summarizer.stigma_words = ["advertisement", "subscribe", "click"]
    elif hasattr(summarizer, "stop_words"):
        summarizer.stop_words = stops
    return summarizer


def _prefilter(sentences: Sequence[Sentence], limit: int) -> list[Sentence]:
    """Keep ``limit`` sentences: the opening ones plus the most central by word
    frequency, in article order. Linear in the text size."""
    from bot.nlp.text.sentences import words

    freq: Counter[str] = Counter(w.lower() for s in sentences for w in words(s.text))

    def centrality(s: Sentence) -> float:
        ws = words(s.text)
        return sum(math.log1p(freq[w.lower()]) for w in ws) / (len(ws) + 1)

    head = list(sentences[: limit // 4])
    rest = sorted(sentences[limit // 4 :], key=centrality, reverse=True)[: limit - len(head)]
    return sorted(head + rest, key=lambda s: s.index)


def summarize(
    sentences: Sequence[Sentence],
    count: int = 3,
    algorithm: str = DEFAULT_ALGORITHM,
    language: str = "english",
    title: str | None = None,
) -> list[Sentence]:
    """The ``count`` best sentences, in article order."""
    algorithm = algorithm.strip().lower()
    if algorithm not in ALGORITHMS:
        raise UnknownAlgorithmError(
            f"unknown algorithm {algorithm!r}; choose one of: " + ", ".join(ALGORITHMS)
        )
    from bot.nlp.text.sentences import check_language

    language = check_language(language)
    if count <= 0 or not sentences:
        return []
    cap = MAX_SENTENCES.get(algorithm, MAX_GRAPH_SENTENCES)
    if len(sentences) > cap:
        sentences = _prefilter(sentences, cap)
    from bot.nlp.summarize.document import build_document

    document, back = build_document(sentences, language, title)
    summarizer = _make(algorithm, language, title)  # sumy, nltk and numpy are loaded now
    with _one_blas_thread():
        chosen = summarizer(document, count)
    return sorted((back[id(s)] for s in chosen), key=lambda s: s.index)
