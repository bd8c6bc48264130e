"""Storing an article: milliseconds and SQL statements per upsert, against plain Core.

Usage: python bench/store_upsert.py [--n 600] [--rounds 3] [--batch 50]
                                    [--pg URL] [--no-sqlite] [--sets stories,flood,cnndm]
                                    [--tree DIR] [--no-search]

Two sets of records, each stored into a fresh database every round:

* ``stories``: bench/brief_latency.py's synthetic corpus (Zipf vocabulary, names,
  250-600 word leads) in clusters of 1 to 6 outlets, from six feeds with guids:
  what a poll of ordinary feeds stores (founding clusters and joining them);
* ``flood``: copies of one story, as bench/hostile.py's 10,000 near-duplicates;
* ``cnndm``: the pages bench/ingest_throughput.py serves (the CNN/DailyMail dev
  articles, each made unique, so copies of each in fours), when that data is there.

For each: ``upsert_article`` one call per record, ``upsert_articles`` in batches of
``--batch`` (when the store has it), and the baseline, a plain SQLAlchemy Core
``INSERT`` of the same rows into a table of the same columns, one transaction per
row (no dedupe, clustering or full-text index): the floor a write can reach through
the same library and database. The ratio to it is what compares runs on a shared,
noisy machine. Printed: medians over ``--rounds`` of wall ms, CPU ms (this process),
the database server's CPU ms (PostgreSQL: its backends' /proc times) and statements
(cursor executes, an executemany counted once) per record.

PostgreSQL (``--pg``) runs in a throwaway schema that is dropped afterwards. With
``--no-search`` the batches are also stored into a schema without the full-text
columns (``search``, ``search_lead`` and their GIN index dropped): what those
generated columns cost alone. ``--tree DIR`` imports ``bot`` from another checkout
(e.g. ``git archive`` of an earlier commit), to run the same figures as a baseline.
"""

from __future__ import annotations

import argparse
import os
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
_tree = sys.argv[sys.argv.index("--tree") + 1] if "--tree" in sys.argv else str(REPO)
sys.path.insert(0, str(REPO))
sys.path.insert(0, _tree)  # ``bot`` from --tree; tests and benches from here
sys.path.insert(0, str(REPO / "bench"))

from brief_latency import NOW, Corpus, rows  # noqa: E402
from ingest_throughput import _texts  # noqa: E402
from sqlalchemy import Column, Engine, MetaData, Table, event, insert, text  # noqa: E402

from bot.store import ArticleRecord, FeedState, Store  # noqa: E402
from bot.store.schema import Article  # noqa: E402
from bot.store.similarity import fingerprint  # noqa: E402
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


def cnndm(n: int) -> list[ArticleRecord]:
    """``n`` of bench/ingest_throughput.py's pages as ingest stores them (one feed)."""
    texts = _texts(REPO.parent / "shared" / "eval" / "cnndm-dev")
    out: list[ArticleRecord] = []
    for i in range(n):
        title, body = texts[i % len(texts)]
        out.append(
            ArticleRecord(
                url=f"http://127.0.0.1/a/{i}",
                title=f"{title} ({i})",
                text=f"Story number {i}.\n{body}",
                site="127.0.0.1",
                published=NOW - timedelta(seconds=n - i),
                analysis={"summary": [{"text": body.split(". ")[0], "index": 0}]},
                feed_id=0,
                guid=f"http://127.0.0.1/a/{i}",
            )
        )
    return out


SETS: dict[str, Callable[[int], list[ArticleRecord]]] = {
    "stories": stories,
    "flood": flood,
    "cnndm": cnndm,
}


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
    os.environ.setdefault("NEWSBRIEF_TEST_DATABASE_URL", pg)
    from tests.pgschema import fresh_schema

    with fresh_schema() as (url, _engine):
        yield url


class Statements:
    """Cursor executes on an engine (an executemany counts once), and on PostgreSQL
    the CPU seconds of the server processes (backends) that ran them."""

    def __init__(self, engine: Engine) -> None:
        self.n = 0
        self.pids: set[int] = set()
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn: Any, *_args: Any) -> None:
        self.n += 1
        if conn.dialect.name == "postgresql":
            self.pids.add(conn.connection.dbapi_connection.info.backend_pid)

    def server_cpu(self) -> float:
        return sum(_cpu_of(pid) for pid in self.pids)


