"""Extraction quality on trafilatura's evaluation set: plain trafilatura vs extract_article.

Usage: python bench/extraction.py [--data ../shared/eval/trafilatura-eval] [--limit N]

Scoring mirrors upstream's tests/evaluate.py (eval_common.count_item): for
each page, a "with" segment found in the output (whitespace-normalised
substring) is a true positive, one missing a false negative; a "without"
segment found is a false positive, one missing a true negative. Scores are
over all segments of all pages.

Rows:
  trafilatura            extract(html, fast=False, include_comments=False,
                         include_tables=True, include_formatting=False): upstream's
                         "trafilatura" runner, no URL, text only
  bare+metadata          our trafilatura call (bare_extraction with metadata and URL),
                         raw text: shows the call itself costs nothing
  + clean                ... plus bot.nlp.text.clean furniture removal
  + no-article gate      ... plus the not-an-article detectors (rejected page = "")
  extract_article        the real function, text only (what we summarise)
  extract_article+title  its title and text, for information: upstream's
                         baseline does not output the title
The data is read in place and never copied into the repo.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import trafilatura

from bot.news.extract import clean_body, extract_article, not_an_article, trafilatura_document

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Matrix:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    seconds: float = 0.0
    empty: int = 0

    def add(self, item: dict[str, Any], output: str) -> None:
        out = norm(output)
        if not out:
            self.empty += 1
        tp = sum(1 for w in item["with"] if norm(w) in out)
        fp = sum(1 for w in item["without"] if norm(w) in out)
        self.tp += tp
        self.fp += fp
        self.fn += len(item["with"]) - tp
        self.tn += len(item["without"]) - fp

    def scores(self) -> tuple[float, float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        total = self.tp + self.fp + self.fn + self.tn
        acc = (self.tp + self.tn) / total if total else 0.0
        f = 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0
        return p, r, acc, f


def run_trafilatura(html: bytes, url: str) -> str:
    # the canonical upstream runner: no URL, so nothing depends on it
    return (
        trafilatura.extract(
            html,
            fast=False,
            include_comments=False,
            include_tables=True,
            include_formatting=False,
        )
        or ""
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/eval/trafilatura-eval")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--show-rejected", action="store_true")
    args = parser.parse_args(argv)

    evaldata: dict[str, dict[str, Any]] = json.loads(
        (args.data / "evaldata.json").read_text(encoding="utf-8")
    )
    items = list(evaldata.items())[: args.limit or None]
    rows = [
        "trafilatura",
        "bare+metadata",
        "+ clean",
        "+ no-article gate",
        "extract_article",
        "extract_article+title",
    ]
    m = {name: Matrix() for name in rows}
    rejected: Counter[str] = Counter()
    rejected_pages: list[tuple[str, str]] = []
    fell_back = 0

    def timed(name: str, fn: Callable[..., T], *args: Any) -> T:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            m[name].seconds += time.perf_counter() - start

    for i, (url, item) in enumerate(items, 1):
        if i % 100 == 0:
            print(f"{i}/{len(items)} pages", file=sys.stderr)
        html = gzip.decompress((args.data / "html" / f"{item['file']}.gz").read_bytes())

        base = timed("trafilatura", run_trafilatura, html, url)
        m["trafilatura"].add(item, base)

        doc = timed("bare+metadata", trafilatura_document, html, url)
        raw = unicodedata.normalize("NFC", doc.text or "") if doc else ""
        title = doc.title if doc else None
        m["bare+metadata"].add(item, raw)
        cleaned = clean_body(raw, title)
        m["+ clean"].add(item, cleaned)
        m["+ no-article gate"].add(item, "" if not_an_article(cleaned, title) else cleaned)

        result = timed("extract_article", extract_article, html, url)
        m["extract_article"].add(item, result.text)
        m["extract_article+title"].add(item, f"{result.title or ''}\n{result.text}")
        if not result.ok:
            rejected[re.sub(r"\(\d+ words\)", "(n words)", result.reason or "")] += 1
            rejected_pages.append((url, result.reason or ""))
        elif result.source == "feed":
            fell_back += 1

    n = len(items)
    print(
        f"\n{n} pages, {sum(len(it['with']) for _, it in items)} 'with' and "
        f"{sum(len(it['without']) for _, it in items)} 'without' segments "
        f"(trafilatura {trafilatura.__version__})"
    )
    print(
        f"{'':<24}{'precision':>10}{'recall':>8}{'accuracy':>9}{'F':>8}"
        f"{'TP':>6}{'FP':>6}{'FN':>6}{'TN':>6}{'empty':>7}{'ms/page':>9}"
    )
    for name in rows:
        mx = m[name]
        p, r, a, f = mx.scores()
        ms = f"{1000 * mx.seconds / n:9.1f}" if mx.seconds else f"{'':>9}"
        print(
            f"{name:<24}{p:>10.3f}{r:>8.3f}{a:>9.3f}{f:>8.4f}"
            f"{mx.tp:>6}{mx.fp:>6}{mx.fn:>6}{mx.tn:>6}{mx.empty:>7}{ms}"
        )
    print(
        "published (upstream docs, trafilatura 2.2.0 standard): P 0.906 R 0.943 Acc 0.923 F 0.924"
    )
    print(f"\nextract_article rejected {sum(rejected.values())} of {n} pages (no_article):")
    for reason, count in rejected.most_common():
        print(f"  {count:>4}  {reason}")
    if args.show_rejected:
        for url, reason in rejected_pages:
            print(f"  REJECTED {url}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
