"""Latency of the brief query (``Store.search``) with 10,000 and 100,000 stored articles.

Fills a fresh database with synthetic articles (a Zipf-distributed vocabulary of
common English words, syllable-made rare words, and place/person/subject names that
headlines and leads are built around), spread over 30 days and grouped into story
clusters of 1 to 6 outlets. Rows are bulk-inserted with Core, so the full-text index
is built (SQLite triggers / PostgreSQL generated column) but no NLP runs: what is
timed is the query. Then it runs a mix of topics (frequent, rare, prefix, multiword,
no-hit) over 24 h / 3 day / 7 day windows, plus ``Store.recent`` (the no-news
fallback), and prints p50/p95 per size and kind.

    python bench/brief_latency.py                       # SQLite, 10k and 100k
    python bench/brief_latency.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/brief_latency.py --sizes 10000 --no-sqlite --pg URL
    python bench/brief_latency.py --sizes 10000 --ingest 2000   # also upserts/s

PostgreSQL runs in a throwaway schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from bot.store import ArticleRecord, FeedState, Store
from bot.store.schema import Article, ArticleSource, Cluster
from bot.store.sources import OPERATOR, Via

NOW = datetime(2025, 6, 30, 12, tzinfo=UTC)
SPAN = timedelta(days=30)
TARGET_P95_MS = 200.0

COMMON = """the of and to a in that is was he for it with as his on be at by i this had
not are but from or have an they which one you were her all she there would their we him
been has when who will more no if out so said what up its about into than them can only
other new some could time these two may then do first any my now such like our over man
me even most made after also did many before must through back years where much your way
well down should because each just those people how too little state good very make world
still own see men work long get here between both life being under never day same another
know while last might us great old year off come since against go came right used take
three government officials police court week month report told city country minister
president party election vote talks deal market prices economy trade security military
forces attack killed health water energy oil gas climate company companies bank rates
inflation budget tax plan law bill support leaders meeting summit agreement sanctions
border crisis war peace troops missile nuclear talks protest protesters rights judge
investigation statement spokesman announced expected according reported increase""".split()
PLACES = """South_Korea North_Korea Japan China Taiwan India Pakistan Iran Iraq Israel Gaza
Ukraine Russia Germany France Britain Spain Italy Poland Turkey Egypt Nigeria Kenya
Ethiopia Brazil Mexico Argentina Canada Australia Indonesia Vietnam Philippines Thailand
Syria Lebanon Yemen Sudan Venezuela Colombia Chile Peru Greece Sweden Norway Hungary
Serbia Georgia Armenia Azerbaijan Kazakhstan""".split()
PEOPLE = """Lee Kim Xi Modi Putin Zelensky Macron Scholz Sunak Starmer Erdogan Lula
Milei Trudeau Albanese Widodo Marcos Netanyahu Khamenei Sisi Ruto Tinubu Meloni Sanchez
Tusk Orban Vucic Aliyev Pashinyan Tokayev Biden Trump Harris Yellen Blinken Guterres
Lagarde Powell Ishiba Prabowo""".split()
SUBJECTS = """election floods earthquake summit sanctions strike tariffs inflation protests
ceasefire wildfire heatwave drought vaccine outbreak budget referendum coup missile
talks merger layoffs verdict scandal satellite pipeline""".split()
SYLLABLES = "ka ri to mo ne sa lu vi den bar tel son gra pol mer zan qui ost lem fin".split()

TOPICS: dict[str, list[str]] = {
    "frequent": ["government", "election", "economy", "police"],
    "rare": ["armenia", "kazakhstan referendum", "tokayev", "pashinyan"],
    "prefix": ["korea", "ukrain", "elect", "infla"],
    "multiword": ["south korea election", "china trade tariffs", "iran nuclear talks"],
    "no-hit": ["zyzzyva", "quetzalcoatl spaceport"],
}
WINDOWS = [timedelta(hours=24), timedelta(days=3), timedelta(days=7)]


def vocabulary(rng: random.Random, size: int = 30_000) -> tuple[list[str], list[float]]:
    """Common words first, then made-up rare words; Zipf weights by rank."""
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < size:
        w = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    cum: list[float] = []
    total = 0.0
    for rank in range(1, len(words) + 1):
        total += 1.0 / rank**1.07
        cum.append(total)
    return words, cum


class Corpus:
    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words, self.cum = vocabulary(self.rng)

    def sentence(self, names: list[str]) -> str:
        rng = self.rng
        body = rng.choices(self.words, cum_weights=self.cum, k=rng.randint(12, 28))
        for name in names:
            if rng.random() < 0.5:
                body.insert(rng.randrange(len(body)), name)
        s = " ".join(body)
        return s[0].upper() + s[1:] + "."

    def story(self) -> tuple[str, str, list[str]]:
        """A headline, a lead-heavy text (250-600 words) and its names."""
        rng = self.rng
        place = rng.choice(PLACES).replace("_", " ")
        person = rng.choice(PEOPLE)
        subject = rng.choice(SUBJECTS)
        names = [place, person, subject]
        title = f"{place} {subject}: {person} " + " ".join(
            rng.choices(self.words[:400], k=rng.randint(2, 5))
        )
        sentences: list[str] = []
        n_words = 0
        goal = rng.randint(250, 600)
        while n_words < goal:
            s = self.sentence(names)
            sentences.append(s)
            n_words += s.count(" ") + 1
        paras = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
        return title, "\n\n".join(paras), names


def analysis(text_: str) -> dict[str, Any]:
    sents = text_.split(". ")[:3]
    return {
        "title": None,
        "summary": [{"text": s.strip() + ".", "index": i} for i, s in enumerate(sents)],
        "quotes": [{"text": sents[-1][:80], "speaker": "A Spokesman", "cue": "said"}],
        "algorithm": "news",
        "language": "english",
        "all_quotes": [],
    }


def rows(n: int, corpus: Corpus) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(cluster, [articles]) until ``n`` articles, newest last."""
    rng = corpus.rng
    made = 0
    cluster_id = 0
    while made < n:
        cluster_id += 1
        size = min(n - made, rng.choice([1, 1, 1, 1, 1, 2, 2, 3, 4, 6]))
        title, body, _ = corpus.story()
        start = NOW - SPAN + SPAN * (made / n)
        arts: list[dict[str, Any]] = []
        for k in range(size):
            made += 1
            published = start + timedelta(minutes=rng.randint(0, 600))
            variant = body if k == 0 else corpus.story()[1][:400] + "\n\n" + body[400:]
            arts.append(
                {
                    "id": made,
                    "canonical_url": f"https://site{k}.example/{cluster_id}/{made}",
                    "url": f"https://site{k}.example/{cluster_id}/{made}",
                    "guid": None,
                    "feed_id": k,  # the k-th site's feed: fill() puts the stored id here
                    "title": title if k == 0 else f"{title} ({k})",
                    "text": variant,
                    "author": None,
                    "site": f"site{k}.example",
                    "published": published,
                    "fetched_at": published,
                    "updated_at": published,
                    "content_hash": uuid.uuid4().hex,
                    "status": "ok",
                    "analysis": analysis(variant),
                    "cluster_id": cluster_id,
                }
            )
        times: list[datetime] = [a["published"] for a in arts]
        cluster = {
            "id": cluster_id,
            "headline": title,
            "first_seen": min(times),
            "last_seen": max(times),
            "size": size,
        }
        yield cluster, arts


