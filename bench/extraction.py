"""Extraction quality and time on trafilatura's evaluation set: plain trafilatura vs ours.

Usage: python bench/extraction.py [--data ../shared/eval/trafilatura-eval] [--limit N]
       [--rounds 3]

Scoring mirrors upstream's tests/evaluate.py (eval_common.count_item): for
each page, a "with" segment found in the output (whitespace-normalised
substring) is a true positive, one missing a false negative; a "without"
segment found is a false positive, one missing a true negative. Scores are
over all segments of all pages.

Rows:
  trafilatura            extract(html, fast=False, include_comments=False,
                         include_tables=True, include_formatting=False): upstream's
                         "trafilatura" runner, no URL, text only
  our trafilatura call   bare_extraction on the tree we parse once (URL, no metadata
                         pass), raw text: shows the call itself changes nothing
  + clean                ... plus bot.nlp.text.clean furniture removal
  + no-article gate      ... plus the not-an-article detectors (rejected page = "")
  extract_article        the real function, text only (what we summarise)
  extract_article+title  its title and text, for information: upstream's
                         baseline does not output the title
  +full metadata (time)  bare_extraction with trafilatura's whole metadata pass and
                         htmldate's extensive date search: the call extract_article
                         made before issue 14, timed for comparison

Time: every round runs each timed row on every page, the rows in turn and in a
rotating order (so no row always meets caches another warmed); ms/page is the
median of the rounds' means, and "x" the ratio to plain trafilatura in the same
round set. The first 20 pages warm up first, untimed (htmldate loads dateparser's
locale data on its first hard date). The machine may be shared: trust the ratios.

Metadata: extract_article's title, author, date and site against trafilatura's
full pass read the same way (PageMeta.of), on the pages where the full pass has
the field: how often they agree and how often ours has none.
The data is read in place and never copied into the repo.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.settings import Document

from bot.news.extract import (
    Extracted,
    PageMeta,
    clean_body,
    extract_article,
    not_an_article,
    page_metadata,
    parse_page,
    trafilatura_document,
)

REPO = Path(__file__).resolve().parent.parent
WARM_UP = 20
FULL_DATE_PARAMS = {"extensive_search": True, "original_date": True,
                    "outputformat": "%Y-%m-%dT%H:%M:%S%z"}  # fmt: skip


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class Matrix:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    empty: int = 0
    rounds: list[float] = field(default_factory=list)  # mean seconds per page, per round

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


def run_full_metadata(html: bytes, url: str) -> Document | None:
    """The call extract_article made before issue 14: text plus trafilatura's whole
    metadata pass, with htmldate's extensive date search."""
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_formatting=False,
        date_extraction_params=FULL_DATE_PARAMS,
    )
    return doc if isinstance(doc, Document) else None


TIMED: dict[str, Callable[[bytes, str], Any]] = {
    "trafilatura": run_trafilatura,
    "extract_article": extract_article,
    "+full metadata (time)": run_full_metadata,
}


def timed_round(pages: list[tuple[str, bytes]], shift: int) -> tuple[dict[str, float], list[Any]]:
    """Each timed row on every page, in a rotating order; the mean seconds per page of
    each row, and every row's outputs (page by page)."""
    names = list(TIMED)
    total = dict.fromkeys(names, 0.0)
    outputs: list[Any] = []
    for i, (url, html) in enumerate(pages):
        k = (i + shift) % len(names)
        out: dict[str, Any] = {}
        for name in names[k:] + names[:k]:
            start = time.perf_counter()
            out[name] = TIMED[name](html, url)
            total[name] += time.perf_counter() - start
        outputs.append(out)
    return {name: total[name] / max(len(pages), 1) for name in names}, outputs


@dataclass
class Agreement:
    same: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    has: Counter[str] = field(default_factory=Counter)

    def add(self, ours: Extracted, full: Document | None, url: str) -> None:
        if full is None:
            return
        theirs = PageMeta.of(full, url)
        for name in ("title", "author", "published", "site"):
            value = getattr(theirs, name)
            if value is None:
                continue
            mine = getattr(ours, name)
            self.has[name] += 1
            self.same[name] += mine == value
            self.missing[name] += mine is None


