"""/brief search at 100k and 1M articles (issue 14: "brief p95 <= 200 ms at 1M on PostgreSQL").

Synthetic but shaped like a live store: articles arrive in publication order at a fixed
rate (``--per-day``, default 8,000: about 1,200 feeds), so 100k articles are 12.5 days of
history and 1M are 125 days, and a 48-hour brief reads the same ~14,000 recent
articles in both: what grows is the history the query has to keep out. Text is
``bench/brief_latency.py``'s corpus (Zipf-weighted common English words, made-up rare
words, a place/person/subject per story, 250-600 words), so "said" is in most articles
and "government" in about a quarter: the frequent words. Stories are clusters of 1 to 6
outlets.

PostgreSQL rows are bulk-loaded with COPY into a schema of their own
(``brief_scale_<N>``; migrations run by ``Store.open``, secondary
indexes built after the load, then VACUUM ANALYZE); the schemas are dropped at the end
unless ``--keep``, and reused when present with ``--keep`` (a schema loaded before
migration 0012 first has its last 8 days rewritten, so that their ``search_lead`` is
inline as head stores it: ``settle``). Then ``Store.search`` is
timed for rare and frequent topics (60 queries a round per kind and span, 24 before,
whose frequent words take seconds at 1M; 48 h and 7 day spans; as the operator and as
a workspace) with the ranked query as it was before issue 14 (``old_ranked``, kept
below) and as it is, alternating rounds; per kind: the median over rounds of each
round's p50/p95, then the growth 1M/100k. Both must give the same stories, or it stops.
Per size it also prints EXPLAIN (ANALYZE, BUFFERS) of a frequent word's 48 h query, before
and after: the buffers say where the time goes.

    .venv/bin/python bench/brief_scale.py                     # PostgreSQL 100k and 1M
    .venv/bin/python bench/brief_scale.py --sizes 100000,1000000 --keep   # reuse the loads
    .venv/bin/python bench/brief_scale.py --no-pg --sqlite 100000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, event, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from brief_latency import PEOPLE, PLACES, SUBJECTS, vocabulary

from bot.store import FeedState, Store
from bot.store import search as search_mod
from bot.store.scope import SCOPE_SQL
from bot.store.sources import OPERATOR, Via
from bot.store.times import ts_param

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
TARGET_P95_MS = 200.0
SITES = 6
TOPICS: dict[str, list[str]] = {
    "frequent": ["said", "government", "police", "year", "election", "people said"],
    "rare": ["armenia", "tokayev", "pashinyan", "kazakhstan referendum", "sudan coup", "zyzzyva"],
}
WINDOWS = {"48h": timedelta(hours=48), "7d": timedelta(days=7)}

# ------------------------------------------------------------------------ the corpus


class Corpus:
    """Stories from a pool of Zipf sentences: fast enough to make a million in minutes."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        words, cum = vocabulary(self.rng)
        self.head = words[:400]
        self.pool = [
            " ".join(self.rng.choices(words, cum_weights=cum, k=self.rng.randint(12, 28)))
            for _ in range(40_000)
        ]

    def text(self, names: Sequence[str]) -> str:
        rng, out, n_words = self.rng, [], 0
        goal = rng.randint(250, 600)
        while n_words < goal:
            s = rng.choice(self.pool)
            if rng.random() < 0.4:
                s = f"{s} {rng.choice(names)}"
            out.append(s[0].upper() + s[1:] + ".")
            n_words += s.count(" ") + 1
        return "\n\n".join(" ".join(out[i : i + 3]) for i in range(0, len(out), 3))

    def story(self) -> tuple[str, list[str]]:
        rng = self.rng
        names = [rng.choice(PLACES).replace("_", " "), rng.choice(PEOPLE), rng.choice(SUBJECTS)]
        title = f"{names[0]} {names[2]}: {names[1]} " + " ".join(
            rng.choices(self.head, k=rng.randint(2, 5))
        )
        return title, names


