"""One article's CPU work, from a page or a feed item's text to what is stored.

Extraction (trafilatura), cleaning and analysis (summary, quotes) are pure and take
nearly all of an ingest's CPU, so they run in worker processes
(:mod:`bot.news.pool`) where the GIL does not serialise them. ``prepare`` takes and
returns plain picklable values, and never raises: an error comes back as a
``Prepared`` that says which stage failed and why, so one article's failure is that
article's report row only.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from bot.errors import NewsbriefError
from bot.news.extract import Extracted, extract_article
from bot.news.items import host, stand_in_title
from bot.nlp.analyze import analyze
from bot.nlp.text.safe import clean_line, clean_text
from bot.store import analysis_payload
from bot.store.store import content_hash
from bot.urls import web_link


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleJob:
    """What ``prepare`` needs: a fetched page to extract, or a feed item's own text
    already made an ``Extracted`` (``extracted``), plus the item's own fields."""

    extracted: Extracted | None = None
    html: str | None = None  # the page, when ``extracted`` is None
    page_url: str | None = None  # the page's (redacted) URL, for extraction
    fallback_text: str | None = None  # the item's own text, if the page has less
    title: str | None = None  # the feed item's title, preferred to the page's
    author: str | None = None  # the feed item's author, preferred to the page's
    published: datetime | None = None  # the feed item's date, preferred to the page's
    url: str | None = None  # the item's link: the site's name when the page has none
    stored_hash: str | None = None  # what the store holds for this item ("ok" rows)


PreparedStatus = Literal["ok", "no_article", "unchanged", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """An ``ArticleJob`` done: the article's stored fields, or why there are none."""

    status: PreparedStatus
    title: str | None = None
    text: str | None = None
    author: str | None = None
    site: str | None = None
    published: datetime | None = None
    analysis: dict[str, Any] | None = None  # analysis_payload(...)
    # no_article: why; ok: why the feed's text was used instead of the page; failed: the error
    reason: str | None = None
    page_title: str | None = None  # the extracted title as found (a page source keeps it)
    failed_in: Literal["extract", "analyse"] | None = None
    unexpected: str | None = None  # the traceback of an error that is not ours (a bug)
    extract_s: float = 0.0
    analyse_s: float = 0.0


def prepare(job: ArticleJob) -> Prepared:
    """Extract (unless the job carries the text), clean, title, and analyse unless the
    store already holds the same content (``job.stored_hash``)."""
    started = time.perf_counter()
    try:
        extracted = job.extracted or extract_article(
            job.html or "",
            job.page_url,
            fallback_text=job.fallback_text,
            fallback_title=job.title,
        )
    except Exception as exc:
        return _failed(exc, "extract", time.perf_counter() - started)
    extract_s = time.perf_counter() - started
    title = clean_line(job.title or extracted.title or "") or None
    title = title or stand_in_title(extracted.text)
    if not extracted.ok:
        return Prepared(
            status="no_article",
            title=title,
            reason=extracted.reason or "no article on the page",
            page_title=extracted.title,
            extract_s=extract_s,
        )
    text = clean_text(extracted.text)
    if job.stored_hash is not None and content_hash(title, text) == job.stored_hash:
        # Stored already with this content: the analysis is skipped, not just the write.
        return Prepared(
            status="unchanged", title=title, page_title=extracted.title, extract_s=extract_s
        )
    started = time.perf_counter()
    try:
        analysis = stored_analysis(text, title)
    except Exception as exc:
        failed = _failed(exc, "analyse", time.perf_counter() - started, extract_s, title)
        if extracted.source == "feed" and extracted.reason:
            # The page failed and the feed's own words ("Comments") are no article: the
            # page's failure is the reason to tell, not only what the analysis found.
            return replace(
                failed, reason=f"{extracted.reason}; the feed's own text: {failed.reason}"
            )
        return failed
    author = job.author or extracted.author
    return Prepared(
        status="ok",
        title=title,
        text=text,
        author=clean_line(author) or None if author else None,
        site=clean_line(extracted.site or host(web_link(job.url)) or "") or None,
        published=job.published or extracted.published,
        analysis=analysis,
        # A feed's own text stored instead of its page: say why (a refused link, an error).
        reason=extracted.reason if extracted.source == "feed" else None,
        page_title=extracted.title,
        extract_s=extract_s,
        analyse_s=time.perf_counter() - started,
    )


def stored_analysis(text: str, title: str | None) -> dict[str, Any]:
    """The analysis ingest stores with an article (``analysis_payload``), the people it
    names counted too: follow-up answers then read them from the row."""
    # Imported here: the answerer's modules load in the ingest workers, not in every
    # command that imports this module.
    from bot.nlp.answers.referents import stored_names

    analysis = analyze(text, title=title)
    named = stored_names(analysis.sentences, analysis.all_quotes)
    return analysis_payload(analysis, named=named)


def _failed(
    exc: Exception,
    stage: Literal["extract", "analyse"],
    seconds: float,
    extract_s: float = 0.0,
    title: str | None = None,
) -> Prepared:
    """An error as a value: ours with its message, anything else with its traceback."""
    ours = isinstance(exc, NewsbriefError)
    return Prepared(
        status="failed",
        title=title,
        reason=str(exc) if ours else f"unexpected error: {exc!r}",
        failed_in=stage,
        unexpected=None if ours else traceback.format_exc(),
        extract_s=extract_s if stage == "analyse" else seconds,
        analyse_s=seconds if stage == "analyse" else 0.0,
    )
