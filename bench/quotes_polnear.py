"""Direct-quote and speaker extraction measured on PolNeAR (train and dev).

Gold: PolNeAR attributions flagged ``content_fully_quoted`` (content that starts
and ends with quotation marks), plus content fully inside NYT-style ''doubled
apostrophes'' or ‘single curly marks’, which that flag (double marks only) misses.
Each article is scored against ONE annotator: the one with the most attributions
for that article (ties: smallest id), so articles annotated six times are not
counted six times and annotators are never mixed.

Matching: a predicted quote (its span, marks excluded) matches a gold content when
their overlap covers at least 50% of the shorter of the two (gold length is the sum
of its content spans, marks included). Matching is many-to-many: a gold quote is
recalled if any prediction matches it; a prediction is correct if it matches any gold
quote (an interrupted quote we join may match two gold attributions).

* precision (full): correct / predicted non-partial quotes;
* precision (all): the same over every predicted quote, partials included;
* recall (any): gold quotes matched by any prediction, partials included;
* recall (full): gold quotes matched by a non-partial prediction;
* speaker acc: over matched gold quotes that have an annotated source, the fraction
  whose best-matching prediction has a ``speaker_span`` overlapping a source span.

The data is research-only: it is read from ``../shared/eval/polnear`` and never
copied into the repository.

Run: python bench/quotes_polnear.py [--data PATH] [--split train|dev|both] [--errors N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.models import Quote  # noqa: E402
from bot.nlp.quotes import extract_quotes  # noqa: E402

Span = tuple[int, int]


@dataclass
class Gold:
    spans: list[Span]
    sources: list[Span]
    text: str


@dataclass
class Tally:
    pred_full: int = 0
    pred_full_ok: int = 0
    pred_full_lenient: int = 0
    pred_all: int = 0
    pred_all_ok: int = 0
    gold: int = 0
    gold_any: int = 0
    gold_full: int = 0
    spk_total: int = 0
    spk_ok: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, o: Tally) -> None:
        for k in (
            "pred_full",
            "pred_full_ok",
            "pred_full_lenient",
            "pred_all",
            "pred_all_ok",
            "gold",
            "gold_any",
            "gold_full",
            "spk_total",
            "spk_ok",
        ):
            setattr(self, k, getattr(self, k) + getattr(o, k))
        self.ms.extend(o.ms)


def overlap(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def matches(q: Quote, g: Gold) -> bool:
    ov = sum(overlap(q.span, s) for s in g.spans)
    glen = sum(e - s for s, e in g.spans)
    qlen = q.span[1] - q.span[0]
    shorter = max(1, min(glen, qlen))
    return ov >= 0.5 * shorter


def load_gold(data: Path, split: str) -> dict[str, tuple[list[Gold], list[Span]]]:
    rows: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    with (data / "polnear_attributions.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["split"] == split:
                rows[r["article"]][r["annotator"]].append(r)
    texts = {p.stem for p in (data / split / "text").glob("*.txt")}
    out: dict[str, tuple[list[Gold], list[Span]]] = {}
    for art in sorted(texts):
        by_ann = rows.get(art, {})
        golds: list[Gold] = []
        other: list[Span] = []
        if by_ann:
            article = (data / split / "text" / f"{art}.txt").read_text(encoding="utf-8")
            ann = min(by_ann, key=lambda a: (-len(by_ann[a]), a))
            for r in by_ann[ann]:
                if not (r["content_fully_quoted"] or _quoted_other_marks(r, article)):
                    if r["content_has_quote_marks"] or _has_other_marks(r):
                        other.extend(tuple(s) for c in r["content"] for s in c["spans"])
                    continue
                spans = [tuple(s) for c in r["content"] for s in c["spans"]]
                sources = [tuple(s) for c in r["source"] for s in c["spans"]]
                text = " ".join(c["text"] for c in r["content"])
                golds.append(Gold(spans, sources, text))  # type: ignore[arg-type]
        out[art] = (golds, other)
    return out


def _quoted_other_marks(r: dict[str, Any], text: str) -> bool:
    """Fully quoted with NYT ''doubled apostrophes'' or single marks, which the flag misses.

    Annotated spans often cut one of the two apostrophes (``'I am going to be the
    nominee,''``), so a doubled mark may straddle the span boundary.
    """
    spans = [s for c in r["content"] for s in c["spans"]]
    if not spans:
        return False
    s, e = spans[0][0], min(spans[-1][1], len(text))
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e - s < 3:
        return False
    if text[s] == "‘" and text[e - 1] == "’":
        return True
    opens = text.startswith("''", s) or (text[s] == "'" and s > 0 and text[s - 1] == "'")
    closes = text[e - 2 : e] == "''" or (text[e - 1] == "'" and text[e : e + 1] == "'")
    return opens and closes


def _has_other_marks(r: dict[str, Any]) -> bool:
    """Content quoting with ''doubled apostrophes'' or ‘curly singles’ somewhere inside."""
    body = " ".join(c["text"] for c in r["content"])
    return "''" in body or ("‘" in body and "’" in body)


def evaluate(data: Path, split: str, errors: list[tuple[str, str, str]]) -> Tally:
    gold = load_gold(data, split)
    total = Tally()
    for art, (golds, other) in gold.items():
        text = (data / split / "text" / f"{art}.txt").read_text(encoding="utf-8")
        t0 = time.perf_counter()
        quotes = extract_quotes(text)
        total.ms.append((time.perf_counter() - t0) * 1000)
        t = Tally()
        t.pred_all = len(quotes)
        t.pred_full = sum(not q.partial for q in quotes)
        for q in quotes:
            ok = any(matches(q, g) for g in golds)
            t.pred_all_ok += ok
            if not q.partial:
                t.pred_full_ok += ok
                inside = sum(overlap(q.span, s) for s in other)
                t.pred_full_lenient += ok or inside >= 0.5 * (q.span[1] - q.span[0])
                if not ok:
                    errors.append(("fp", art, _ctx(text, q.span)))
        t.gold = len(golds)
        for g in golds:
            hits = [q for q in quotes if matches(q, g)]
            if not hits:
                errors.append(("fn", art, _ctx(text, (g.spans[0][0], g.spans[-1][1]))))
                continue
            t.gold_any += 1
            t.gold_full += any(not q.partial for q in hits)
            if g.sources:
                t.spk_total += 1
                best = max(hits, key=lambda q: sum(overlap(q.span, s) for s in g.spans))
                ok = best.speaker_span is not None and any(
                    overlap(best.speaker_span, s) > 0 for s in g.sources
                )
                t.spk_ok += ok
                if not ok:
                    got = (
                        text[best.speaker_span[0] : best.speaker_span[1]]
                        if best.speaker_span
                        else None
                    )
                    want = " | ".join(text[s:e] for s, e in g.sources)
                    errors.append(
                        (
                            "spk",
                            art,
                            f"got={got!r} want={want!r}\n    "
                            + _ctx(text, (g.spans[0][0], g.spans[-1][1]), 200),
                        )
                    )
        total.add(t)
    return total


def _ctx(text: str, span: Span, width: int = 120) -> str:
    s = max(0, span[0] - width)
    e = min(len(text), span[1] + width)
    body = text[s : span[0]] + "[[" + text[span[0] : span[1]] + "]]" + text[span[1] : e]
    return body.replace("\n", "⏎")


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "eval" / "polnear")
    ap.add_argument("--split", choices=("train", "dev", "both"), default="both")
    ap.add_argument("--errors", type=int, default=0, help="print N sampled errors of each kind")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    data: Path = args.data.resolve()
    if not (data / "polnear_attributions.jsonl").exists():
        print(f"no PolNeAR data at {data}", file=sys.stderr)
        return 2
    splits = ["train", "dev"] if args.split == "both" else [args.split]
    errors: list[tuple[str, str, str]] = []
    results: list[tuple[str, Tally]] = []
    combined = Tally()
    for split in splits:
        t = evaluate(data, split, errors)
        results.append((split, t))
        combined.add(t)
    if len(splits) > 1:
        results.append(("combined", combined))
    head = (
        f"{'split':<9} {'arts':>5} {'gold':>5} {'pred':>5} {'P full':>7} {'P len':>7} {'P all':>7} "
        f"{'R any':>7} {'R full':>7} {'spk acc':>8} {'ms/art':>7} {'p95 ms':>7}"
    )
    print(head)
    print("-" * len(head))
    for name, t in results:
        ms = sorted(t.ms)
        p95 = ms[int(0.95 * (len(ms) - 1))] if ms else 0.0
        print(
            f"{name:<9} {len(ms):>5} {t.gold:>5} {t.pred_full:>5} "
            f"{_ratio(t.pred_full_ok, t.pred_full):>7} "
            f"{_ratio(t.pred_full_lenient, t.pred_full):>7} {_ratio(t.pred_all_ok, t.pred_all):>7} "
            f"{_ratio(t.gold_any, t.gold):>7} {_ratio(t.gold_full, t.gold):>7} "
            f"{_ratio(t.spk_ok, t.spk_total):>8} {statistics.fmean(ms) if ms else 0:>7.2f} "
            f"{p95:>7.2f}"
        )
    print(
        "\nP full = precision of non-partial quotes; P len = the same, also counting a quote "
        "as right when it lies inside annotated content that has quote marks but is not "
        "fully quoted (paraphrase + quote); P all = with partials; R any = gold "
        "found by any quote; R full = by a non-partial quote; spk acc = speaker_span "
        "overlaps the gold source (matched gold with a source). Match = overlap >= 50% "
        "of the shorter span. One annotator per article (the one with most attributions)."
    )
    if args.errors:
        rnd = random.Random(args.seed)
        for kind in ("fp", "fn", "spk"):
            errs = [e for e in errors if e[0] == kind]
            print(f"\n== {kind}: {len(errs)} ==")
            for _, art, ctx in rnd.sample(errs, min(args.errors, len(errs))):
                print(f"- {art}: {ctx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