def analysis(body: str) -> str:
    sents = body.split(". ")[:3]
    return json.dumps(
        {
            "title": None,
            "summary": [{"text": s.strip() + ".", "index": i} for i, s in enumerate(sents)],
            "quotes": [{"text": sents[-1][:80], "speaker": "A Spokesman", "cue": "said"}],
            "algorithm": "news",
            "language": "english",
            "all_quotes": [],
        }
    )


ARTICLE_COLS = (
    "id canonical_url url guid feed_id title text author site published fetched_at "
    "updated_at content_hash status analysis cluster_id"
).split()


CHUNK = 25_000  # articles per COPY; chunks load two at a time, in publication order


def stories(
    lo: int, hi: int, n: int, per_day: int, feeds: Sequence[int]
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(cluster row, article rows) for articles ``lo+1..hi`` of ``n``, in publication
    order up to NOW; a cluster's id is its first article's, so chunks never collide."""
    corpus = Corpus(seed=lo)
    rng = corpus.rng
    span = timedelta(days=n / per_day)
    made = lo
    while made < hi:
        cluster = made + 1
        size = min(hi - made, rng.choice([1, 1, 1, 1, 1, 2, 2, 3, 4, 6]))
        title, names = corpus.story()
        body = corpus.text(names)
        start = NOW - span + span * (made / n) - timedelta(hours=10)
        arts = []
        for k in range(size):
            made += 1
            at = start + timedelta(minutes=rng.randint(0, 600))
            own = body if k == 0 else corpus.text(names)[:400] + "\n\n" + body[400:]
            url = f"https://site{k}.example/{cluster}/{made}"
            head = title if k == 0 else f"{title} ({k})"
            site = f"site{k}.example"
            hashed = f"{made:064x}"
            meta = (None, site, at, at, at, hashed, "ok", analysis(own), cluster)
            arts.append((made, url, url, None, feeds[k], head, own, *meta))
        times = [a[9] for a in arts]
        yield (cluster, title, min(times), max(times), size), arts


# -------------------------------------------------------------------- PostgreSQL load


def site_feeds(store: Store) -> list[int]:
    """Every site's feed, one of the operator's sources (so every workspace reads it)."""
    saved = [
        store.save_feed(FeedState(url=f"https://site{k}.example/feed"), Via(owner=OPERATOR))
        for k in range(SITES)
    ]
    return [f.id for f in saved if f.id is not None]


def pg_url(schema: str) -> str:
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


def load_pg(schema: str, n: int, per_day: int, workers: int = 2) -> float:
    """Migrate an empty schema, COPY ``n`` articles in, index, VACUUM ANALYZE; seconds."""
    t0 = time.perf_counter()
    store = Store.open(pg_url(schema))
    try:
        feeds = site_feeds(store)
    finally:
        store.close()
    engine = create_engine(pg_url(schema))
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        assert pg is not None
        with pg.cursor() as cur:
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename"
                " IN ('articles', 'article_sources', 'clusters') AND indexname LIKE 'ix_%%'",
                (schema,),
            )
            indexes = cur.fetchall()
            for name, _ in indexes:  # rebuilt after the load: far faster than maintained
                cur.execute(f'DROP INDEX "{schema}"."{name}"')
        pg.commit()
        t1 = time.perf_counter()
        _copy(schema, n, per_day, feeds, workers)
        t2 = time.perf_counter()
        with pg.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '1GB'")
            for _, ddl in indexes:
                cur.execute(ddl)
            t3 = time.perf_counter()
            for table in ("articles", "clusters"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        pg.commit()
        pg.autocommit = True
        with pg.cursor() as cur:
            for table in ("articles", "clusters", "article_sources"):
                cur.execute(f'VACUUM ANALYZE "{schema}".{table}')
    finally:
        raw.close()
        engine.dispose()
    t4 = time.perf_counter()
    print(
        f"  {schema}: migrate {t1 - t0:.1f} s, copy {t2 - t1:.1f} s, "
        f"index {t3 - t2:.1f} s, vacuum {t4 - t3:.1f} s",
        flush=True,
    )
    return t4 - t0


def _copy_chunk(job: tuple[str, int, int, int, int, list[int]]) -> int:
    """COPY articles ``lo+1..hi`` on a connection of its own (a worker process); one
    COPY at a time per connection: articles stream, then their clusters and links
    (foreign keys are not checked during the load, so the order is free)."""
    schema, lo, hi, n, per_day, feeds = job
    import psycopg

    clusters: list[tuple[Any, ...]] = []
    links: list[tuple[int, int]] = []
    dsn = PG_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as pg, pg.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK triggers per row
        cur.execute("SET synchronous_commit = off")
        with cur.copy(f"COPY articles ({', '.join(ARTICLE_COLS)}) FROM STDIN") as copy:
            for cluster, arts in stories(lo, hi, n, per_day, feeds):
                clusters.append(cluster)
                for a in arts:
                    copy.write_row(a)
                    links.append((a[0], a[4]))
        with cur.copy("COPY clusters (id, headline, first_seen, last_seen, size) FROM STDIN") as c:
            for row in clusters:
                c.write_row(row)
        with cur.copy("COPY article_sources (article_id, feed_id) FROM STDIN") as c:
            for link in links:
                c.write_row(link)
    return hi - lo


def _copy(schema: str, n: int, per_day: int, feeds: Sequence[int], workers: int) -> None:
    jobs = [(schema, lo, min(n, lo + CHUNK), n, per_day, list(feeds)) for lo in range(0, n, CHUNK)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        done = 0
        for count in pool.imap(_copy_chunk, jobs):
            done += count
            if done % (CHUNK * 8) == 0:
                print(f"    {done:,} articles", flush=True)


def load_sqlite(path: Path, n: int, per_day: int) -> float:
    """The same articles into a SQLite file (the FTS5 triggers index them); seconds."""
    t0 = time.perf_counter()
    store = Store.open(f"sqlite:///{path}")
    try:
        feeds = site_feeds(store)
    finally:
        store.close()
    con = sqlite3.connect(path)
    try:
        marks = ", ".join("?" * len(ARTICLE_COLS))
        for lo in range(0, n, CHUNK):
            clusters, arts = [], []
            for cluster, rows in stories(lo, min(n, lo + CHUNK), n, per_day, feeds):
                clusters.append(cluster)
                arts.extend(rows)
            with con:
                con.executemany("INSERT INTO clusters VALUES (?, ?, ?, ?, ?)", map(_lite, clusters))
                con.executemany(
                    f"INSERT INTO articles ({', '.join(ARTICLE_COLS)}) VALUES ({marks})",
                    map(_lite, arts),
                )
                con.executemany(
                    "INSERT INTO article_sources (article_id, feed_id) VALUES (?, ?)",
                    [(a[0], a[4]) for a in arts],
                )
        con.execute("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
        con.execute("ANALYZE")
        con.commit()
    finally:
        con.close()
    return time.perf_counter() - t0


def _lite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Timestamps as SQLAlchemy writes them on SQLite (naive UTC, microseconds)."""
    return tuple(
        v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
        for v in row
    )


SETTLED = "brief_scale_settled"  # a marker table: the rows are stored as head stores them


def mark_settled(schema: str) -> None:
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE TABLE IF NOT EXISTS "{schema}".{SETTLED} (at timestamptz)'))
    finally:
        engine.dispose()


def settle(schema: str, days: int = 8) -> None:
    """A schema loaded before migration 0012 keeps ``search_lead`` out of line in its
    rows; rewrite the last ``days`` (every span timed), as a store has them a week after
    upgrading, then VACUUM ANALYZE. Loads from 0012 on are stored inline already."""
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT to_regclass(:t)"), {"t": f'"{schema}".{SETTLED}'}):
                return
        t0 = time.perf_counter()
        with engine.begin() as conn:
            done = conn.execute(
                text(f'UPDATE "{schema}".articles SET title = title WHERE published >= :since'),
                {"since": NOW - timedelta(days=days)},
            ).rowcount
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'VACUUM ANALYZE "{schema}".articles'))
        print(f"  {schema}: {done:,} recent rows rewritten in {time.perf_counter() - t0:.0f} s")
    finally:
        engine.dispose()
    mark_settled(schema)


