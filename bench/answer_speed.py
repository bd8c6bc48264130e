"""Speed of answers in a big digest thread: the first question, and a follow-up.

A store (SQLite, in a temporary directory) is filled with the CNN/DailyMail dev
articles, each analysed and stored as ingest stores it (``prepare.stored_analysis``:
its sentences, every quote and the full names it gives). Threads of ``--size`` (50)
articles are drawn from them (``--threads`` distinct random draws, seeded) and saved as
posted digests. In each
thread two questions are asked, through ``Conversation.answer_in_thread`` as a chat
reply is answered:

* first: the thread's first question, with every per-article and per-thread cache
  cleared before it (a question on articles this process has never read; word-level
  caches, a word's lemma, stay warm, as in a bot that has been up a while);
* warm: a second question in the same thread.

Two paths, timed in the same run, round after round (``--rounds``, medians of the
rounds' percentiles):

* stored: the answerer as it is (stored analysis, per-thread index kept);
* before: the stored path as it was before parsed articles were kept (``unkept``):
  every question reads each article whole and parses its stored analysis again, and
  finds its thread through each article's index;
* baseline: the oldest path, every article analysed again from its raw text (clean,
  split, quotes) for the first question, and for the warm one the per-thread index
  built again (its cache cleared), as before it was kept.

Each is given as wall time (what a user waits) and CPU time of the answering thread
(steadier on a shared machine), for the whole reply (store read, answer, turn saved)
and for ``answer()`` alone. Targets (issue 14): first p95 <= 100 ms, warm p95 <= 10 ms.

``--repeat N`` asks each round's questions N times (each time in new threads, every
cache cleared as before) and keeps each question's least time: on a machine others
share, what they run only adds to a time, so the least of a few is the steadiest
figure to compare two trees by (the default, 1, is what a user sees).

Run: python bench/answer_speed.py [--articles CNNDM_JSONL] [--size 50] [--threads 20]
     [--rounds 3] [--repeat 1] [--profile [first|warm]]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.chat.conversation as conversation  # noqa: E402
import bot.nlp.answers.answering as answering  # noqa: E402
import bot.nlp.answers.thread as thread_module  # noqa: E402
from bot.chat.conversation import Conversation  # noqa: E402
from bot.chat.messages import ThreadRef  # noqa: E402
from bot.news.prepare import stored_analysis  # noqa: E402
from bot.nlp.answers import SourceArticle, clear_index_cache  # noqa: E402
from bot.nlp.answers.thread import clear_thread_cache, thread_of  # noqa: E402
from bot.store import ArticleRecord, Store  # noqa: E402

DEFAULT_ARTICLES = ROOT.parent / "shared" / "eval" / "cnndm-dev" / "cnndm_dev.jsonl"
# Questions of the kinds readers ask under a digest (none about one article in
# particular: they are asked in every thread). first, then the follow-up.
QUESTIONS = [
    ("what did the police say?", "and how many people were there?"),
    ("who is the manager?", "how old is he?"),
    ("how much did it cost?", "when did that happen?"),
    ("what did the minister say about it?", "why?"),
    ("where did it happen?", "who was hurt?"),
]


@dataclass(slots=True)
class Timings:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    answer_wall: list[float] = field(default_factory=list)
    answer_cpu: list[float] = field(default_factory=list)


def fill_store(store: Store, articles: Path) -> list[int]:
    """Every article analysed and stored as ingest stores it; their ids."""
    ids = []
    with articles.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            row = json.loads(line)
            text = row["article"]
            record = ArticleRecord(
                url=f"https://news.example/{n}",
                title=text.split(".")[0][:80],
                text=text,
                analysis=stored_analysis(text, None),
            )
            ids.append(store.upsert_article(record).article_id)
    return ids


@contextmanager
def patched(module: ModuleType, name: str, value: Any) -> Iterator[Any]:
    """``module.name`` replaced for a while; yields the original."""
    original = vars(module)[name]
    vars(module)[name] = value
    try:
        yield original
    finally:
        vars(module)[name] = original


def re_analysing() -> AbstractContextManager[Any]:
    """The old path: the answerer gets each article's raw text only (no stored analysis)."""
    original = vars(thread_module)["index_article"]

    def raw(a: SourceArticle) -> Any:
        return original(SourceArticle(id=a.id, text=a.text, url=a.url, title=a.title))

    return patched(thread_module, "index_article", raw)


