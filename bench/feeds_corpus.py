"""Parse every file of the feed corpus and count what parsed, with what problems.

Usage: python bench/feeds_corpus.py [--data ../shared/eval/feeds] [--show-failed]

The corpus (see its README.md) mixes real feeds, edge cases and feedparser's
own test suite. The point is robustness: each file either parses or fails
with a reason; one bad file never stops the batch, and anything other than a
FeedError is a bug in bot.news.feeds, reported separately.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from bot.news.feeds import FeedError, looks_like_opml, parse_feed

REPO = Path(__file__).resolve().parent.parent
FEED_SUFFIXES = {".xml", ".atom", ".rss", ".rdf", ".json", ".html"}


def _reason_key(reason: str) -> str:
    """Group failure reasons: drop line numbers and the detail after a colon."""
    head, _, rest = reason.partition(":")
    if head.startswith("XML error at line"):
        return "XML error: " + rest.strip().split(" (")[0]
    return reason.split(" (")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "eval" / "feeds")
    parser.add_argument("--show-failed", action="store_true", help="list every failed file")
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args(argv)

    files = sorted(
        p for p in args.data.rglob("*") if p.is_file() and p.suffix.lower() in FEED_SUFFIXES
    )
    if not files:
        print(f"no feed files under {args.data}", file=sys.stderr)
        return 2
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    failed: list[tuple[Path, str]] = []
    crashes: list[tuple[Path, str]] = []
    entries = 0
    start = time.perf_counter()
    for path in files:
        data = path.read_bytes()
        url = "http://feeds.example.org/" + path.relative_to(args.data).as_posix()
        if looks_like_opml(data):
            counts["skipped (OPML)"] += 1
            continue
        try:
            feed = parse_feed(data, url)
        except FeedError as exc:
            counts["failed"] += 1
            reasons[_reason_key(str(exc))] += 1
            failed.append((path, str(exc)))
            continue
        except Exception:  # a bug in bot.news.feeds: count it, keep going
            counts["crashed"] += 1
            crashes.append((path, traceback.format_exc(limit=3)))
            continue
        kinds[feed.kind] += 1
        entries += len(feed.entries)
        if feed.problem:
            counts["parsed with warning"] += 1
            warnings[_reason_key(feed.problem)] += 1
        else:
            counts["parsed"] += 1
    elapsed = time.perf_counter() - start

    print(f"corpus: {args.data}  ({len(files)} files)")
    for key in ("parsed", "parsed with warning", "failed", "skipped (OPML)", "crashed"):
        print(f"  {key:<22}{counts[key]:>6}")
    print(f"  {'entries':<22}{entries:>6}")
    print(f"time: {elapsed:.2f} s ({1000 * elapsed / len(files):.2f} ms per file)")
    print("kinds: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))
    print(f"top failure reasons (of {sum(reasons.values())}):")
    for reason, n in reasons.most_common(args.top):
        print(f"  {n:>5}  {reason}")
    print(f"top warnings (of {sum(warnings.values())}):")
    for reason, n in warnings.most_common(args.top):
        print(f"  {n:>5}  {reason}")
    if args.show_failed:
        for path, reason in failed:
            print(f"FAILED {path.relative_to(args.data)}: {reason}")
    for path, tb in crashes:
        print(f"CRASH {path.relative_to(args.data)}\n{tb}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