def _cpu_of(pid: int) -> float:
    """utime + stime of a live process on this machine, in seconds (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Timing = tuple[float, float, float, int]  # wall s, CPU s, server CPU s, statements


def timed(counter: Statements, run: Callable[[], None]) -> Timing:
    server = counter.server_cpu()  # the backends that ran set-up statements already
    n0 = counter.n
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    # Backends first seen during ``run`` started at ~0 CPU: all of theirs counts.
    return wall, cpu, counter.server_cpu() - server, counter.n - n0


def plain_core(store: Store, records: Sequence[ArticleRecord]) -> Timing:
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

    return timed(counter, run)


def one_by_one(store: Store, records: Sequence[ArticleRecord]) -> Timing:
    counter = Statements(store.engine)

    def run() -> None:
        for r in records:
            store.upsert_article(r, now=NOW)

    return timed(counter, run)


def batched(size: int) -> Callable[[Store, Sequence[ArticleRecord]], Timing]:
    def run(store: Store, records: Sequence[ArticleRecord]) -> Timing:
        counter = Statements(store.engine)

        def go() -> None:
            for start in range(0, len(records), size):
                store.upsert_articles(records[start : start + size], now=NOW)

        return timed(counter, go)

    return run


def without_search(size: int) -> Callable[[Store, Sequence[ArticleRecord]], Timing]:
    """``batched``, into a store whose articles have no full-text columns (PostgreSQL)."""

    def run(store: Store, records: Sequence[ArticleRecord]) -> Timing:
        with store.engine.begin() as conn:
            conn.execute(text("ALTER TABLE articles DROP COLUMN search, DROP COLUMN search_lead"))
        return batched(size)(store, records)

    return run


def measure(pg: str | None, name: str, n: int, rounds: int, batch: int, no_search: bool) -> None:
    ways: dict[str, Callable[[Store, Sequence[ArticleRecord]], Timing]] = {
        "plain Core insert": plain_core,
        "upsert_article": one_by_one,
    }
    if hasattr(Store, "upsert_articles"):
        ways[f"upsert_articles({batch})"] = batched(batch)
        if no_search and pg:
            ways["  ... no search vectors"] = without_search(batch)
    results: dict[str, list[tuple[float, float, float, float]]] = {w: [] for w in ways}
    for _ in range(rounds):
        for way, run in ways.items():  # interleaved: each round sees the same load
            with database(pg) as url, Store.open(url) as store:
                records = with_feeds(store, SETS[name](n))
                fingerprint.cache_clear()  # each way computes its own, as ingest does
                wall, cpu, server, statements = run(store, records)
                per = (wall * 1000 / n, cpu * 1000 / n, server * 1000 / n, statements / n)
                results[way].append(per)
    backend = "postgresql" if pg else "sqlite"
    floor = statistics.median(r[0] for r in results["plain Core insert"])
    tree = Path(sys.modules["bot.store"].__file__ or "").parents[2]
    print(f"\n== {name}: {n} records into {backend}, medians of {rounds} rounds ({tree})")
    print(
        f"   {'':24} {'ms/record':>10} {'CPU ms':>8} {'server ms':>10} {'statements':>11}"
        f" {'x plain':>8}"
    )
    for way, got in results.items():
        wall, cpu, server, stmts = (statistics.median(r[i] for r in got) for i in range(4))
        print(
            f"   {way:24} {wall:10.2f} {cpu:8.2f} {server:10.2f} {stmts:11.1f} {wall / floor:8.2f}"
        )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=600, help="records per set and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=50, help="records per upsert_articles call")
    ap.add_argument("--pg", metavar="URL", help="also PostgreSQL (a throwaway schema)")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--sets", default="stories,flood", help="of stories, flood, cnndm")
    ap.add_argument("--tree", help="import bot from this checkout (a baseline)")
    ap.add_argument("--no-search", action="store_true", help="also without full-text columns")
    args = ap.parse_args(argv)
    backends: list[str | None] = ([] if args.no_sqlite else [None]) + ([args.pg] if args.pg else [])
    for pg in backends:
        for name in args.sets.split(","):
            measure(pg, name, args.n, args.rounds, args.batch, args.no_search)
    return 0


if __name__ == "__main__":
    sys.exit(main())
