"""Storing an article: milliseconds and SQL statements per upsert, against plain Core.

Usage: python bench/store_upsert.py [--n 600] [--rounds 3] [--batch 50]
                                    [--pg URL] [--no-sqlite]

Two sets of records, each stored into a fresh database every round:

* ``stories``: bench/brief_latency.py's synthetic corpus (Zipf vocabulary, names,
  250-600 word leads) in clusters of 1 to 6 outlets, from six feeds with guids:
  what a poll of ordinary feeds stores (founding clusters and joining them);
* ``flood``: copies of one story, as bench/hostile.py's 10,000 near-duplicates.

For each: ``upsert_article`` one call per record, ``upsert_articles`` in batches of
``--batch`` (when the store has it), and the baseline, a plain SQLAlchemy Core
``INSERT`` of the same rows into a table of the same columns, one transaction per
row (no dedupe, clustering or full-text index): the floor a write can reach through
the same library and database. The ratio to it is what compares runs on a shared,
noisy machine. Printed: medians over ``--rounds`` of wall ms, CPU ms (this process)
and statements (cursor executes, an executemany counted once) per record.

PostgreSQL (``--pg``) runs in a throwaway schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from brief_latency import NOW, Corpus, rows  # noqa: E402
from sqlalchemy import Column, Engine, MetaData, Table, event, insert  # noqa: E402

from bot.store import ArticleRecord, FeedState, Store  # noqa: E402
from bot.store.schema import Article  # noqa: E402
from bot.store.sources import OPERATOR, Via  # noqa: E402
from tests.fixtures.hostile.harness import STORIES  # noqa: E402

FEEDS = 6


def stories(n: int) -> list[ArticleRecord]:
    """``n`` records of the synthetic corpus; ``feed_id`` k stands for the k-th feed."""
    out: list[ArticleRecord] = []
    for _cluster, arts in rows(n, Corpus(11)):
        for a in arts:
            out.append(
                ArticleRecord(
                    url=a["url"],
                    title=a["title"],
                    text=a["text"],
                    site=a["site"],
                    published=a["published"],
                    analysis=a["analysis"],
                    feed_id=a["feed_id"],
                    guid=f"g-{a['id']}",
                )
            )
    return out


def flood(n: int) -> list[ArticleRecord]:
    """``n`` near-duplicates of one story (bench/hostile.py's flood, one feed)."""
    out: list[ArticleRecord] = []
    for i in range(n):
        text = STORIES[0].replace(
            "Shops in the town centre",
            f"By update {i}, picket line {i % 17} held. Shops in the town centre",
        )
        out.append(
            ArticleRecord(
                url=f"https://flood.example/nd/{i}",
                title=f"Dock workers strike at Kessington harbour, update {i}",
                text=text,
                site="flood.example",
                published=NOW - timedelta(seconds=n - i),
                analysis={"summary": [{"text": text.split(". ")[0], "index": 0}]},
                feed_id=0,
                guid=f"nd-{i}",
            )
        )
    return out


SETS: dict[str, Callable[[int], list[ArticleRecord]]] = {"stories": stories, "flood": flood}


def with_feeds(store: Store, records: list[ArticleRecord]) -> list[ArticleRecord]:
    """The records with their feed index replaced by a stored feed's id."""
    ids = [
        store.save_feed(FeedState(url=f"https://site{k}.example/feed"), Via(owner=OPERATOR)).id
        for k in range(FEEDS)
    ]
    return [replace(r, feed_id=ids[r.feed_id or 0]) for r in records]


@contextmanager
def database(pg: str | None) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new PostgreSQL schema."""
    if pg is None:
        with tempfile.TemporaryDirectory(prefix="store-upsert-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'nb.db'}"
        return
    import os

    os.environ.setdefault("NEWSBRIEF_TEST_DATABASE_URL", pg)
    from tests.pgschema import fresh_schema

    with fresh_schema() as (url, _engine):
        yield url


class Statements:
    """Cursor executes on an engine (an executemany counts once)."""

    def __init__(self, engine: Engine) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.n += 1


def timed(run: Callable[[], None]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def plain_core(store: Store, records: Sequence[ArticleRecord]) -> tuple[float, float, int]:
    """The same rows into a plain table of the articles' columns, one transaction each."""
    cols = [Column(c.name, c.type, primary_key=c.primary_key) for c in Article.__table__.columns]
    table = Table("plain_articles", MetaData(), *cols)
    table.create(store.engine)
    stmt = insert(table)
    values = [
        {
            "canonical_url": r.url,
            "url": r.url,
            "guid": r.guid,
            "feed_id": r.feed_id,
            "title": r.title,
            "text": r.text,
            "author": r.author,
            "site": r.site,
            "published": r.published,
            "fetched_at": NOW,
            "updated_at": NOW,
            "content_hash": "0" * 64,
            "status": r.status,
            "analysis": r.analysis,
            "cluster_id": None,
        }
        for r in records
    ]
    counter = Statements(store.engine)

    def run() -> None:
        for v in values:
            with store.engine.begin() as conn:
                conn.execute(stmt, v)

    wall, cpu = timed(run)
    return wall, cpu, counter.n


def one_by_one(store: Store, records: Sequence[ArticleRecord]) -> tuple[float, float, int]:
    counter = Statements(store.engine)

    def run() -> None:
        for r in records:
            store.upsert_article(r, now=NOW)

    wall, cpu = timed(run)
    return wall, cpu, counter.n


def batched(size: int) -> Callable[[Store, Sequence[ArticleRecord]], tuple[float, float, int]]:
    def run(store: Store, records: Sequence[ArticleRecord]) -> tuple[float, float, int]:
        counter = Statements(store.engine)

        def go() -> None:
            for start in range(0, len(records), size):
                store.upsert_articles(records[start : start + size], now=NOW)

        wall, cpu = timed(go)
        return wall, cpu, counter.n

    return run


def measure(pg: str | None, name: str, n: int, rounds: int, batch: int) -> None:
    ways: dict[str, Callable[[Store, Sequence[ArticleRecord]], tuple[float, float, int]]] = {
        "plain Core insert": plain_core,
        "upsert_article": one_by_one,
    }
    if hasattr(Store, "upsert_articles"):
        ways[f"upsert_articles({batch})"] = batched(batch)
    results: dict[str, list[tuple[float, float, float]]] = {w: [] for w in ways}
    for _ in range(rounds):
        for way, run in ways.items():  # interleaved: each round sees the same load
            with database(pg) as url, Store.open(url) as store:
                records = with_feeds(store, SETS[name](n))
                wall, cpu, statements = run(store, records)
                results[way].append((wall * 1000 / n, cpu * 1000 / n, statements / n))
    backend = "postgresql" if pg else "sqlite"
    floor = statistics.median(r[0] for r in results["plain Core insert"])
    print(f"\n== {name}: {n} records into {backend}, medians of {rounds} rounds")
    print(f"   {'':24} {'ms/record':>10} {'CPU ms':>8} {'statements':>11} {'x plain':>8}")
    for way, got in results.items():
        wall = statistics.median(r[0] for r in got)
        cpu = statistics.median(r[1] for r in got)
        stmts = statistics.median(r[2] for r in got)
        print(f"   {way:24} {wall:10.2f} {cpu:8.2f} {stmts:11.1f} {wall / floor:8.2f}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=600, help="records per set and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=50, help="records per upsert_articles call")
    ap.add_argument("--pg", metavar="URL", help="also PostgreSQL (a throwaway schema)")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--sets", default="stories,flood")
    args = ap.parse_args(argv)
    backends: list[str | None] = ([] if args.no_sqlite else [None]) + ([args.pg] if args.pg else [])
    for pg in backends:
        for name in args.sets.split(","):
            measure(pg, name, args.n, args.rounds, args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