def schema_ready(schema: str, n: int) -> bool:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            found = conn.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = :s AND tablename = :t"),
                {"s": schema, "t": "articles"},
            )
            if not found:
                return False
            return bool(conn.scalar(text(f'SELECT count(*) FROM "{schema}".articles')) == n)
    finally:
        engine.dispose()


def reset_schema(schema: str, drop_only: bool = False) -> None:
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if not drop_only:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


# ------------------------------------------------------- the search before issue 14


def old_ranked(
    self: search_mod.StorySearch,
    s: Session,
    terms: Sequence[tuple[str, bool]],
    since: datetime,
    now: datetime,
    page: int,
    offset: int,
    feeds: list[int] | None,
) -> list[tuple[int, int, float]]:
    """``StorySearch._ranked`` as of 28612e3: every match of the words is read, then
    the span filters them (PostgreSQL: the GIN bitmap alone drives, the published
    condition made non-indexable; SQLite: FTS5 walks every match)."""
    m = search_mod
    params: dict[str, Any] = {"since": since, "decay": m._DECAY, "max_age": m.MAX_AGE_H}
    params |= {"page": page, "offset": offset}
    scope = ""
    if feeds is not None:
        scope, params["feeds"] = SCOPE_SQL, feeds
    if self.dialect == "sqlite":
        params["q"] = m.fts5_query(terms)
        params["now_jd"] = now.timestamp() / 86400.0 + 2440587.5
        sql = f"""
            SELECT a.id, a.cluster_id,
                   -bm25(articles_fts, {m.TITLE_WEIGHT}, 1.0)
                   * exp(-:decay * min(:max_age,
                         max(0.0, (:now_jd - julianday(a.published)) * 24.0)))
                   AS score
            FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
            WHERE articles_fts MATCH :q AND a.published >= :since
              AND a.status = 'ok' AND a.cluster_id IS NOT NULL {scope}
            ORDER BY score DESC, a.published DESC, a.id DESC
            LIMIT :page OFFSET :offset"""
    else:
        s.execute(text("SET LOCAL enable_seqscan = off"))
        params["q"] = m.tsquery(terms)
        params["now"] = now
        sql = f"""
            SELECT a.id, a.cluster_id,
                   (ts_rank(a.search_lead, q, 1) + 0.01)
                   * exp(-:decay * least(:max_age, greatest(0.0,
                         extract(epoch FROM (:now - a.published))::float8 / 3600.0)))
                   AS score
            FROM articles a, to_tsquery('english', :q) AS q
            WHERE a.search @@ q
              AND a.published + interval '0 s' >= :since
              AND a.status = 'ok' AND a.cluster_id + 0 IS NOT NULL {scope}
            ORDER BY score DESC, a.published DESC, a.id DESC
            LIMIT :page OFFSET :offset"""
    stmt = text(sql).bindparams(*[ts_param(n) for n in ("since", "now") if n in params])
    if feeds is not None:
        stmt = stmt.bindparams(bindparam("feeds", expanding=True))
    return [(int(r[0]), int(r[1]), float(r[2])) for r in s.execute(stmt, params)]


