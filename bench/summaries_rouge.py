"""ROUGE of every summarizer against LEAD-k on CNN/DailyMail dev and BBC News Summary.

Runs the real pipeline (``clean`` → ``article_sentences`` → ``summarize``) for
``news`` and every sumy algorithm, plus the LEAD baselines, and prints one
table per dataset. Scores are rouge-score F1 ×100 with Porter stemming:

* ``R-Lsum`` is ROUGE-Lsum (summary-level LCS over sentences joined by
  newlines), the figure papers call "ROUGE-L" for CNN/DM;
* ``R-L`` is plain ROUGE-L (one LCS over the whole text as a single sequence).

Readability (news and the LEAD baselines): the chosen sentences that open with
a pronoun nothing before them resolves, photo captions and bylines, counted by
``readability`` below; and how often ``news`` picks exactly the first k sentences.

Baselines:

* ``lead-raw``: the first k sentences of the *raw* article, split with our own
  splitter paragraph by paragraph (no cleaning; the BBC headline line, which
  the dataset marks as the headline, is skipped);
* ``lead-lines`` (CNN/DM only): the first k of the dataset's ``article_lines``,
  the usual LEAD-3 definition in the literature.

The data is research-only: it is read from ``../shared/eval`` and never copied
into the repository.

Run: python bench/summaries_rouge.py [--limit N] [--bbc-limit N] [--cnndm PATH] [--bbc PATH]
(BBC defaults to a category-stratified 500 of its 2,225 articles to stay
under ~5 minutes on 2 cores; ``--bbc-limit 0`` scores all of them.)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rouge_score import rouge_scorer, tokenizers  # noqa: E402

from bot.nlp.summarize import ALGORITHMS, summarize  # noqa: E402
from bot.nlp.text.article import article_sentences  # noqa: E402
from bot.nlp.text.clean import clean  # noqa: E402
from bot.nlp.text.sentences import split_spans  # noqa: E402

# All 2,225 BBC pairs take about 7 minutes on 2 cores (ROUGE-L's LCS on the
# long references dominates), so the default is a stratified 500.
BBC_DEFAULT_LIMIT = 500

METRICS = ("rouge1", "rouge2", "rougeLsum", "rougeL")
HEADERS = ("R-1", "R-2", "R-Lsum", "R-L")


class _CachedTokenizer(tokenizers.Tokenizer):  # type: ignore[misc]
    """rouge-score's default tokenizer (lower-case, Porter stem), memoised:
    the same reference and the same lead sentences are scored many times."""

    def __init__(self) -> None:
        self._inner = tokenizers.DefaultTokenizer(use_stemmer=True)
        self._tok = lru_cache(maxsize=200_000)(self._inner.tokenize)

    def tokenize(self, text: str) -> list[str]:
        return list(self._tok(text))


_SCORER: Any = None


def _scorer() -> Any:
    global _SCORER
    if _SCORER is None:
        _SCORER = rouge_scorer.RougeScorer(list(METRICS), tokenizer=_CachedTokenizer())
    return _SCORER


# ---------------------------------------------------------------- detokenizing

_PTB = [
    (re.compile(r"-lrb-", re.I), "("),
    (re.compile(r"-rrb-", re.I), ")"),
    (re.compile(r"-lsb-", re.I), "["),
    (re.compile(r"-rsb-", re.I), "]"),
    (re.compile(r"-lcb-", re.I), "{"),
    (re.compile(r"-rcb-", re.I), "}"),
    (re.compile(r"``\s*"), "“"),
    (re.compile(r"\s*''"), "”"),
    (re.compile(r"`\s*"), "‘"),
    (re.compile(r"\(\s+"), "("),
    (re.compile(r"\s+\)"), ")"),
    (re.compile(r"\s+(n't|'s|'re|'ve|'m|'ll|'d)\b", re.I), r"\1"),
    (re.compile(r"\s+([.,;:!?%])"), r"\1"),
    (re.compile(r"([$£€#])\s+(?=\d)"), r"\1"),
    (re.compile(r"\s+(')(?=\s|$)"), r"\1"),
]


def detokenize(line: str) -> str:
    """Undo PTB tokenization in a CNN/DM highlight ("Locke 's" → "Locke's")."""
    out = line.strip()
    for pattern, repl in _PTB:
        out = pattern.sub(repl, out)
    out = re.sub(r"(?:\s*\.)+$", ".", out)  # the dataset's trailing " . ."
    return re.sub(r"\s{2,}", " ", out).strip()


# ---------------------------------------------------------------- data

_BBC_SPLIT = re.compile(r"(?<=[.!?])(?=[\"“]?[A-Z])")


@dataclass
class Item:
    dataset: str
    text: str
    reference: list[str]  # reference sentences
    lead_lines: list[str] = field(default_factory=list)  # cnndm article_lines
    skip_first_line: bool = False  # BBC: line 1 is the headline
    group: str = ""


def load_cnndm(path: Path, limit: int | None) -> list[Item]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    items = [
        Item(
            "cnndm",
            r["article"],
            [d for d in (detokenize(h) for h in r["highlights_lines"]) if d],
            lead_lines=list(r["article_lines"]),
            group=r["source"],
        )
        for r in rows
    ]
    return items[:limit] if limit else items


def _read(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # articles/sport/199.txt


def load_bbc(path: Path, limit: int | None) -> list[Item]:
    """BBC pairs; with ``limit``, a subset stratified by category (round-robin)."""
    by_cat: dict[str, list[Item]] = {}
    for cat_dir in sorted((path / "articles").iterdir()):
        if not cat_dir.is_dir():
            continue
        items = []
        for art in sorted(cat_dir.glob("*.txt")):
            summ = path / "summaries" / cat_dir.name / art.name
            ref = [s.strip() for s in _BBC_SPLIT.split(_read(summ).strip()) if s.strip()]
            items.append(Item("bbc", _read(art), ref, skip_first_line=True, group=cat_dir.name))
        by_cat[cat_dir.name] = items
    out: list[Item] = []
    queues = [list(v) for v in by_cat.values()]
    while any(queues) and (limit is None or len(out) < limit):
        for q in queues:
            if q and (limit is None or len(out) < limit):
                out.append(q.pop(0))
    return out


# ---------------------------------------------------------------- systems


def lead_raw(item: Item, k: int) -> list[str]:
    lines = [ln.strip() for ln in item.text.splitlines() if ln.strip()]
    if item.skip_first_line:
        lines = lines[1:]
    out: list[str] = []
    for ln in lines:
        for s, e in split_spans(ln):
            out.append(ln[s:e])
            if len(out) >= k:
                return out
    return out


# ---------------------------------------------------------------- readability
# What a reader would trip on in a digest line, counted in the chosen sentences.
# Written here, apart from the summarizer's own rules, so the check is not the
# rule grading itself:
#
# * pronoun: opens with he/she/they/him/her/his/their/them/it/its or a bare
#   this/that/these/those/such, and the summary's previous sentence is not the
#   article's previous one (so nothing before it says who or what that is);
# * caption: a photo caption's marks: "(left)", "(pictured)", "pictured", "(file
#   photo)", or a short label before a colon that opens it ("Happy couple: The…",
#   "WANTED: …");
# * byline: "By Jane Smith[, Political Editor]" alone, or "PUBLISHED:"/"UPDATED:".

_R_PRONOUN = re.compile(
    r"^[\"'“‘(]*(?:he|she|they|him|her|his|their|them|it|its|this|that|these|those|such)\b",
    re.IGNORECASE,
)
_R_CAPTION = re.compile(
    r"(?i:\((?:far |second |top |bottom |front |back )?(?:left|right|centre|center|middle|"
    r"pictured|above|below|top|bottom|inset|circled)\)|\bpictured\b"
    r"|\((?:file|stock) (?:photo|picture|image)\))"
    r"|^[\"“‘']?(?:[A-Z][a-z'’-]*(?: [a-z][\w'’-]*){0,3}|[A-Z][A-Z'’ -]{2,30}): [A-Z]"
)
_R_BYLINE = re.compile(
    r"^By (?:\. )?[A-Z][\w'’.-]*(?:[ ,]+(?:[A-Z][\w'’.-]*|and|for|of|the|in|at))*\.?$"
    r"|PUBLISHED:|UPDATED:"
)
READABILITY = ("pronoun", "caption", "byline")


def readability(chosen: list[tuple[int, str]]) -> dict[str, int]:
    """Counts of the three faults over (article index, text) pairs in summary order."""
    out = dict.fromkeys(READABILITY, 0)
    prev = None
    for index, text in chosen:
        if _R_PRONOUN.match(text) and (prev is None or prev != index - 1):
            out["pronoun"] += 1
        out["caption"] += bool(_R_CAPTION.search(text))
        out["byline"] += bool(_R_BYLINE.search(text))
        prev = index
    return out


def _score(reference: list[str], prediction: list[str]) -> dict[str, float]:
    ref = "\n".join(reference)
    pred = "\n".join(prediction)
    scores = _scorer().score(ref, pred)
    return {m: 100 * scores[m].fmeasure for m in METRICS}


def evaluate(item: Item, ks: tuple[str, ...]) -> dict[tuple[str, str], Any]:
    """Scores of every system on one article, for each k ("3" or "ref").

    Besides the (k, system) scores, (k, "read:<system>") holds the readability
    counts of news and the LEAD baselines, and (k, "news=lead") whether news
    chose exactly the article's first k sentences.
    """
    out: dict[tuple[str, str], Any] = {}
    doc = clean(item.text)
    sentences = article_sentences(doc)
    title = doc.title
    for kname in ks:
        k = 3 if kname == "3" else max(1, len(item.reference))
        for algorithm in ALGORITHMS:
            t0 = time.perf_counter()
            chosen = summarize(sentences, k, algorithm, "english", title)
            dt = time.perf_counter() - t0
            out[(kname, algorithm)] = (_score(item.reference, [s.text for s in chosen]), dt)
            if algorithm == "news":
                out[(kname, "read:news")] = readability([(s.index, s.text) for s in chosen])
                out[(kname, "news=lead")] = [s.index for s in chosen] == list(
                    range(min(k, len(sentences)))
                )
        raw = lead_raw(item, k)
        out[(kname, "lead-raw")] = (_score(item.reference, raw), 0.0)
        out[(kname, "read:lead-raw")] = readability(list(enumerate(raw)))
        if item.lead_lines:
            lines = item.lead_lines[:k]
            out[(kname, "lead-lines")] = (_score(item.reference, lines), 0.0)
            out[(kname, "read:lead-lines")] = readability(list(enumerate(lines)))
    return out


def _evaluate_all(items: list[Item], ks: tuple[str, ...], jobs: int) -> list[Any]:
    if jobs <= 1:
        return [evaluate(it, ks) for it in items]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(evaluate, items, [ks] * len(items), chunksize=8))


def _table(title: str, results: Iterable[dict[tuple[str, str], Any]], ks: tuple[str, ...]) -> str:
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * (len(METRICS) + 1))
    n = 0
    reads: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(READABILITY, 0)
    )
    same_as_lead: dict[str, int] = defaultdict(int)
    for res in results:
        n += 1
        for key, value in res.items():
            if key[1] == "news=lead":
                same_as_lead[key[0]] += value
                continue
            if key[1].startswith("read:"):
                for fault, count in value.items():
                    reads[key][fault] += count
                continue
            scores, dt = value
            acc = sums[key]
            for j, m in enumerate(METRICS):
                acc[j] += scores[m]
            acc[-1] += dt
    lines = [f"\n{title} ({n} articles)"]
    for kname in ks:
        label = "k = 3" if kname == "3" else "k = reference sentence count"
        lines.append(f"\n  {label}")
        lines.append(
            "  {:<12}".format("system")
            + "".join(f"{h:>8}" for h in HEADERS)
            + "{:>12}".format("ms/article")
        )
        rows = [(name, acc) for (kk, name), acc in sums.items() if kk == kname]
        rows.sort(key=lambda r: -r[1][0])
        for name, acc in rows:
            ms = f"{1000 * acc[-1] / n:>12.2f}" if acc[-1] else f"{'-':>12}"
            lines.append(f"  {name:<12}" + "".join(f"{v / n:>8.2f}" for v in acc[:-1]) + ms)
        lines.append(
            f"  news = the first sentences (LEAD) in {same_as_lead[kname]} of {n} articles "
            f"({100 * same_as_lead[kname] / max(1, n):.0f}%)"
        )
        lines.append(
            "  readability faults in the chosen sentences: "
            + ", ".join(
                f"{key[1][5:]} " + " ".join(f"{f}={c}" for f, c in counts.items())
                for key, counts in sorted(reads.items())
                if key[0] == kname
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cnndm", type=Path, default=ROOT / "../shared/eval/cnndm-dev")
    parser.add_argument("--bbc", type=Path, default=ROOT / "../shared/eval/bbc-news-summary")
    parser.add_argument("--limit", type=int, default=None, help="articles per dataset")
    parser.add_argument(
        "--bbc-limit",
        type=int,
        default=BBC_DEFAULT_LIMIT,
        help=f"BBC articles, stratified by category (default {BBC_DEFAULT_LIMIT}; 0 = all 2,225)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--only", choices=("cnndm", "bbc"), default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print("ROUGE F1 x100, rouge-score with Porter stemming.")
    print("R-Lsum = ROUGE-Lsum (sentences joined by newlines); R-L = plain ROUGE-L.")
    print("ms/article = time in summarize() alone (sentences already split).")
    if args.only in (None, "cnndm"):
        cnndm_file = args.cnndm / "cnndm_dev.jsonl" if args.cnndm.is_dir() else args.cnndm
        items = load_cnndm(cnndm_file, args.limit)
        res = _evaluate_all(items, ("3",), args.jobs)
        print(_table("CNN/DailyMail dev", res, ("3",)))
        for source in sorted({it.group for it in items}):
            part = [r for r, it in zip(res, items, strict=True) if it.group == source]
            print(_table(f"  of which {source}", part, ("3",)))
    if args.only in (None, "bbc"):
        limit = args.limit if args.limit is not None else (args.bbc_limit or None)
        items = load_bbc(args.bbc, limit)
        res = _evaluate_all(items, ("3", "ref"), args.jobs)
        subset = "" if limit is None else ", subset stratified by category"
        print(_table(f"BBC News Summary{subset}", res, ("3", "ref")))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
