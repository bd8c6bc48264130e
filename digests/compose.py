"""What a digest says: the stories new since the channel's last digest, one per story."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta

from bot.chat.briefs import DEFAULT_SINCE, format_duration, story_item
from bot.chat.messages import Post
from bot.store import OutboxRow, Store, StoryHit
from digests.schedule import Schedule, Slot

FIRST_DIGEST_LOOKBACK = DEFAULT_SINCE  # as far back as /brief looks by default
LATE_ARRIVAL = timedelta(hours=6)
"""A story can be published before the last digest yet reach us after it (feeds
are polled every few minutes, some backdate): each digest looks this far behind
the last one and leaves out what that digest already carried."""


def stories_since(
    store: Store,
    schedule: Schedule,
    since: datetime,
    now: datetime,
    exclude: AbstractSet[int] = frozenset(),
    *,
    workspace: str,
) -> list[StoryHit]:
    """Stories published since ``since``, best first, one per cluster, across all topics,
    leaving out any story one of whose articles is in ``exclude``; only from the sources
    ``workspace`` reads (the operator's and its own)."""
    limit = schedule.max_stories
    fetch = limit + len(exclude)
    if not schedule.topics:
        found = store.recent(since, limit=fetch, now=now, workspace=workspace)
    else:
        best: dict[int, StoryHit] = {}
        for topic in schedule.topics:
            for hit in store.search(topic, since=since, limit=fetch, now=now, workspace=workspace):
                if hit.cluster_id not in best or hit.score > best[hit.cluster_id].score:
                    best[hit.cluster_id] = hit
        found = sorted(best.values(), key=lambda h: h.score, reverse=True)
    fresh = [h for h in found if not any(s.article_id in exclude for s in h.sources)]
    return fresh[:limit]


def _missed_note(missed: list[OutboxRow], schedule: Schedule) -> str | None:
    if not missed:
        return None
    when = ", ".join(f"{r.slot_key.replace('T', ' ')}" for r in missed[:5])
    more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
    return (
        f"newsbrief missed the digest of {when}{more} ({schedule.tz}); "
        "this one covers everything since the last digest that went out."
    )


def compose_digest(
    store: Store,
    schedule: Schedule,
    *,
    since: datetime,
    now: datetime,
    slot: Slot | None = None,
    missed: list[OutboxRow] | None = None,
    checked: datetime | None = None,
    posted_before: bool = False,
    exclude: AbstractSet[int] = frozenset(),
    workspace: str,
) -> Post | None:
    """The digest post, or None when nothing is new and the channel asked to skip.

    ``checked``: the last slot that looked for news (None: this is the first);
    ``posted_before``: whether any digest was posted, which "the last digest" needs.
    """
    hits = stories_since(store, schedule, since, now, exclude, workspace=workspace)
    topics = ", ".join(schedule.topics) if schedule.topics else "all news"
    local = (slot.due if slot else now).astimezone(schedule.zone)
    title = f"Digest: {topics} — {local:%a %d %b %H:%M} {schedule.tz}"
    note = _missed_note(missed or [], schedule)
    if not hits and schedule.skip_empty and not note:
        return None
    footer = "Reply in this thread to ask about these stories."
    if note:
        footer = f"{note} {footer}"
    article_ids = tuple(s.article_id for h in hits for s in h.sources)
    if not hits:
        return Post(
            kind="digest",
            title=title,
            # Never a "last digest" that did not happen: say what was looked at.
            text=(
                f"Nothing on {topics} in the last {format_duration(FIRST_DIGEST_LOOKBACK)}."
                if checked is None
                else f"Nothing new on {topics} since the last digest."
                if posted_before
                else f"Nothing new on {topics} since "
                f"{checked.astimezone(schedule.zone):%a %d %b %H:%M} {schedule.tz}."
            ),
            footer=note,
        )
    return Post(
        kind="digest",
        title=title,
        items=tuple(story_item(h) for h in hits),
        footer=footer,
        article_ids=article_ids,
    )


def compose_for(
    store: Store,
    sub_id: int,
    schedule: Schedule,
    now: datetime,
    slot: Slot | None,
    *,
    workspace: str,
) -> Post | None:
    """The digest of one subscription: new since its last digest, nothing repeated, from
    the sources its workspace reads (``SubscriptionRow.scope``)."""
    last = store.outbox.last_delivered(sub_id)
    since = last - LATE_ARRIVAL if last else (slot.due if slot else now) - FIRST_DIGEST_LOOKBACK
    already = store.outbox.posted_articles(sub_id, since=since)  # everything, not the last
    missed = store.outbox.unmentioned_missed(sub_id)
    return compose_digest(
        store,
        schedule,
        since=since,
        now=now,
        slot=slot,
        missed=missed,
        exclude=already,
        workspace=workspace,
        checked=last,
        posted_before=last is not None and store.outbox.ever_sent(sub_id),
    )
