"""Article upserts lock the story being clustered, not every upsert (PostgreSQL).

Concurrent copies of one story never found two clusters; an unrelated story is stored
while another story's locks are held; a copy of the held story waits for them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from bot.store import ArticleRecord, Store, UpsertOutcome
from bot.store.story_locks import STORY_LOCK_SPACE, lock_story, story_lock_keys
from tests.pgschema import fresh_schema, needs_pg, wait_until

pytestmark = needs_pg
NOW = datetime.now(UTC)


def story(n: int) -> tuple[str, str]:
    names = ["Okafor", "Ruiz", "Berg", "Nair", "Hsu", "Lind", "Kim", "Moreau"]
    who = names[n % len(names)]
    title = f"Council {n} votes on the {who} plan for harbour district {n}"
    body = " ".join(
        f"Mayor {who} said on Tuesday that district {n} would get sentence {i} of the plan."
        for i in range(12)
    )
    return title, body


OTHER = (
    "Storm floods Eastgate coastal road",
    " ".join(f"Heavy rain washed gravel {i} across the Eastgate coastal road." for i in range(12)),
)


def copy(n: int, outlet: int) -> ArticleRecord:
    title, body = OTHER if n < 0 else story(n)
    return ArticleRecord(
        url=f"https://outlet{outlet}.example/{n}", title=title, text=body,
        site=f"outlet{outlet}.example", published=NOW - timedelta(hours=1),
        analysis={"summary": [{"text": body[:80]}], "quotes": []},
    )  # fmt: skip


@pytest.fixture
def pg() -> Iterator[Store]:
    with fresh_schema() as (url, _):
        store = Store.open(url)
        try:
            yield store
        finally:
            store.close()


def test_concurrent_copies_of_one_story_found_one_cluster(pg: Store) -> None:
    for n in range(6):  # several rounds: each a race of eight outlets at once
        barrier = threading.Barrier(8)

        def store_copy(outlet: int, n: int = n, barrier: threading.Barrier = barrier) -> int:
            barrier.wait()
            outcome = pg.upsert_article(copy(n, outlet))
            assert outcome.status == "new"
            return int(outcome.cluster_id or 0)

        with ThreadPoolExecutor(8) as pool:
            clusters = set(pool.map(store_copy, range(8)))
        assert len(clusters) == 1, f"story {n} founded {len(clusters)} clusters"


def waiting_story_locks(store: Store) -> int:
    with Session(store.engine) as s:
        return int(
            s.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = :space AND NOT granted"
                ),
                {"space": STORY_LOCK_SPACE},
            ).scalar_one()
        )


def test_an_unrelated_story_does_not_wait_and_a_copy_does(pg: Store) -> None:
    """Story 1 half stored (locked, inserted, clustered, not committed) by "another
    instance": a copy of it waits, then joins its cluster; without the lock it would
    not see the uncommitted article and found a second cluster."""
    assert set(story_lock_keys(*story(1))).isdisjoint(story_lock_keys(*OTHER))
    with ThreadPoolExecutor(2) as pool, Session(pg.engine) as s, s.begin():
        lock_story(s, *story(1))  # what upsert_article does first, in its transaction
        first = pg._upsert(s, copy(1, 0), NOW)  # ...then stores and clusters
        other = pool.submit(pg.upsert_article, copy(-1, 0))
        assert other.result(timeout=30).status == "new"  # not held up
        same = pool.submit(pg.upsert_article, copy(1, 1))
        wait_until("the copy to wait for story 1's locks", lambda: waiting_story_locks(pg) > 0)
        assert not same.done()
    outcome: UpsertOutcome = same.result(timeout=30)
    assert outcome.cluster_id == first.cluster_id  # joined, once the lock was let go
