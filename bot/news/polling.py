"""A source's polling state after a poll: when to poll it next, and what went wrong.

Pure functions of the old state, the fetch and the time; the ingester saves what
they return.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.news.net import FetchResult
from bot.store import FeedState

MAX_BACKOFF_S = 24 * 3600


def polled_ok(
    state: FeedState,
    result: FetchResult,
    title: str | None,
    now: datetime,
    *,
    problem: str | None = None,
    hint_s: float = 0,
) -> FeedState:
    """A successful poll; ``problem`` (broken XML, repeated ids) stays in the state,
    so that whoever looks at the feed later sees it, not only this run's report.
    The next poll is the interval on, or later when the feed (``hint_s``: its RSS
    ttl) or the server (Cache-Control max-age) asks for longer; never sooner."""
    wait = max(float(state.poll_interval_s), hint_s, result.max_age or 0.0)
    return replace(
        state,
        title=title or state.title,
        etag=result.etag or state.etag,
        last_modified=result.last_modified or state.last_modified,
        last_polled=now,
        next_poll=now + timedelta(seconds=wait),
        consecutive_failures=0,
        last_error=f"parsed with problems: {problem}" if problem else None,
        last_status=result.status,
    )


def polled_error(
    state: FeedState,
    reason: str,
    status: int | None,
    now: datetime,
    retry_after: float | None = None,
) -> FeedState:
    """Back off: twice the interval per failure in a row (a day at most), or
    exactly what the server's Retry-After asked for when it said."""
    failures = state.consecutive_failures + 1
    backoff = min(state.poll_interval_s * 2**failures, MAX_BACKOFF_S)
    if retry_after is not None:
        backoff = max(retry_after, 1.0)
    return replace(
        state,
        last_polled=now,
        next_poll=now + timedelta(seconds=backoff),
        consecutive_failures=failures,
        last_error=reason,
        last_status=status,
    )
