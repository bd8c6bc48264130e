"""From raw article text to the sentences the summarizer and answers work on."""

from __future__ import annotations

from bot.models import Sentence
from bot.nlp.text.clean import INLINE_FURNITURE, CleanText, is_furniture
from bot.nlp.text.sentences import split_spans

_MAX_SENTENCE_CHARS = 2_000  # a "sentence" longer than this is a table or a dump


def _trim_furniture(text: str, start: int, end: int) -> tuple[int, int]:
    """Cut furniture that a scraper glued to the front or back of a sentence."""
    changed = True
    while changed and start < end:
        changed = False
        m = INLINE_FURNITURE.match(text, start, end)
        if m and m.end() > start:
            start = m.end()
            while start < end and not text[start].isalnum() and text[start] not in "“‘\"'(":
                start += 1
            changed = True
    return start, end


def article_sentences(doc: CleanText, language: str = "english") -> list[Sentence]:
    """Sentences of the article body, located in the original text."""
    out: list[Sentence] = []
    text = doc.text
    for pi, (bs, be) in enumerate(doc.blocks):
        for s, e in split_spans(text[bs:be], language):
            start, end = _trim_furniture(text, bs + s, bs + e)
            chunk = text[start:end]
            if not any(c.isalpha() for c in chunk) or is_furniture(chunk):
                continue
            if end - start > _MAX_SENTENCE_CHARS:
                continue
            out.append(Sentence(text=chunk, start=start, end=end, index=len(out), paragraph=pi))
    return out