@contextmanager
def unkept() -> Iterator[None]:
    """The stored path as it was before parsed articles were kept: every question reads
    each article whole (text, analysis JSON) and parses its analysis, and the thread is
    found through each article's index (hashing every sentence)."""

    def read_all(store: Store, ids: Any, workspace: str) -> list[SourceArticle]:
        return [
            SourceArticle.from_analysis(
                str(a.id), a.text or "", a.analysis, url=a.url, title=a.title
            )
            for a in store.articles(ids, workspace=workspace)
        ]

    def by_index(articles: Any) -> Any:
        index = vars(thread_module)["index_article"]  # re_analysing's, when it is on
        return thread_of([index(a) for a in articles])

    with (
        patched(conversation, "thread_articles", read_all),
        patched(answering, "thread_for", by_index),
    ):
        yield


def timed_answer(into: Timings) -> AbstractContextManager[Any]:
    """Time ``answer()`` itself inside the conversation's reply."""
    original = vars(conversation)["answer"]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            into.answer_cpu.append((time.thread_time() - c0) * 1000)
            into.answer_wall.append((time.perf_counter() - t0) * 1000)

    return patched(conversation, "answer", wrapped)


def ask(conv: Conversation, ref: ThreadRef, question: str, into: Timings) -> None:
    w0, c0 = time.perf_counter(), time.thread_time()
    with timed_answer(into):
        conv.answer_in_thread(ref, question)
    into.cpu.append((time.thread_time() - c0) * 1000)
    into.wall.append((time.perf_counter() - w0) * 1000)


PATHS = ("baseline", "before", "stored")


def one_round(
    conv: Conversation, threads: list[ThreadRef], path: str, round_no: int
) -> tuple[Timings, Timings]:
    """First and warm questions in every thread (each new: no turns yet), by one path."""
    first, warm = Timings(), Timings()
    for k, ref in enumerate(threads):
        q1, q2 = QUESTIONS[(k + round_no) % len(QUESTIONS)]
        clear_index_cache()  # articles (and threads) this process has not read
        if path == "baseline":
            with re_analysing(), unkept():
                ask(conv, ref, q1, first)
                clear_thread_cache()  # before it was kept, every question built it
                ask(conv, ref, q2, warm)
        elif path == "before":
            with unkept():
                ask(conv, ref, q1, first)
                ask(conv, ref, q2, warm)
        else:
            ask(conv, ref, q1, first)
            ask(conv, ref, q2, warm)
    return first, warm


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else xs[0]


def report(name: str, rounds: list[dict[str, Timings]]) -> dict[str, float]:
    """Medians over rounds of each round's p50 and p95; printed, and returned by key."""
    out: dict[str, float] = {}
    for path in PATHS:
        for what in ("wall", "cpu", "answer_wall", "answer_cpu"):
            for q in (50, 95):
                key = f"{path} {what} p{q}"
                out[key] = statistics.median(pct(getattr(r[path], what), q) for r in rounds)
    print(f"\n{name}: medians over {len(rounds)} rounds (ms)")
    print(f"{'':26} {'baseline':>9} {'before':>9} {'stored':>9}  {'baseline/stored':>15}")
    labels = {
        "wall": "reply, wall",
        "cpu": "reply, CPU",
        "answer_wall": "answer() alone, wall",
        "answer_cpu": "answer() alone, CPU",
    }
    for what, label in labels.items():
        for q in (50, 95):
            b, p, s = (out[f"{path} {what} p{q}"] for path in PATHS)
            print(f"{label + f' p{q}':26} {b:9.1f} {p:9.1f} {s:9.1f}  {b / s:14.2f}x")
    return out


