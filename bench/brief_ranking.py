"""nDCG@5 of /brief's ranking on a small judged set (issue 11 item 5: "ranking ignores the
headline"): does a story about the topic come before one that mentions it in passing?

Ingests the judged set's feeds (``tests/fixtures/ranking/feedjira_judged.json``; the feeds
are feedjira's samples, copied under tests/fixtures/feeds/feedjira) from their own text,
nothing fetched, into a fresh database, and asks ``Store.search`` for each topic the way
a brief does (``build_brief``'s search, 5 stories). Two clocks: ``today`` is the user's case
(``newsbrief brief canada --since 9000d`` years after the feeds), ``fresh`` asks a day
after the newest judged story. Gains are 2^grade - 1, the ideal is the judged grades sorted.

    .venv/bin/python bench/brief_ranking.py [--database-url URL] [--feeds DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.news.ingest import Ingester  # noqa: E402
from bot.store import Store  # noqa: E402

JUDGED = ROOT / "tests/fixtures/ranking/feedjira_judged.json"
FEEDS = ROOT / "tests/fixtures/feeds/feedjira"  # in the repository: runs on a fresh clone
EVER = datetime(1970, 1, 1, tzinfo=UTC)
K = 5


def ndcg(ranked: list[str], grades: dict[str, int], k: int = K) -> float:
    def dcg(gains: list[int]) -> float:
        return sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(h, 0) for h in ranked]) / ideal if ideal else 0.0


def run(store: Store, topics: dict[str, dict[str, int]], now: datetime) -> dict[str, float]:
    scores = {}
    for topic, grades in topics.items():
        hits = store.search(topic, since=EVER, limit=K, now=now)
        scores[topic] = ndcg([h.headline for h in hits], grades)
    return scores


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    ap.add_argument("--feeds", type=Path, default=FEEDS)
    args = ap.parse_args(argv)
    judged = json.loads(JUDGED.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.database_url or f"sqlite:///{Path(tmp) / 'ranking.db'}")
        try:
            paths = [str(args.feeds / f) for f in judged["feeds"]]
            asyncio.run(Ingester(store, None).ingest(paths))
            judged_titles = {t for grades in judged["topics"].values() for t in grades}
            found = store.recent(EVER, limit=100)
            newest = max(src.published for h in found for src in h.sources
                         if src.title in judged_titles)  # fmt: skip
            clocks = {"today": datetime.now(UTC), "fresh": newest + timedelta(days=1)}
            results = {name: run(store, judged["topics"], now) for name, now in clocks.items()}
        finally:
            store.close()
    print(f"nDCG@{K} per topic ({store.dialect}):")
    print(f"{'topic':<10} " + " ".join(f"{name:>7}" for name in results))
    for topic in judged["topics"]:
        print(f"{topic:<10} " + " ".join(f"{r[topic]:7.3f}" for r in results.values()))
    means = [sum(r.values()) / len(r) for r in results.values()]
    print(f"{'mean':<10} " + " ".join(f"{m:7.3f}" for m in means))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
