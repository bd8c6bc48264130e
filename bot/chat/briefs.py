"""A brief on a topic: recent stories, one per cluster, as data, JSON and a Post."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.chat import inputs
from bot.chat.inputs import MAX_TOPIC_CHARS, BadTopicError
from bot.chat.messages import Post, PostItem, QuoteLine, SourceLink
from bot.chat.render import link_url
from bot.store import Store, StoryHit
from bot.urls import strip_tracking

__all__ = [
    "MAX_TOPIC_CHARS",
    "BadTopicError",
    "Brief",
    "build_brief",
    "format_duration",
    "parse_brief_args",
    "parse_duration",
    "story_item",
]

_HOUR, _DAY = 3600, 86400
_UNIT_SECONDS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * _DAY),
    **dict.fromkeys(("mo", "month", "months"), 30 * _DAY),
    **dict.fromkeys(("y", "yr", "yrs", "year", "years"), 365 * _DAY),
}
_NUMBER_UNIT = re.compile(r"^(?P<n>\d{1,4})\s*(?P<unit>[a-z]+)$", re.I)
DEFAULT_SINCE = timedelta(hours=48)  # how far back a brief looks unless told
MAX_SPAN = timedelta(days=100 * 365)  # further back than any store holds (and than datetime)


def _span(text: str) -> timedelta | None:
    m = _NUMBER_UNIT.match(text.strip())
    seconds = _UNIT_SECONDS.get(m.group("unit").lower()) if m else None
    return None if m is None or seconds is None else timedelta(seconds=int(m["n"]) * seconds)


def parse_duration(text: str) -> timedelta:
    """ "48h", "2d", "1w", "90m", "3mo", "1y" → a timedelta; anything else is a clear error."""
    span = _span(text)
    if span is None or not span:
        raise BadTopicError(
            f"I can't read {text!r} as a time span: use a number and a unit, like 48h, 2d, "
            "1w, 3mo or 1y"
        )
    if span > MAX_SPAN:
        raise BadTopicError(f"{text!r} is further back than I can look: at most 100y")
    return span


def format_duration(span: timedelta) -> str:
    """ "2 days", "12 hours", "90 minutes": whole units only, never rounded away."""
    minutes = int(span.total_seconds() // 60)
    if minutes % (24 * 60) == 0 and minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return "minute" if minutes == 1 else f"{minutes} minutes"


def parse_brief_args(text: str, default_since: timedelta) -> tuple[str, timedelta]:
    """ "/brief north korea 24h" → ("north korea", 24h). A trailing span is optional:
    "7d", "36 hours", "past 2 weeks"; after "since", "last" or "past" it must be one."""
    words = text.split()
    typed, since = len(words), default_since
    if len(words) > 1 and words[-1][:1] in "-+−" and _span(words[-1][1:]):
        raise BadTopicError(
            f"A span counts back from now: give it without its sign, like {words[-1][1:]}"
        )
    for n in (2, 1):  # "36 hours", then "36h"
        if len(words) > n and _span("".join(words[-n:])) is not None:
            since = parse_duration("".join(words[-n:]))
            words = words[:-n]
            if len(words) > 1 and words[-1].lower() in _SPAN_WORDS:
                words = words[:-1]
            break
    else:
        if len(words) >= 2 and words[-2].lower() in _SPAN_WORDS:
            unit = _UNIT_SECONDS.get(words[-1].lower())  # "last week": one of it
            # "since soon": say what a span looks like
            since = timedelta(seconds=unit) if unit else parse_duration(words[-1])
            words = words[:-2]
    if len(words) < typed:  # "korea in the last week": "in the" leads to the span
        while len(words) > 1 and words[-1].lower() in _SPAN_LEADS:
            words = words[:-1]
    return inputs.topic(" ".join(words)), since


_SPAN_WORDS = frozenset({"since", "last", "past"})
_SPAN_LEADS = frozenset({"the", "in", "over", "for", "during", "from", "of"})


@dataclass(frozen=True, slots=True)
class Brief:
    topic: str
    since: timedelta
    stories: tuple[StoryHit, ...]
    instead: tuple[StoryHit, ...] = ()  # what there is, when nothing matches the topic
    # When nothing matches in the span: when the newest story on the topic is from, and
    # the span that reaches it; ``empty``: the store has no article this workspace reads.
    newest: datetime | None = None
    wider: timedelta | None = None
    empty: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "since": format_duration(self.since),
            "stories": [_story_json(h) for h in self.stories],
            # When nothing matched: what is in the news instead (the text output shows it too).
            "instead": [_story_json(h) for h in self.instead],
            "newest": self.newest.isoformat() if self.newest else None,
        }

    @property
    def article_ids(self) -> tuple[int, ...]:
        return tuple(s.article_id for h in self.stories or self.instead for s in h.sources)

    def to_post(self, *, in_thread: bool = True) -> Post:
        """The brief as posted; ``in_thread``: it anchors a thread that takes questions
        (not the CLI's)."""
        if self.stories:
            return Post(
                kind="brief",
                title=f"Brief: {self.topic} (last {format_duration(self.since)})",
                items=tuple(story_item(h) for h in self.stories),
                footer="Reply in this thread to ask a follow-up question." if in_thread else None,
                article_ids=self.article_ids,
            )
        return self._empty_post()

    def _empty_post(self) -> Post:
        """Say what there is: an older story on the topic, other news, or nothing at all."""
        span = format_duration(self.since)
        if self.empty:
            text = (
                "No news has been ingested yet: an operator adds feeds with `newsbrief ingest`"
                " (or loads the sample with `newsbrief ingest --sample`)."
            )
        elif self.newest is not None and self.wider is not None:
            text = (
                f"Nothing on {self.topic!r} in the last {span}; the newest on {self.topic} is "
                f"from {self.newest:%d %b %Y}: try /brief {self.topic} {self.wider.days}d"
            )
        else:
            text = f"Nothing on {self.topic!r} in the last {span}."
            if self.instead:
                text += " Here is what is in the news instead:"
            else:
                text += " Nothing else came in either: try a longer span, like 7d."
        return Post(
            kind="brief",
            title=f"Brief: {self.topic}",
            text=text,
            items=tuple(story_item(h) for h in self.instead),
            footer="Try another topic, or a longer span: /brief TOPIC 7d",
            article_ids=self.article_ids,
        )


def story_item(hit: StoryHit) -> PostItem:
    return PostItem(
        headline=hit.headline,
        summary=hit.summary[:2],
        quote=QuoteLine(hit.quote.text, hit.quote.speaker) if hit.quote else None,
        sources=tuple(
            SourceLink(
                s.title or link_url(s.url) or "source", strip_tracking(s.url), s.site, s.published
            )
            for s in hit.sources
        ),
        more_sources=hit.more_sources,
    )


def _story_json(hit: StoryHit) -> dict[str, Any]:
    return {
        "headline": hit.headline,
        "summary": list(hit.summary),
        "quote": {"text": hit.quote.text, "speaker": hit.quote.speaker} if hit.quote else None,
        "sources": [
            {
                "title": s.title,
                "url": link_url(s.url),  # http(s) or None: never a urn: or a guid
                "site": s.site,
                "published": s.published.isoformat(),
            }
            for s in hit.sources
        ],
        "more_sources": hit.more_sources,
    }


def build_brief(
    store: Store,
    topic: str,
    *,
    since: timedelta = DEFAULT_SINCE,
    limit: int = 5,
    now: datetime | None = None,
    workspace: str | None = None,
) -> Brief:
    """The brief as ``workspace`` sees it: from the operator's sources and its own (None:
    every source, for the operator's own ``newsbrief brief``)."""
    now = now or datetime.now(UTC)
    hits = store.search(topic, since=now - since, limit=limit, now=now, workspace=workspace)
    if hits:
        return Brief(topic=topic, since=since, stories=tuple(hits))
    # Nothing in the span: is there an older story on the topic, other news, anything?
    older = store.search(topic, since=EVER, limit=limit, now=now, workspace=workspace)
    newest = max((src.published for h in older for src in h.sources), default=None)
    if newest is not None and newest < now - since:
        return Brief(topic, since, (), newest=newest, wider=wider_span(now - newest))
    instead = store.recent(now - since, limit=min(limit, 3), now=now, workspace=workspace)
    empty = not instead and not store.recent(EVER, limit=1, now=now, workspace=workspace)
    return Brief(topic=topic, since=since, stories=(), instead=tuple(instead), empty=empty)


EVER = datetime(1970, 1, 1, tzinfo=UTC)
WIDER_SPANS = tuple(timedelta(days=d) for d in (7, 30, 90, 365))


def wider_span(age: timedelta) -> timedelta:
    """The first usual span (7d, 30d, 90d, 365d) reaching a story ``age`` old."""
    for span in WIDER_SPANS:
        if age < span:
            return span
    return timedelta(days=min(9999, age.days + 1))