NEW_RANKED = search_mod.StorySearch._ranked


@contextlib.contextmanager
def before() -> Iterator[None]:
    search_mod.StorySearch._ranked = old_ranked  # type: ignore[method-assign]
    try:
        yield
    finally:
        search_mod.StorySearch._ranked = NEW_RANKED  # type: ignore[method-assign]


# ----------------------------------------------------------------------- measuring

WORKSPACE = "slack:T0BENCH"  # reads the operator's sources: every article


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def queries(kind: str, count: int) -> list[tuple[str, str | None]]:
    """``count`` (topic, workspace) pairs: every topic, as the operator and as a workspace."""
    pairs = [(t, w) for t in TOPICS[kind] for w in (None, WORKSPACE)]
    return [pairs[i % len(pairs)] for i in range(count)]


def timed(store: Store, kind: str, window: timedelta, count: int) -> list[float]:
    out = []
    for topic, workspace in queries(kind, count):
        t0 = time.perf_counter()
        store.search(topic, since=NOW - window, limit=5, now=NOW, workspace=workspace)
        out.append((time.perf_counter() - t0) * 1000)
    return out


Row = tuple[str, str, str]  # (kind, window, impl)


Rounds = dict[Row, list[tuple[float, float]]]  # each round's (p50, p95)


