"""What a digest says: the stories new since the channel's last digest, one per story."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.briefs import story_item
from bot.messages import Post
from bot.store import OutboxRow, Store, StoryHit
from digests.schedule import Schedule, Slot

FIRST_DIGEST_LOOKBACK = timedelta(hours=24)


def stories_since(
    store: Store, schedule: Schedule, since: datetime, now: datetime
) -> list[StoryHit]:
    """Stories published since ``since``, best first, one per cluster, across all topics."""
    limit = schedule.max_stories
    if not schedule.topics:
        return store.recent(since, limit=limit, now=now)
    best: dict[int, StoryHit] = {}
    for topic in schedule.topics:
        for hit in store.search(topic, since=since, limit=limit, now=now):
            if hit.cluster_id not in best or hit.score > best[hit.cluster_id].score:
                best[hit.cluster_id] = hit
    return sorted(best.values(), key=lambda h: h.score, reverse=True)[:limit]


def _missed_note(missed: list[OutboxRow], schedule: Schedule) -> str | None:
    if not missed:
        return None
    when = ", ".join(f"{r.slot_key.replace('T', ' ')}" for r in missed[:5])
    more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
    return (
        f"newsbrief was offline and missed the digest of {when}{more} ({schedule.tz}); "
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
) -> Post | None:
    """The digest post, or None when nothing is new and the channel asked to skip."""
    hits = stories_since(store, schedule, since, now)
    topics = ", ".join(schedule.topics) if schedule.topics else "all news"
    local = (slot.due if slot else now).astimezone(schedule.zone)
    title = f"Digest: {topics} — {local:%a %d %b %H:%M} {schedule.tz}"
    note = _missed_note(missed or [], schedule)
    if not hits and schedule.skip_empty and not note:
        return None
    footer = "Reply in this thread to ask about these stories."
    if note:
        footer = f"{note} {footer}"
    article_ids = tuple(str(s.article_id) for h in hits for s in h.sources)
    if not hits:
        return Post(
            kind="digest",
            title=title,
            text=f"Nothing new on {topics} since the last digest.",
            footer=note,
        )
    return Post(
        kind="digest",
        title=title,
        items=tuple(story_item(h) for h in hits),
        footer=footer,
        article_ids=article_ids,
    )
