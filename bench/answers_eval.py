"""Follow-up answers on a question set written by readers (followups-dev and its kind).

Every question goes through the evaluation interface, ``newsbrief ask --batch``
(in process by default: the same function, ``answer_batch``; ``--cli`` runs the
command itself). The articles are written to files first, as a user would have them.

* standalone: a question in a thread that holds its one article;
* follow-up: asked after the question it ``follows``, in the same conversation;
* unanswerable: right when the answer is an "I don't know" (not confident);
* thread: asked in a five-story digest thread, in order in one conversation
  (``thread``), and again each as the first question of its thread (``thread, fresh``).

An answer is right when it is confident and holds every ``answer_contains`` string,
both compared after ``normalise`` (case, spacing, curly quotes, number forms).
The confusion table counts wrong confident answers against wrong refusals.

Run: python bench/answers_eval.py --set FOLLOWUPS_JSON --articles CNNDM_JSONL [-v] [--cli]
     [--misses PATH]   (every miss as JSON, for a diagnosis)
     [--answers PATH]  (every answer as JSON, to diff two runs)
     [--diagnose]      (the stage that lost each miss: bench/answers_diagnosis.py)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from num2words import num2words

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.nlp.answers.batch import answer_batch  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
DEFAULT_SET = SHARED / "followups-dev" / "followups_dev.json"
DEFAULT_ARTICLES = SHARED / "cnndm-dev" / "cnndm_dev.jsonl"

# ------------------------------------------------------------------ normalising

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-"})


@cache
def _number_words() -> tuple[re.Pattern[str], dict[str, str]]:
    """Number words to digits, the table made by num2words (cardinals 0-100 and the
    first hundred ordinals), so that "seventeen" and "17", "first" and "1st" meet."""
    table: dict[str, str] = {}
    for n in range(101):
        for word, digits in (
            (num2words(n), str(n)),
            (num2words(n, to="ordinal"), num2words(n, to="ordinal_num")),
        ):
            table[word] = digits
            table[word.replace("-", " ")] = digits
    words = sorted(table, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b"), table


def normalise(text: str) -> str:
    """Lower case, straight quotes, one space, digits for number words, "£446 million" =
    "£446million", "1,200" = "1200", "5 per cent" = "5%"."""
    text = text.translate(_QUOTES).translate(_DASHES).lower()
    pattern, table = _number_words()
    text = pattern.sub(lambda m: table[m.group(0)], text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"\bper\s*cent\b|%", "percent", text)
    text = re.sub(r"(?<=\d)\s+(?=(?:million|billion|trillion|bn|m|k|percent)\b)", "", text)
    return " ".join(text.split())


def contains_all(answer: str, gold: list[str]) -> bool:
    got = normalise(answer)
    return all(normalise(g) in got for g in gold)


# ------------------------------------------------------------------ the set as batch lines


@dataclass(slots=True)
class Case:
    id: str
    category: str  # standalone | follow-up | unanswerable | thread | thread, fresh
    question: str
    gold: list[str] | None  # None: unanswerable
    kind: str | None = None
    paraphrase: bool | None = None
    line: dict[str, Any] = field(default_factory=dict)


def cases(data: dict[str, Any], files: dict[str, str]) -> list[Case]:
    """Every question of the set, in the order asked, with its batch line."""
    out: list[Case] = []
    root: dict[int, int] = {}
    for i, q in enumerate(data["qa"]):
        f = q.get("follows")
        root[i] = i if f is None else root[f]
        c = Case(
            f"qa{i}",
            "standalone" if f is None else "follow-up",
            q["q"],
            list(q["answer_contains"]),
            q.get("kind"),
            q.get("paraphrase"),
        )
        c.line = {"thread": f"qa{root[i]}", "files": [files[q["a"]]]}
        out.append(c)
    for j, q in enumerate(data["unanswerable"]):
        c = Case(f"un{j}", "unanswerable", q["q"], None)
        c.line = {"thread": f"un{j}", "files": [files[q["a"]]]}
        out.append(c)
    for fresh in (False, True):
        for k, q in enumerate(data.get("thread_qa", [])):
            story = [files[a] for a in data["threads"][q["t"]]]
            thread = f"{q['t']}#{k}" if fresh else q["t"]
            cat = "thread, fresh" if fresh else "thread"
            c = Case(f"tq{k}{'f' if fresh else ''}", cat, q["q"], list(q["answer_contains"]))
            c.line = {"thread": thread, "files": story}
            out.append(c)
    for c in out:
        c.line = {"id": c.id, **c.line, "question": c.question}
    return out


def write_articles(data: dict[str, Any], articles: Path, where: Path) -> dict[str, str]:
    """The set's articles as text files (key.txt); key -> path."""
    wanted = {v: k for k, v in data["articles"].items()}
    out: dict[str, str] = {}
    with articles.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            key = wanted.get(row["id"])
            if key:
                path = where / f"{key}.txt"
                path.write_text(row["article"], encoding="utf-8")
                out[key] = str(path)
    missing = set(data["articles"]) - set(out)
    if missing:
        raise SystemExit(f"articles not found in {articles}: {sorted(missing)}")
    return out