def stories_of(store: Store, topic: str, window: timedelta, workspace: str | None) -> list[int]:
    hits = store.search(topic, since=NOW - window, limit=5, now=NOW, workspace=workspace)
    return [h.article_id for h in hits]


def same_stories(store: Store) -> None:
    """Before and after give the same stories, in the same order (and warm the caches)."""
    for kind in TOPICS:
        for topic, workspace in queries(kind, len(TOPICS[kind]) * 2):
            for window in WINDOWS.values():
                new = stories_of(store, topic, window, workspace)
                with before():
                    old = stories_of(store, topic, window, workspace)
                if new != old:
                    raise SystemExit(f"{topic!r} ({workspace}): before {old} != after {new}")


def measure(store: Store, rounds: int, count: int, before_count: int) -> Rounds:
    """Per (kind, window, impl): each round's p50 and p95; before/after alternate."""
    same_stories(store)
    stats: Rounds = {}
    for _ in range(rounds):
        for impl in ("before", "after"):
            for kind in TOPICS:
                for label, window in WINDOWS.items():
                    with before() if impl == "before" else contextlib.nullcontext():
                        xs = timed(store, kind, window, before_count if impl == "before" else count)
                    stats.setdefault((kind, label, impl), []).append(
                        (statistics.median(xs), percentile(xs, 95))
                    )
    return stats


def mid(rounds: list[tuple[float, float]]) -> tuple[float, float]:
    """The median over rounds of the p50s, and of the p95s."""
    return statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)


def shares(store: Store, n: int) -> str:
    """How many articles each frequent topic matches, in the store and in 48 h."""
    out = []
    with Session(store.engine) as s:
        for topic in TOPICS["frequent"][:3]:
            q = search_mod.tsquery(search_mod.query_terms(topic))
            match = "search @@ to_tsquery('english', :q)"
            total, recent = s.execute(
                text(
                    f"SELECT count(*), count(*) FILTER (WHERE published >= :since) "
                    f"FROM articles WHERE {match}"
                ).bindparams(ts_param("since")),
                {"q": q, "since": NOW - WINDOWS["48h"]},
            ).one()
            out.append(f"{topic} {total / n:.0%} ({recent:,} in 48 h)")
        span = s.scalar(
            text("SELECT count(*) FROM articles WHERE published >= :since").bindparams(
                ts_param("since")
            ),
            {"since": NOW - WINDOWS["48h"]},
        )
    return f"{span:,} articles in 48 h; " + ", ".join(out)


