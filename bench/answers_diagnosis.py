"""Why each miss of bench/answers_eval.py missed: the stage of the answerer that lost it.

The answerer's ranking (``bot.nlp.answers.answering.rank``) and its confidence gate are
wrapped while the questions run, so each answer comes with every sentence it scored.
A miss is put down to the first stage that lost the sentence holding the gold strings:

* retrieval: the gold sentence shares no word (nor paraphrase) with the question, so it
  was never scored; or the question had nothing to search for;
* answer type: it was scored, but below a sentence with more of what the kind needs
  (a name, date, number, cause), or without that itself;
* pronoun resolution: a follow-up whose resolved person is neither named nor reporting
  in the gold sentence;
* ranking: it was scored, with the kind's evidence, but other sentences matched more of
  the question's words;
* refusal gate: it was ranked first and refused (coverage or margin too low); for an
  unanswerable question, a confident answer let through;
* story pick: in a digest thread, the gold sentence's story was not among those the
  question was steered to;
* split: no one sentence holds all the gold strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import bot.nlp.answers.answering as answering
from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.ranking import Asked, Corpus, Ranked
from bot.nlp.answers.thread import Thread


@dataclass(slots=True)
class Scored:
    asked: Asked
    corpus: Corpus
    ranked: list[Ranked]
    indexes: list[Indexed]  # every story of the thread, focused on or not


class Recorder:
    """The last ranking ``answer()`` made, per question."""

    def __init__(self) -> None:
        self.last: Scored | None = None
        self._rank: Callable[[Asked, Corpus], list[Ranked]] = vars(answering)["rank"]
        self._corpus: Callable[[Asked, Thread, list[tuple[Indexed, int]]], Corpus] = vars(
            answering
        )["corpus"]
        self._indexes: list[Indexed] = []

    def __enter__(self) -> Recorder:
        def corpus(asked: Asked, thread: Thread, flat: list[tuple[Indexed, int]]) -> Corpus:
            self._indexes = list(thread.indexes)
            return self._corpus(asked, thread, flat)

        def rank(asked: Asked, corpus: Corpus) -> list[Ranked]:
            ranked = self._rank(asked, corpus)
            self.last = Scored(asked, corpus, ranked, self._indexes)
            return ranked

        # The answerer looks both up in its module at each call: wrapped there, every
        # question is recorded, and nothing of the answerer is changed for it.
        vars(answering).update(rank=rank, corpus=corpus)
        return self

    def __exit__(self, *exc: object) -> None:
        vars(answering).update(rank=self._rank, corpus=self._corpus)

    def take(self) -> Scored | None:
        last, self.last = self.last, None
        return last


def stage(
    category: str,
    gold: list[str] | None,
    outcome: str,
    scored: Scored | None,
    holds: Callable[[str, list[str]], bool],
) -> str:
    """The stage that lost this miss (see the module docstring)."""
    if gold is None:
        return "refusal gate"
    if scored is None or not scored.ranked:
        return "retrieval"
    flat = scored.corpus.flat
    position = {n: k for k, (_s, _c, _e, n) in enumerate(scored.ranked)}
    golds = [n for n, (idx, i) in enumerate(flat) if holds(idx.sentences[i].text, gold)]
    if not golds:
        elsewhere = any(holds(s.text, gold) for idx in scored.indexes for s in idx.sentences)
        return "story pick" if elsewhere else "split"
    scored_golds = [n for n in golds if n in position]
    if not scored_golds:
        return "retrieval"
    best = min(scored_golds, key=position.__getitem__)
    k = position[best]
    if k == 0:
        return "refusal gate" if outcome == "wrong refusal" else "ranking"
    top, mine = scored.ranked[0], scored.ranked[k]
    asked = scored.asked
    idx, i = flat[best]
    if category == "follow-up" and asked.subjects:
        there = idx.names[i] | set(idx.said.get(i, {}))
        if there.isdisjoint(asked.subjects):
            return "pronoun resolution"
    if mine[2] < top[2]:
        return "answer type"
    return "ranking"


def diagnose(
    run: Iterator[dict[str, Any]], recorder: Recorder
) -> Iterator[tuple[dict[str, Any], Scored | None]]:
    """Each result of ``run`` with the ranking made for it."""
    for result in run:
        yield result, recorder.take()


def print_diagnosis(rows: list[tuple[str, str, str | None, str, str]]) -> None:
    """rows: (id, category, kind, stage, question) of every miss."""
    counts = Counter(s for _id, cat, _k, s, _q in rows if cat != "thread, fresh")
    print("\nmisses by stage (all but 'thread, fresh'):")
    for name, n in counts.most_common():
        print(f"  {name:20} {n}")
    for qid, cat, kind, s, q in rows:
        if cat != "thread, fresh":
            print(f"  {qid:6} {cat:13} {kind or '':9} {s:19} {q}")
