"""The shared core in one call: clean an article, summarize it, find its key quotes."""

from __future__ import annotations

from bot.errors import BadInputError
from bot.models import Analysis
from bot.nlp.quotes import extract_quotes, key_quotes
from bot.nlp.summarize import DEFAULT_ALGORITHM, summarize
from bot.nlp.text.article import article_sentences
from bot.nlp.text.clean import clean
from bot.nlp.text.sentences import check_language


def analyze(
    text: str,
    *,
    sentences: int = 3,
    quotes: int = 3,
    algorithm: str = DEFAULT_ALGORITHM,
    language: str = "english",
    title: str | None = None,
) -> Analysis:
    """Summary and key quotes of one article; offsets point into ``text`` as given."""
    language = check_language(language)
    if not text.strip():
        raise BadInputError("the text is empty: give an article to summarize")
    doc = clean(text)
    found = article_sentences(doc, language)
    if not found:
        raise BadInputError("found no sentences in the text: is it an article?")
    title = title or doc.title
    summary = summarize(found, sentences, algorithm, language, title)
    all_quotes = extract_quotes(text, skip=doc.removed)
    return Analysis(
        title=title,
        summary=tuple(summary),
        quotes=tuple(key_quotes(all_quotes, quotes)) if quotes > 0 else (),
        algorithm=algorithm.strip().lower(),
        language=language,
        all_quotes=tuple(all_quotes),
        sentences=tuple(found),
    )
