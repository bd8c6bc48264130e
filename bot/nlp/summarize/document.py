"""One place that hides sumy's document model (its stemmer and stop words: bot.nlp.lexicon)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sumy.models.dom import ObjectDocumentModel, Paragraph
from sumy.models.dom import Sentence as SumySentence

from bot.models import Sentence
from bot.nlp.text.sentences import SumyTokenizer


@cache
def tokenizer(language: str) -> SumyTokenizer:
    return SumyTokenizer(language)


def build_document(
    sentences: Sequence[Sentence], language: str, title: str | None = None
) -> tuple[ObjectDocumentModel, dict[int, Sentence]]:
    """A sumy document over our sentences, and the way back from sumy's objects.

    We build sumy's model from sentences we already split (with offsets)
    instead of letting sumy's parser split the text again.
    """
    tok = tokenizer(language)
    back: dict[int, Sentence] = {}
    paragraphs: list[Paragraph] = []
    if title:
        paragraphs.append(Paragraph([SumySentence(title, tok, is_heading=True)]))
    current: list[SumySentence] = []
    current_para = sentences[0].paragraph if sentences else 0
    for s in sentences:
        if s.paragraph != current_para and current:
            paragraphs.append(Paragraph(current))
            current = []
            current_para = s.paragraph
        ss = SumySentence(s.text, tok)
        back[id(ss)] = s
        current.append(ss)
    if current:
        paragraphs.append(Paragraph(current))
    return ObjectDocumentModel(paragraphs), back