def profile(conv: Conversation, threads: list[ThreadRef], which: str) -> None:
    """Where a first (or warm) answer's time goes, by cProfile (cumulative, top 30)."""
    prof = cProfile.Profile()
    for k, ref in enumerate(threads):
        q1, q2 = QUESTIONS[k % len(QUESTIONS)]
        clear_index_cache()
        if which == "warm":
            conv.answer_in_thread(ref, q1)
        prof.enable()
        conv.answer_in_thread(ref, q2 if which == "warm" else q1)
        prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--size", type=int, default=50, help="articles per thread")
    parser.add_argument("--threads", type=int, default=20, help="distinct threads per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--repeat", type=int, default=1, help="ask each question N times, keep the least time"
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="first",
        choices=("first", "warm"),
        help="cProfile of first (default) or warm answers instead of timing",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="answer-speed-") as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.db")
        try:
            t0 = time.perf_counter()
            ids = fill_store(store, args.articles)
            print(f"{len(ids)} articles analysed and stored in {time.perf_counter() - t0:.1f} s")
            if len(ids) < args.size:
                raise SystemExit(f"need at least {args.size} articles, got {len(ids)}")
            conv = Conversation(store)
            picks = draw_threads(ids, args.size, args.threads)
            warm_up(conv, save_threads(store, picks, "warm-up")[0])
            if args.profile:
                profile(conv, save_threads(store, picks, "profile"), args.profile)
                return
            rounds = [_round_pair(conv, store, picks, r, args.repeat) for r in range(args.rounds)]
            firsts = report(f"first answer, thread of {args.size}", [x["first"] for x in rounds])
            warms = report("warm answer (second in the thread)", [x["warm"] for x in rounds])
            print(
                f"\ntargets: first p95 <= 100 ms: reply {firsts['stored wall p95']:.1f} wall, "
                f"{firsts['stored cpu p95']:.1f} CPU; warm p95 <= 10 ms: "
                f"reply {warms['stored wall p95']:.1f} wall, {warms['stored cpu p95']:.1f} CPU, "
                f"answer() {warms['stored answer_wall p95']:.1f} wall, "
                f"{warms['stored answer_cpu p95']:.1f} CPU"
            )
        finally:
            store.close()


def _round_pair(
    conv: Conversation, store: Store, picks: list[tuple[int, ...]], r: int, repeat: int = 1
) -> dict[str, dict[str, Timings]]:
    """One round of each path, in new threads: {first|warm: {path: timings}}; with
    ``repeat``, each question's least time of that many rounds in new threads."""
    out: dict[str, dict[str, Timings]] = {"first": {}, "warm": {}}
    n = r % len(PATHS)
    for path in PATHS[n:] + PATHS[:n]:  # each round in another order
        tries = [
            one_round(
                conv, save_threads(store, picks, f"{path}{r}" + (f"-{j}" if j else "")), path, r
            )
            for j in range(max(1, repeat))
        ]
        out["first"][path] = _least([t[0] for t in tries])
        out["warm"][path] = _least([t[1] for t in tries])
    return out


def _least(tries: list[Timings]) -> Timings:
    """Each question's least time over ``tries`` (the same questions, in the same order)."""
    return Timings(
        *(
            [min(xs) for xs in zip(*(getattr(t, what) for t in tries), strict=True)]
            for what in ("wall", "cpu", "answer_wall", "answer_cpu")
        )
    )


def draw_threads(ids: list[int], size: int, count: int) -> list[tuple[int, ...]]:
    """``count`` distinct draws of ``size`` articles (seeded)."""
    rng = random.Random(14)
    out: list[tuple[int, ...]] = []
    while len(out) < count:
        pick = tuple(rng.sample(ids, size))
        if pick not in out:
            out.append(pick)
    return out


def save_threads(store: Store, picks: list[tuple[int, ...]], tag: str) -> list[ThreadRef]:
    """The draws saved as posted digests, in threads of their own (no turns yet)."""
    refs = []
    for k, pick in enumerate(picks):
        ref = ThreadRef("console", "bench", f"{tag}-{k}")
        store.threads.save(ref, "digest", f"digest {k}", list(pick))
        refs.append(ref)
    return refs


def warm_up(conv: Conversation, ref: ThreadRef) -> None:
    """Load what a running bot has loaded once (word lists, name genders, synonyms)."""
    for q1, q2 in QUESTIONS:
        conv.answer_in_thread(ref, q1)
        conv.answer_in_thread(ref, q2)
    clear_index_cache()


if __name__ == "__main__":
    main()