def run_batch(lines: list[dict[str, Any]], cli: bool) -> Iterator[dict[str, Any]]:
    text = [json.dumps(line) for line in lines]
    if not cli:
        yield from answer_batch(text, lambda p: Path(p).read_text(encoding="utf-8"))
        return
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "newsbrief"), "ask", "--batch", "-"],
        input="\n".join(text) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"newsbrief ask --batch failed: {done.stderr}")
    for line in done.stdout.splitlines():
        yield json.loads(line)


# ------------------------------------------------------------------ scoring


def outcome(c: Case, r: dict[str, Any]) -> str:
    """right | wrong answer (confident, wrong) | wrong refusal | error."""
    if "error" in r:
        return "error"
    if c.gold is None:
        return "right" if not r["confident"] else "wrong answer"
    if not r["confident"]:
        return "wrong refusal"
    return "right" if contains_all(r["answer"], c.gold) else "wrong answer"


def report(results: list[tuple[Case, dict[str, Any], str]]) -> None:
    by: dict[str, Counter[str]] = defaultdict(Counter)
    for c, _r, o in results:
        by[c.category][o] += 1
        if c.kind:
            by[f"kind {c.kind}"][o] += 1
        if c.paraphrase is not None:
            by["paraphrased" if c.paraphrase else "worded as the article"][o] += 1
    order = ["standalone", "follow-up", "unanswerable", "thread", "thread, fresh"]
    order += sorted(k for k in by if k.startswith("kind "))
    order += ["paraphrased", "worded as the article"]
    print(f"{'':24} {'right':>11}  {'wrong answer':>12} {'wrong refusal':>13}")
    for k in order:
        n = by[k]
        total = sum(n.values())
        if not total:
            continue
        label = "unanswerable refused" if k == "unanswerable" else k
        print(
            f"{label:24} {n['right']:3}/{total:<3} {n['right'] / total:4.0%}  "
            f"{n['wrong answer']:12} {n['wrong refusal']:13}"
            + (f"  errors {n['error']}" if n["error"] else "")
        )
    main = [o for c, _r, o in results if c.category != "thread, fresh"]
    print(
        f"confusion (all but 'thread, fresh'): {main.count('wrong answer')} wrong confident "
        f"answers, {main.count('wrong refusal')} wrong refusals, {main.count('right')} right "
        f"of {len(main)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--cli", action="store_true", help="run `newsbrief ask --batch`")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    parser.add_argument("--misses", type=Path, help="write every miss as JSON Lines here")
    parser.add_argument("--diagnose", action="store_true", help="the stage that lost each miss")
    parser.add_argument(
        "--answers", type=Path, help="write every answer as JSON Lines here (to diff two runs)"
    )
    args = parser.parse_args()
    data = json.loads(args.set.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="answers-eval-") as tmp:
        files = write_articles(data, args.articles, Path(tmp))
        todo = cases(data, files)
        t0 = time.perf_counter()
        scored: dict[str, Any] = {}
        if args.diagnose:
            sys.path.insert(0, str(ROOT / "bench"))
            from answers_diagnosis import Recorder, diagnose, print_diagnosis, stage
        if args.diagnose and not args.cli:
            with Recorder() as recorder:
                got = []
                for r, s in diagnose(run_batch([c.line for c in todo], False), recorder):
                    got.append(r)
                    scored[r["id"]] = s
        else:
            got = list(run_batch([c.line for c in todo], args.cli))
        took = time.perf_counter() - t0
    by_id = {r["id"]: r for r in got}
    results = [(c, by_id[c.id], outcome(c, by_id[c.id])) for c in todo]
    report(results)
    print(f"{len(todo)} questions in {took:.1f} s ({1000 * took / len(todo):.0f} ms each)")
    misses = [(c, r, o) for c, r, o in results if o != "right"]
    if args.diagnose:
        print_diagnosis(
            [
                (
                    c.id,
                    c.category,
                    c.kind,
                    stage(c.category, c.gold, o, scored.get(c.id), contains_all),
                    c.question,
                )
                for c, _r, o in misses
            ]
        )
    if args.verbose:
        for c, r, o in misses:
            print(f"\n[{c.id} {c.category} {c.kind or ''}] {o}: {c.question!r}")
            print(f"   want: {c.gold!r}")
            print(f"   got:  {(r.get('answer') or r.get('error') or '')[:300]!r}")
    if args.answers:
        with args.answers.open("w", encoding="utf-8") as fh:
            for c, r, o in results:
                row = {"id": c.id, "outcome": o, "confident": r.get("confident")}
                fh.write(json.dumps(row | {"answer": r.get("answer")}) + "\n")
    if args.misses:
        with args.misses.open("w", encoding="utf-8") as fh:
            for c, r, o in misses:
                row = {"id": c.id, "category": c.category, "kind": c.kind, "outcome": o}
                row |= {"question": c.question, "gold": c.gold, "got": r.get("answer")}
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
