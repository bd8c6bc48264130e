"""Retention (bot/store/retention.py): old articles, clusters and keys go in batches; a live
thread's articles stay until it expires; an expired thread says so. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.chat.conversation import Conversation
from bot.chat.messages import ThreadRef
from bot.store import ArticleRecord, Store
from bot.store.leases import Lease, LeaseLostError, Leases
from bot.store.retention import Retention
from bot.store.schema import ArticleKey, Cluster, FetchFailure, Thread
from tests.fakes.platform import GUEST, FakePlatform

NOW = datetime.now(UTC)  # thread memory stamps threads with the real time
DAY = timedelta(days=1)
STORIES = [
    ("Harbour bridge closes for repairs", "The harbour bridge in Westmere closed on Monday"),
    ("Council approves tram line", "Westmere council approved a tram line to the east"),
    ("Storm floods coastal road", "A storm flooded the coastal road near Eastgate overnight"),
    ("Library reopens after fire", "The central library reopened two years after a fire"),
    ("Port strike enters third day", "Dock workers at the port stayed out for a third day"),
]


def article(store: Store, n: int, age: timedelta) -> int:
    title, lead = STORIES[n]
    text = f"{lead}. " + " ".join(f"Detail {n}-{i} about {title.lower()}." for i in range(30))
    record = ArticleRecord(
        url=f"https://news{n}.example/{n}", title=title, text=text, site=f"news{n}.example",
        published=NOW - age, analysis={"summary": [{"text": lead}], "quotes": []},
    )  # fmt: skip
    return store.upsert_article(record, now=NOW - age).article_id


def leader(store: Store) -> tuple[Leases, Callable[[], Lease]]:
    leases = Leases(store.engine)
    lease = leases.acquire("leader", "me", timedelta(hours=1))
    assert lease is not None
    return leases, lambda: lease


def retention(store: Store, leases: Leases, at: datetime, **kw: int) -> Retention:
    days = {"retention_days": 30, "thread_days": 14} | kw
    return Retention(store.engine, leases, clock=lambda: at, **days)


def count(store: Store, model: type[object]) -> int:
    with Session(store.engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


REF = ThreadRef("fake", "C1", "t1")


async def test_live_threads_keep_their_articles_until_they_expire(store: Store) -> None:
    kept_by_thread = article(store, 0, 40 * DAY)
    old = article(store, 1, 40 * DAY)
    fresh = article(store, 2, 1 * DAY)
    store.threads.save(REF, "brief", "A brief", [kept_by_thread])
    leases, current = leader(store)

    pruned = retention(store, leases, NOW).run(current)
    assert store.get_article(old) is None
    assert store.get_article(kept_by_thread) is not None
    assert store.get_article(fresh) is not None
    assert pruned.counts["articles"] == 1 and pruned.counts["clusters"] == 1
    assert store.threads.articles(REF)[0].id == kept_by_thread  # still answerable
    with Session(store.engine) as s:  # only the fresh article's lookup keys are left
        owners = set(s.scalars(select(ArticleKey.article_id).distinct()))
    assert owners == {fresh}

    later = NOW + 15 * DAY  # the thread is past its 14 days
    pruned = retention(store, leases, later).run(current)
    assert pruned.counts["threads expired"] == 1
    assert store.get_article(kept_by_thread) is None
    assert store.get_article(fresh) is not None  # 16 days old: within 30
    assert count(store, Cluster) == 1

    fake = FakePlatform(handler=Conversation(store))
    assert await fake.thread_reply(GUEST, REF, "what did the mayor say?")
    (reply,) = fake.workspace.posts("thread")
    assert reply.title == "This thread has expired" and "/brief" in reply.text

    retention(store, leases, later + 45 * DAY).run(current)  # the tombstone goes too
    assert count(store, Thread) == 0
    assert not await FakePlatform(handler=Conversation(store)).thread_reply(GUEST, REF, "and?")


def test_pruning_goes_in_batches_until_nothing_is_old(store: Store) -> None:
    ids = [article(store, n, (31 + n) * DAY) for n in range(5)]
    store.record_failure("https://gone.example/a", None, "404", now=NOW - 40 * DAY)
    leases, current = leader(store)
    batched = Retention(
        store.engine, leases, retention_days=30, thread_days=14, batch=2, clock=lambda: NOW
    )
    pruned = batched.run(current)
    assert pruned.counts["articles"] == 5 and pruned.counts["fetch failures"] == 1
    assert all(store.get_article(i) is None for i in ids)
    assert count(store, Cluster) == 0 and count(store, FetchFailure) == 0
    assert str(retention(store, leases, NOW).run(current)) == "nothing to prune"


def test_retention_off_keeps_articles_but_threads_still_expire(store: Store) -> None:
    old = article(store, 0, 400 * DAY)
    store.threads.save(REF, "brief", "A brief", [old])
    leases, current = leader(store)
    retention(store, leases, NOW + 20 * DAY, retention_days=0).run(current)
    assert store.get_article(old) is not None
    remembered = store.threads.get(REF)
    assert remembered is not None and remembered.kind == "expired"


def test_a_leader_that_lost_its_lease_deletes_nothing(store: Store) -> None:
    old = article(store, 0, 40 * DAY)
    leases, _ = leader(store)
    stale = Lease("leader", "me", 99, NOW + DAY)  # an epoch the row does not have

    with pytest.raises(LeaseLostError):
        retention(store, leases, NOW).run(lambda: stale)
    assert store.get_article(old) is not None