def fill(store: Store, n: int, seed: int = 7) -> float:
    corpus = Corpus(seed)
    t0 = time.perf_counter()
    batch_c: list[dict[str, Any]] = []
    batch_a: list[dict[str, Any]] = []
    # Every site's feed is one of the operator's sources, shared by every workspace.
    feeds = [
        store.save_feed(FeedState(url=f"https://site{k}.example/feed"), Via(owner=OPERATOR)).id
        for k in range(6)
    ]

    def flush() -> None:
        with store.engine.begin() as conn:
            conn.execute(insert(Cluster), batch_c)
            conn.execute(insert(Article), batch_a)
            links = [{"article_id": a["id"], "feed_id": a["feed_id"]} for a in batch_a]
            conn.execute(insert(ArticleSource), links)
        batch_c.clear()
        batch_a.clear()

    for cluster, arts in rows(n, corpus):
        batch_c.append(cluster)
        batch_a.extend({**a, "feed_id": feeds[a["feed_id"]]} for a in arts)
        if len(batch_a) >= 2000:
            flush()
    if batch_a:
        flush()
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("ANALYZE")
            for table in ("articles", "clusters"):  # ids were given explicitly
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        else:
            conn.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('optimize')")
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - t0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(store: Store, repeats: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {kind: [] for kind in [*TOPICS, "recent"]}
    for topics in TOPICS.values():  # warm the cache once
        for t in topics:
            store.search(t, since=NOW - WINDOWS[-1], limit=5, now=NOW)
    for _ in range(repeats):
        for kind, topics in TOPICS.items():
            for topic in topics:
                for window in WINDOWS:
                    t0 = time.perf_counter()
                    store.search(topic, since=NOW - window, limit=5, now=NOW)
                    timings[kind].append((time.perf_counter() - t0) * 1000)
        for window in WINDOWS:  # the fallback when a topic has no news
            t0 = time.perf_counter()
            store.recent(NOW - window, limit=5, now=NOW)
            timings["recent"].append((time.perf_counter() - t0) * 1000)
    return timings


def report(label: str, n: int, fill_s: float, timings: dict[str, list[float]]) -> float:
    every = [x for xs in timings.values() for x in xs]
    p95 = percentile(every, 95)
    verdict = "ok" if p95 <= TARGET_P95_MS else f"OVER {TARGET_P95_MS:.0f} ms"
    print(
        f"{label:10} {n:>7,} articles (filled in {fill_s:5.1f} s): "
        f"p50 {statistics.median(every):6.1f} ms  p95 {p95:6.1f} ms  "
        f"max {max(every):6.1f} ms  [{verdict}]"
    )
    for kind, xs in timings.items():
        print(
            f"{'':10}   {kind:9} p50 {statistics.median(xs):6.1f} ms  "
            f"p95 {percentile(xs, 95):6.1f} ms  ({len(xs)} queries)"
        )
    sys.stdout.flush()
    return p95


def ingest_rate(url: str, n: int) -> None:
    """Articles per second through ``upsert_article`` (dedupe + clustering, no NLP)."""
    corpus = Corpus(11)
    records = []
    for _, arts in rows(n, corpus):
        for a in arts:
            records.append(
                ArticleRecord(
                    url=a["url"],
                    title=a["title"],
                    text=a["text"],
                    site=a["site"],
                    published=a["published"],
                    analysis=a["analysis"],
                )
            )
    store = Store.open(url)
    try:
        t0 = time.perf_counter()
        for r in records:
            store.upsert_article(r, now=NOW)
        took = time.perf_counter() - t0
        c = store.counts()
        print(
            f"ingest     {n:>7,} upserts into {store.dialect}: {n / took:6.0f}/s "
            f"({took / n * 1000:.1f} ms each), {c.clusters:,} clusters"
        )
    finally:
        store.close()


def run_sqlite(sizes: list[int], repeats: int) -> list[float]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bench-{n}.db"
            store = Store.open(f"sqlite:///{path}")
            try:
                fill_s = fill(store, n)
                out.append(report("sqlite", n, fill_s, measure(store, repeats)))
            finally:
                store.close()
    return out


def run_pg(url: str, sizes: list[int], repeats: int, keep: bool = False) -> list[float]:
    out = []
    admin = create_engine(url)
    try:
        for n in sizes:
            schema = f"nb_bench_{n}" if keep else f"nb_bench_{uuid.uuid4().hex[:8]}"
            with admin.begin() as conn:
                if keep:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in url else "?"
            store = Store.open(f"{url}{sep}options=-csearch_path%3D{schema}")
            try:
                fill_s = fill(store, n)
                out.append(report("postgresql", n, fill_s, measure(store, repeats)))
            finally:
                store.close()
                if not keep:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated article counts")
    ap.add_argument("--repeats", type=int, default=3, help="passes over the topic mix")
    ap.add_argument("--pg", metavar="URL", help="also run against this PostgreSQL database")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL schema nb_bench_N to inspect"
    )
    ap.add_argument("--ingest", type=int, metavar="N", help="also time N upserts (SQLite)")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    if args.ingest:
        with tempfile.TemporaryDirectory() as tmp:
            ingest_rate(f"sqlite:///{Path(tmp) / 'ingest.db'}", args.ingest)
    p95s: list[float] = []
    if not args.no_sqlite:
        p95s += run_sqlite(sizes, args.repeats)
    if args.pg:
        p95s += run_pg(args.pg, sizes, args.repeats, args.keep)
    return 0 if all(p <= TARGET_P95_MS for p in p95s) else 1


if __name__ == "__main__":
    raise SystemExit(main())
