"""Direct-quote and speaker extraction measured on PolNeAR (train and dev).

Two definitions are printed side by side; the first is the one to report.

**Held-out definition** (the one issue 11's held-out check uses):

* gold: every attribution whose content is entirely quoted, i.e. starts and ends
  with quotation marks: PolNeAR's ``content_fully_quoted`` flag (double marks),
  plus content wholly inside NYT-style ''doubled apostrophes'' or ‘curly singles’,
  which that flag misses (``--flag-only`` drops these, to see what they change);
* a predicted non-partial quote is right when its span overlaps (by one character
  or more) a gold content span;
* a prediction that is not right but lies inside any quoted content (annotated
  content that has quote marks but is not fully quoted: a paraphrase with a quote
  in it) is forgiven: it counts neither for nor against precision;
* P = right / (non-partial predictions − forgiven);
* R = gold with a non-partial prediction overlapping it;
* spk acc = over recalled gold with an annotated source, the fraction whose most
  overlapping non-partial prediction has a ``speaker_span`` overlapping a source span.

**Old definition** (kept for continuity with earlier figures): a prediction
matches a gold content when their overlap covers at least 50% of the shorter of
the two (gold length is the sum of its content spans, marks included); matching
is many-to-many.

* P full: correct / predicted non-partial quotes; P len: the same, also counting a
  quote inside quoted (not fully quoted) content as right; P all: every predicted
  quote, partials included;
* R any: gold matched by any prediction, partials included; R full: by a
  non-partial prediction;
* spk acc: as above, over gold matched by any prediction.

Each article is scored against ONE annotator: the one with the most attributions
for that article (ties: smallest id), so articles annotated six times are not
counted six times and annotators are never mixed (``--all-annotators`` takes the
union of every annotator's attributions instead).

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
    """Counts for the old definition (``pred_*``, ``gold_*``, ``spk_*``) and the
    held-out one (``h_*``)."""

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
    h_pred: int = 0
    h_right: int = 0
    h_forgiven: int = 0
    h_recalled: int = 0
    h_spk_total: int = 0
    h_spk_ok: int = 0
    ms: list[float] = field(default_factory=list)

    def add(self, o: Tally) -> None:
        for k in self.__dataclass_fields__:
            if k != "ms":
                setattr(self, k, getattr(self, k) + getattr(o, k))
        self.ms.extend(o.ms)


def overlap(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def matches(q: Quote, g: Gold) -> bool:
    """Old definition: the overlap covers half of the shorter span."""
    ov = sum(overlap(q.span, s) for s in g.spans)
    glen = sum(e - s for s, e in g.spans)
    qlen = q.span[1] - q.span[0]
    shorter = max(1, min(glen, qlen))
    return ov >= 0.5 * shorter


def touches(q: Quote, g: Gold) -> bool:
    """Held-out definition: any overlap with a gold content span."""
    return any(overlap(q.span, s) > 0 for s in g.spans)


def inside(q: Quote, contents: list[list[Span]]) -> bool:
    """The quote lies inside one quoted content (its spans together; marks and trimming
    aside: 90% of the quote)."""
    qlen = max(1, q.span[1] - q.span[0])
    return any(sum(overlap(q.span, s) for s in c) >= 0.9 * qlen for c in contents)


def _pick_rows(by_ann: dict[str, list[dict[str, Any]]], all_annotators: bool) -> list[Any]:
    if all_annotators:
        return [r for a in sorted(by_ann) for r in by_ann[a]]
    ann = min(by_ann, key=lambda a: (-len(by_ann[a]), a))
    return by_ann[ann]


def load_gold(
    data: Path, split: str, *, flag_only: bool = False, all_annotators: bool = False
) -> dict[str, tuple[list[Gold], list[list[Span]]]]:
    """Per article: the fully quoted gold attributions, and the spans of quoted content."""
    rows: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    with (data / "polnear_attributions.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["split"] == split:
                rows[r["article"]][r["annotator"]].append(r)
    texts = {p.stem for p in (data / split / "text").glob("*.txt")}
    out: dict[str, tuple[list[Gold], list[list[Span]]]] = {}
    for art in sorted(texts):
        by_ann = rows.get(art, {})
        golds: list[Gold] = []
        other: list[list[Span]] = []
        if by_ann:
            article = (data / split / "text" / f"{art}.txt").read_text(encoding="utf-8")
            for r in _pick_rows(by_ann, all_annotators):
                fully = r["content_fully_quoted"] or (
                    not flag_only and _quoted_other_marks(r, article)
                )
                if not fully:
                    if r["content_has_quote_marks"] or (not flag_only and _has_other_marks(r)):
                        other.append([tuple(s) for c in r["content"] for s in c["spans"]])
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


def _speaker_ok(q: Quote, g: Gold) -> bool:
    return q.speaker_span is not None and any(overlap(q.speaker_span, s) > 0 for s in g.sources)


def _score_old(
    text: str,
    art: str,
    quotes: list[Quote],
    golds: list[Gold],
    other: list[list[Span]],
    t: Tally,
    errors: list[tuple[str, str, str]],
) -> None:
    t.pred_all = len(quotes)
    t.pred_full = sum(not q.partial for q in quotes)
    for q in quotes:
        ok = any(matches(q, g) for g in golds)
        t.pred_all_ok += ok
        if not q.partial:
            t.pred_full_ok += ok
            lenient = sum(overlap(q.span, s) for c in other for s in c) >= 0.5 * (
                q.span[1] - q.span[0]
            )
            t.pred_full_lenient += ok or lenient
    t.gold = len(golds)
    for g in golds:
        hits = [q for q in quotes if matches(q, g)]
        if not hits:
            continue
        t.gold_any += 1
        t.gold_full += any(not q.partial for q in hits)
        if g.sources:
            t.spk_total += 1
            best = max(hits, key=lambda q: sum(overlap(q.span, s) for s in g.spans))
            t.spk_ok += _speaker_ok(best, g)


def _score_heldout(
    text: str,
    art: str,
    quotes: list[Quote],
    golds: list[Gold],
    other: list[list[Span]],
    t: Tally,
    errors: list[tuple[str, str, str]],
) -> None:
    full = [q for q in quotes if not q.partial]
    t.h_pred += len(full)
    for q in full:
        if any(touches(q, g) for g in golds):
            t.h_right += 1
        elif inside(q, other):
            t.h_forgiven += 1
        else:
            errors.append(("fp", art, _ctx(text, q.span)))
    for g in golds:
        hits = [q for q in full if touches(q, g)]
        if not hits:
            partial = any(touches(q, g) for q in quotes)
            kind = "fn-partial" if partial else "fn"
            errors.append((kind, art, _ctx(text, (g.spans[0][0], g.spans[-1][1]))))
            continue
        t.h_recalled += 1
        if not g.sources:
            continue
        t.h_spk_total += 1
        best = max(hits, key=lambda q: sum(overlap(q.span, s) for s in g.spans))
        if _speaker_ok(best, g):
            t.h_spk_ok += 1
            continue
        got = text[best.speaker_span[0] : best.speaker_span[1]] if best.speaker_span else None
        want = " | ".join(text[s:e] for s, e in g.sources)
        errors.append(
            (
                "spk",
                art,
                f"got={got!r} want={want!r}\n    "
                + _ctx(text, (g.spans[0][0], g.spans[-1][1]), 200),
            )
        )


def evaluate(data: Path, split: str, errors: list[tuple[str, str, str]], **opts: bool) -> Tally:
    gold = load_gold(data, split, **opts)
    total = Tally()
    for art, (golds, other) in gold.items():
        text = (data / split / "text" / f"{art}.txt").read_text(encoding="utf-8")
        t0 = time.perf_counter()
        quotes = extract_quotes(text)
        t = Tally(ms=[(time.perf_counter() - t0) * 1000])
        _score_old(text, art, quotes, golds, other, t, errors)
        _score_heldout(text, art, quotes, golds, other, t, errors)
        total.add(t)
    return total


def _ctx(text: str, span: Span, width: int = 120) -> str:
    s = max(0, span[0] - width)
    e = min(len(text), span[1] + width)
    body = text[s : span[0]] + "[[" + text[span[0] : span[1]] + "]]" + text[span[1] : e]
    return body.replace("\n", "⏎")


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def _print_tables(results: list[tuple[str, Tally]]) -> None:
    head = (
        f"{'split':<9} {'arts':>5} {'gold':>5} {'pred':>5} {'forgvn':>6} {'P':>7} {'R':>7} "
        f"{'spk acc':>8} {'ms/art':>7} {'p95 ms':>7}"
    )
    print("held-out definition (report this): any overlap; quotes inside quoted content forgiven")
    print(head)
    print("-" * len(head))
    for name, t in results:
        ms = sorted(t.ms)
        p95 = ms[int(0.95 * (len(ms) - 1))] if ms else 0.0
        print(
            f"{name:<9} {len(ms):>5} {t.gold:>5} {t.h_pred:>5} {t.h_forgiven:>6} "
            f"{_ratio(t.h_right, t.h_pred - t.h_forgiven):>7} {_ratio(t.h_recalled, t.gold):>7} "
            f"{_ratio(t.h_spk_ok, t.h_spk_total):>8} {statistics.fmean(ms) if ms else 0:>7.2f} "
            f"{p95:>7.2f}"
        )
    head = (
        f"{'split':<9} {'gold':>5} {'pred':>5} {'P full':>7} {'P len':>7} {'P all':>7} "
        f"{'R any':>7} {'R full':>7} {'spk acc':>8}"
    )
    print("\nold definition (continuity): overlap >= 50% of the shorter span")
    print(head)
    print("-" * len(head))
    for name, t in results:
        print(
            f"{name:<9} {t.gold:>5} {t.pred_full:>5} "
            f"{_ratio(t.pred_full_ok, t.pred_full):>7} "
            f"{_ratio(t.pred_full_lenient, t.pred_full):>7} {_ratio(t.pred_all_ok, t.pred_all):>7} "
            f"{_ratio(t.gold_any, t.gold):>7} {_ratio(t.gold_full, t.gold):>7} "
            f"{_ratio(t.spk_ok, t.spk_total):>8}"
        )
    print(
        "\nHeld-out: gold = attributions whose content is entirely quoted; P = right / "
        "(non-partial predictions - forgiven), right = overlaps a gold content span, "
        "forgiven = inside quoted (not fully quoted) content; R = gold overlapped by a "
        "non-partial prediction; spk acc = speaker_span overlaps the gold source. "
        "One annotator per article (the one with most attributions) unless --all-annotators."
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / ".." / "shared" / "eval" / "polnear")
    ap.add_argument("--split", choices=("train", "dev", "both"), default="both")
    ap.add_argument("--errors", type=int, default=0, help="print N sampled errors of each kind")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flag-only", action="store_true", help="gold = content_fully_quoted only")
    ap.add_argument("--all-annotators", action="store_true", help="every annotator's gold")
    args = ap.parse_args(argv)
    data: Path = args.data.resolve()
    if not (data / "polnear_attributions.jsonl").exists():
        print(f"no PolNeAR data at {data}", file=sys.stderr)
        return 2
    splits = ["train", "dev"] if args.split == "both" else [args.split]
    errors: list[tuple[str, str, str]] = []
    results: list[tuple[str, Tally]] = []
    combined = Tally()
    opts = {"flag_only": args.flag_only, "all_annotators": args.all_annotators}
    for split in splits:
        t = evaluate(data, split, errors, **opts)
        results.append((split, t))
        combined.add(t)
    if len(splits) > 1:
        results.append(("combined", combined))
    _print_tables(results)
    if args.errors:
        rnd = random.Random(args.seed)
        for kind in ("fp", "fn", "fn-partial", "spk"):
            errs = [e for e in errors if e[0] == kind]
            print(f"\n== {kind}: {len(errs)} ==")
            for _, art, ctx in rnd.sample(errs, min(args.errors, len(errs))):
                print(f"- {art}: {ctx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
