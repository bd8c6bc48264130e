"""What goes in and out of the answerer: the thread's articles, the answer, a past turn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.models import Quote, Sentence

# The full names an article gives, as ingest counted them: the counting rule's mark, then
# (name, sentences naming it) pairs (``referents.stored_names``).
Named = tuple[int, tuple[tuple[str, int], ...]]


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """One article of a thread.

    ``sentences`` and ``quotes``, when given, are the article's analysis as ingest
    already computed it (offsets into ``text``); the answerer then does not clean,
    split or extract again. ``None`` means "work them out from ``text``".
    """

    id: str
    text: str
    url: str | None = None
    title: str | None = None
    sentences: tuple[Sentence, ...] | None = None
    quotes: tuple[Quote, ...] | None = None
    # The full names it gives, counted at ingest. None: counted when a question needs them.
    named: Named | None = None

    @classmethod
    def from_analysis(
        cls,
        id: str,
        text: str,
        analysis: Mapping[str, Any] | None,
        *,
        url: str | None = None,
        title: str | None = None,
    ) -> SourceArticle:
        """An article with what its stored analysis (``analysis_payload``) already holds.

        The payload has every quote (``all_quotes``) and, since ingest stores them,
        every sentence (``sentences``); a row stored before that is split again. A
        payload that doesn't fit ``text`` is ignored: the article is analysed from scratch.
        """
        quotes = _stored_quotes(analysis, text)
        sentences = _stored_sentences(analysis, text) if quotes is not None else None
        named = _stored_named(analysis) if sentences is not None else None
        return cls(
            id=id, text=text, url=url, title=title, sentences=sentences, quotes=quotes, named=named
        )


def _stored_quotes(analysis: Mapping[str, Any] | None, text: str) -> tuple[Quote, ...] | None:
    raw = (analysis or {}).get("all_quotes")
    if not isinstance(raw, list):
        return None  # stored before ingest kept every quote
    try:
        quotes = tuple(
            Quote(
                text=str(q["text"]),
                speaker=q.get("speaker"),
                cue=q.get("cue"),
                partial=bool(q.get("partial")),
                span=(int(q["span"][0]), int(q["span"][1])),
                speaker_span=(
                    (int(q["speaker_span"][0]), int(q["speaker_span"][1]))
                    if q.get("speaker_span")
                    else None
                ),
            )
            for q in raw
        )
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    if not all(_fits(text, q.span[0], q.span[1], q.text[:1]) for q in quotes):
        return None
    return quotes


def _stored_sentences(analysis: Mapping[str, Any] | None, text: str) -> tuple[Sentence, ...] | None:
    raw = (analysis or {}).get("sentences")
    if not isinstance(raw, list) or (analysis or {}).get("language") != "english":
        return None  # the answerer splits English; other payloads are split again
    try:
        sentences = tuple(
            Sentence(
                text=str(s["text"]),
                start=int(s["start"]),
                end=int(s["end"]),
                index=int(s["index"]),
                paragraph=int(s["paragraph"]),
            )
            for s in raw
        )
    except (KeyError, TypeError, ValueError):
        return None
    if not all(_fits(text, s.start, s.end, s.text[:1]) for s in sentences):
        return None
    return sentences


def _stored_named(analysis: Mapping[str, Any] | None) -> Named | None:
    raw = (analysis or {}).get("named")
    if not isinstance(raw, dict) or not isinstance(raw.get("counts"), dict):
        return None  # stored before ingest counted them
    counts = raw["counts"]
    if not all(isinstance(k, str) and type(v) is int for k, v in counts.items()):
        return None
    rule = raw.get("rule")
    return (rule, tuple(counts.items())) if type(rule) is int else None


def _fits(text: str, start: int, end: int, first: str) -> bool:
    """Whether a stored span lies in ``text`` and begins with the character it recorded."""
    return 0 <= start <= end <= len(text) and text[start : start + len(first)] == first


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    text: str
    article_id: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    sentences: tuple[AnswerSentence, ...]
    confident: bool
    kind: str
    subject: str | None = None  # the person the question was about, for follow-ups
    links: tuple[tuple[str, str | None], ...] = ()  # (title, url) offered when unsure

    def to_record(self) -> dict[str, Any]:
        """What a thread remembers of an answer, for follow-ups after a restart."""
        return {
            "text": self.text,
            "confident": self.confident,
            "kind": self.kind,
            "subject": self.subject,
            "sentences": [
                {"text": s.text, "article_id": s.article_id, "url": s.url} for s in self.sentences
            ],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Answer:
        return cls(
            text=str(record.get("text", "")),
            sentences=tuple(
                AnswerSentence(str(s["text"]), str(s["article_id"]), s.get("url"))
                for s in record.get("sentences", [])
            ),
            confident=bool(record.get("confident")),
            kind=str(record.get("kind", "other")),
            subject=record.get("subject"),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "answer": self.text,
            "sentences": [
                {"text": s.text, "article_id": s.article_id, "url": s.url} for s in self.sentences
            ],
            "confident": self.confident,
        }


@dataclass(frozen=True, slots=True)
class Turn:
    question: str
    answer: Answer


def unsure(
    message: str,
    links: tuple[tuple[str, str | None], ...],
    *,
    kind: str = "other",
    subject: str | None = None,
) -> Answer:
    """An answer that says we don't know, with the sources to read instead."""
    return Answer(
        text=message, sentences=(), confident=False, kind=kind, subject=subject, links=links
    )