def explained(store: Store, topic: str = "said") -> str:
    """Where a frequent word's 48 h query spends: EXPLAIN (ANALYZE, BUFFERS) of the
    ranked statement as the search ran it (its SET LOCAL settings too), before and after."""
    out = []
    for impl in ("before", "after"):
        seen: list[tuple[str, Any]] = []

        def spy(_c: Any, _cur: Any, sql: str, params: Any, *_: Any, seen: list[Any] = seen) -> None:
            seen.append((sql, params))

        event.listen(store.engine, "before_cursor_execute", spy)
        try:
            with before() if impl == "before" else contextlib.nullcontext():
                stories_of(store, topic, WINDOWS["48h"], None)
        finally:
            event.remove(store.engine, "before_cursor_execute", spy)
        sql, params = next((q, p) for q, p in seen if "ORDER BY score DESC" in q)
        with store.engine.begin() as conn:
            for setting, _ in seen:
                if setting.startswith("SET LOCAL"):
                    conn.exec_driver_sql(setting)
            lines = [
                str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            ]
        buffers = next((ln.strip() for ln in lines if "Buffers:" in ln), "")
        took = next((ln.strip() for ln in lines if ln.startswith("Execution Time")), "")
        out.append(f"{impl}: {buffers}; {took}")
    return f"{topic!r} 48 h plan, " + " | ".join(out)


def report(label: str, n: int, note: str, stats: Rounds) -> None:
    print(f"\n{label} {n:,} articles ({note})")
    print(f"  {'kind':9} {'span':4}  {'before p50':>10} {'p95':>7}   {'after p50':>9} {'p95':>7}")
    for kind in TOPICS:
        for window in WINDOWS:
            b50, b95 = mid(stats[(kind, window, "before")])
            a50, a95 = mid(stats[(kind, window, "after")])
            print(f"  {kind:9} {window:4}  {b50:8.1f} ms {b95:7.1f}   {a50:7.1f} ms {a95:7.1f}")
    sys.stdout.flush()


def growth(results: dict[int, Rounds]) -> None:
    if len(results) < 2:
        return
    small, large = min(results), max(results)
    if small == large:
        return
    print(f"\ngrowth {large:,} / {small:,} (median p50 and p95 over rounds)")
    for kind in TOPICS:
        for window in WINDOWS:
            cells = []
            for impl in ("before", "after"):
                lo = mid(results[small][(kind, window, impl)])
                hi = mid(results[large][(kind, window, impl)])
                cells.append(f"{impl} p50 x{hi[0] / lo[0]:5.2f} p95 x{hi[1] / lo[1]:5.2f}")
            print(f"  {kind:9} {window:4}  " + "   ".join(cells))


def run_pg(sizes: list[int], args: argparse.Namespace) -> None:
    results: dict[int, Rounds] = {}
    for n in sizes:
        schema = f"brief_scale_{n}"
        if args.keep and schema_ready(schema, n):
            note = "reused"
            Store.open(pg_url(schema)).close()  # migrated to head, then settled
            settle(schema)
        else:
            reset_schema(schema)
            note = f"loaded in {load_pg(schema, n, args.per_day):.0f} s"
            mark_settled(schema)
        if args.load_only:
            print(f"{schema}: {note}")
            continue
        store = Store.open(pg_url(schema))
        try:
            note += "; " + shares(store, n)
            stats = measure(store, args.rounds, args.queries, args.before_queries)
            report("postgresql", n, note, stats)
            print("  " + explained(store), flush=True)
            results[n] = stats
        finally:
            store.close()
            if not args.keep:
                reset_schema(schema, drop_only=True)
    growth(results)


def run_sqlite(n: int, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "brief.db"
        note = f"loaded in {load_sqlite(path, n, args.per_day):.0f} s"
        store = Store.open(f"sqlite:///{path}")
        try:
            report("sqlite", n, note, measure(store, args.rounds, args.queries, args.queries))
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="article counts (PostgreSQL)")
    ap.add_argument("--per-day", type=int, default=8000, help="articles published a day")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=60, help="per kind, span and round")
    ap.add_argument("--before-queries", type=int, default=24, help="the same, before")
    ap.add_argument("--sqlite", type=int, metavar="N", help="also SQLite with N articles")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the schemas")
    ap.add_argument("--load-only", action="store_true", help="with --keep: load, do not time")
    args = ap.parse_args(argv)
    print(f"load average at start {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    if args.sqlite:
        run_sqlite(args.sqlite, args)
    if not args.no_pg:
        run_pg([int(x) for x in args.sizes.split(",")], args)
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
