"""What goes into the store and what comes out of it.

Frozen dataclasses, like ``bot.models``: results cross threads (the store is
synchronous and callers run it with ``asyncio.to_thread``) and are compared in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from bot.models import Analysis, ArticleStatus
from bot.urls import redact_url

UpsertStatus = Literal["new", "updated", "duplicate"]
# feed: polled; opml: a list of feeds, polled for new ones; page: one article, read
# once; local: a file the operator ingested, or the bundled sample (never fetched).
SourceKind = Literal["feed", "opml", "page", "local"]


def analysis_payload(analysis: Analysis, *, named: dict[str, Any] | None = None) -> dict[str, Any]:
    """What is stored with an article: ``Analysis.to_json()`` plus every quote and
    sentence, and ``named``, the people it names (``referents.stored_names``).

    Computed once at ingest, so a brief renders from the row without running the NLP.
    """
    payload = analysis.to_json()
    if named is not None:
        payload["named"] = named
    payload["all_quotes"] = [q.to_json() for q in analysis.all_quotes]
    # Every sentence (with its offsets), so follow-up answers need not split the text again.
    payload["sentences"] = [
        {"text": s.text, "start": s.start, "end": s.end, "index": s.index, "paragraph": s.paragraph}
        for s in analysis.sentences
    ]
    return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class ArticleRecord:
    """One fetched article (or a page that turned out not to be one)."""

    url: str
    guid: str | None = None
    # The source it came through (``Store.save_feed``'s id). None: stored directly by the
    # operator's own code, and so one of the operator's (shared) articles.
    feed_id: int | None = None
    title: str | None = None
    text: str | None = None
    author: str | None = None
    site: str | None = None
    published: datetime | None = None  # aware; naive is taken as UTC; None: fetch time
    status: ArticleStatus = "ok"
    analysis: dict[str, Any] | None = None  # analysis_payload(...); ignored unless "ok"


@dataclass(frozen=True, slots=True)
class UpsertOutcome:
    status: UpsertStatus
    article_id: int
    cluster_id: int | None  # None for "no_article" rows, which are never clustered


@dataclass(frozen=True, slots=True)
class StorySource:
    """One outlet's article within a story cluster."""

    article_id: int
    title: str | None
    url: str
    site: str | None
    published: datetime


@dataclass(frozen=True, slots=True)
class StoredQuote:
    text: str
    speaker: str | None


@dataclass(frozen=True, slots=True)
class StoryHit:
    """One story for a brief: the best article of a cluster plus its first source links."""

    cluster_id: int
    headline: str  # the representative article's title
    article_id: int  # the representative: best-ranked member for the query
    summary: tuple[str, ...]
    quote: StoredQuote | None
    # The first members, oldest first (``MAX_STORY_SOURCES``, and the representative)
    sources: tuple[StorySource, ...]
    score: float
    published: datetime  # the representative's
    more_sources: int = 0  # members not in ``sources``: a wire story many feeds carry


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: int
    url: str
    canonical_url: str
    guid: str | None
    feed_id: int | None
    title: str | None
    text: str | None
    author: str | None
    site: str | None
    published: datetime
    fetched_at: datetime
    updated_at: datetime
    status: ArticleStatus
    analysis: dict[str, Any] | None
    cluster_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedState:
    """Polling state of one source, read before a poll and saved after it.

    ``url`` is the full URL, credentials and all: fetch with it, never show or log it
    (it is left out of the repr); ``shown`` is the form that may be.
    """

    url: str = field(repr=False)
    id: int | None = field(default=None, compare=False)  # None until saved
    kind: SourceKind = "feed"
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_polled: datetime | None = None
    next_poll: datetime | None = None
    poll_interval_s: int = 900
    consecutive_failures: int = 0
    last_error: str | None = None
    last_status: int | None = None  # HTTP status of the last poll
    # Set by the store from ``consecutive_failures`` (a save ignores what is given here):
    # the poll time of the first failure after a success, and when it was reported
    # (derived, like ``id``: not part of a state's equality).
    failing_since: datetime | None = field(default=None, compare=False)
    failure_reported_at: datetime | None = field(default=None, compare=False)

    @property
    def shown(self) -> str:
        return redact_url(self.url)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A source as ``/feeds list`` shows it: the safe URL only, never the full one."""

    id: int
    kind: SourceKind
    url: str  # display-safe: no userinfo, secret parameters redacted
    title: str | None
    articles: int  # stored articles that came through it
    feeds: int  # an OPML list: the feeds it names; otherwise 0
    poll_interval_s: int
    last_error: str | None
    added_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoreCounts:
    articles: int  # every row, "no_article" included
    ok: int
    no_article: int
    clusters: int
    feeds: int
    failures: int


class RememberedThread(NamedTuple):
    """What a posted brief or digest covered, kept for follow-up questions in its thread."""

    kind: str
    title: str | None
    article_ids: tuple[int, ...]