def ablation(m: dict[str, Matrix], item: dict[str, Any], html: bytes, url: str) -> None:
    """The rows between trafilatura and extract_article, one step at a time (untimed)."""
    tree = parse_page(html)
    doc = trafilatura_document(tree, url) if tree is not None else None
    raw = unicodedata.normalize("NFC", doc.text or "") if doc else ""
    title = page_metadata(tree, url).title if tree is not None and doc else None
    m["our trafilatura call"].add(item, raw)
    cleaned = clean_body(raw, title)
    m["+ clean"].add(item, cleaned)
    m["+ no-article gate"].add(item, "" if not_an_article(cleaned, title) else cleaned)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/eval/trafilatura-eval")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--show-rejected", action="store_true")
    args = parser.parse_args(argv)

    evaldata: dict[str, dict[str, Any]] = json.loads(
        (args.data / "evaldata.json").read_text(encoding="utf-8")
    )
    items = list(evaldata.items())[: args.limit or None]
    pages = [
        (url, gzip.decompress((args.data / "html" / f"{item['file']}.gz").read_bytes()))
        for url, item in items
    ]
    rows = [
        "trafilatura",
        "our trafilatura call",
        "+ clean",
        "+ no-article gate",
        "extract_article",
        "extract_article+title",
        "+full metadata (time)",
    ]
    m = {name: Matrix() for name in rows}
    agree = Agreement()
    rejected: Counter[str] = Counter()
    rejected_pages: list[tuple[str, str]] = []

    timed_round(pages[:WARM_UP], 0)
    for r in range(max(args.rounds, 1)):
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
        means, outputs = timed_round(pages, r)
        for name, mean in means.items():
            m[name].rounds.append(mean)
        if r:
            continue
        for (url, item), (_, html), out in zip(items, pages, outputs, strict=True):
            m["trafilatura"].add(item, out["trafilatura"])
            result: Extracted = out["extract_article"]
            m["extract_article"].add(item, result.text)
            m["extract_article+title"].add(item, f"{result.title or ''}\n{result.text}")
            agree.add(result, out["+full metadata (time)"], url)
            if not result.ok:
                rejected[re.sub(r"\(\d+ words\)", "(n words)", result.reason or "")] += 1
                rejected_pages.append((url, result.reason or ""))
            ablation(m, item, html, url)
    report(m, rows, items, agree, args.rounds)
    print(
        f"\nextract_article rejected {sum(rejected.values())} of {len(items)} pages (no_article):"
    )
    for reason, count in rejected.most_common():
        print(f"  {count:>4}  {reason}")
    if args.show_rejected:
        for url, reason in rejected_pages:
            print(f"  REJECTED {url}: {reason}")
    return 0


def report(
    m: dict[str, Matrix],
    rows: list[str],
    items: list[tuple[str, dict[str, Any]]],
    agree: Agreement,
    rounds: int,
) -> None:
    print(
        f"\n{len(items)} pages, {sum(len(it['with']) for _, it in items)} 'with' and "
        f"{sum(len(it['without']) for _, it in items)} 'without' segments "
        f"(trafilatura {trafilatura.__version__}); time: median of {rounds} rounds"
    )
    print(
        f"{'':<24}{'precision':>10}{'recall':>8}{'accuracy':>9}{'F':>8}"
        f"{'TP':>6}{'FP':>6}{'FN':>6}{'TN':>6}{'empty':>7}{'ms/page':>9}{'x':>7}"
    )
    base = statistics.median(m["trafilatura"].rounds)
    for name in rows:
        mx = m[name]
        p, r, a, f = mx.scores()
        quality = (
            f"{p:>10.3f}{r:>8.3f}{a:>9.3f}{f:>8.4f}{mx.tp:>6}{mx.fp:>6}{mx.fn:>6}{mx.tn:>6}"
            f"{mx.empty:>7}"
            if mx.tp + mx.fp + mx.fn + mx.tn
            else f"{'':>66}"
        )
        timing = ""
        if mx.rounds:
            med = statistics.median(mx.rounds)
            timing = f"{1000 * med:9.1f}{med / base:7.2f}"
        print(f"{name:<24}{quality}{timing}")
    for name in ("trafilatura", "extract_article", "+full metadata (time)"):
        each = ", ".join(f"{1000 * x:.1f}" for x in m[name].rounds)
        print(f"  rounds, ms/page, {name}: {each}")
    print(
        "published (upstream docs, trafilatura 2.2.0 standard): P 0.906 R 0.943 Acc 0.923 F 0.924"
    )
    print("\nmetadata against trafilatura's full pass (pages where it has the field):")
    for name in ("title", "author", "published", "site"):
        print(
            f"  {name:<10} same {agree.same[name]:>4} of {agree.has[name]:>4}, "
            f"none in ours {agree.missing[name]:>4}"
        )


if __name__ == "__main__":
    sys.exit(main())
