"""Articles written in batches, through one writer per process.

Every ingest task used to store its own article in its own thread: on SQLite,
which has one writer, they queued on the lock (a call's wall time reached 131 ms
at concurrency 16). Here a task hands its record over and waits; a writer takes
everything waiting (up to ``BATCH``) and stores it in one call, so the next batch
forms while one is written (group commit). One writer per process on either
store: on PostgreSQL three concurrent batches were slower than one (33 against 43
articles/s, bench/ingest_throughput.py at 8 fetches on 2 cores). Likely causes, not
profiled apart: a batch locks every lookup key of its stories (story_locks.py), and
batches of unrelated stories still share common name and title keys, so they queue
on each other; and their threads contend for the GIL. Instances still write side by
side.

A batch that fails is written again one article at a time, so an error belongs to
the article that caused it: its task gets the exception, the others their outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass

from bot.store import ArticleRecord, Store, UpsertOutcome

log = logging.getLogger(__name__)

BATCH = 64  # at most this many articles per write call


@dataclass(frozen=True, slots=True)
class Written:
    outcome: UpsertOutcome
    seconds: float  # this article's share of its batch's time


_Waiting = tuple[ArticleRecord, "asyncio.Future[Written]"]


class ArticleWriter:
    """``await write(record)`` stores ``record`` in the next batch."""

    def __init__(self, store: Store, *, batch: int = BATCH) -> None:
        self.store = store
        self.batch = batch
        self._waiting: deque[_Waiting] = deque()
        self._tasks: set[asyncio.Task[None]] = set()  # the running writer: at most one

    async def write(self, record: ArticleRecord) -> Written:
        future: asyncio.Future[Written] = asyncio.get_running_loop().create_future()
        self._waiting.append((record, future))
        if not self._tasks:  # the one writer, started when none is running
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        """Write batches while articles wait; then end (the next write starts another).

        The slot is freed here, in the same step as the last check of ``_waiting``: a
        done-callback runs only after the tasks this batch woke, and one of them may
        write again at once; it would see the slot still taken and wait for ever."""
        try:
            await self._batches()
        finally:
            if (task := asyncio.current_task()) is not None:
                self._tasks.discard(task)

    async def _batches(self) -> None:
        while self._waiting:
            n = min(len(self._waiting), self.batch)
            batch = [w for w in (self._waiting.popleft() for _ in range(n)) if not w[1].done()]
            if not batch:
                continue
            try:
                results = await asyncio.to_thread(self._write, [r for r, _ in batch])
            except BaseException:  # cancelled: nobody is left waiting for an answer
                for _, future in batch:
                    future.cancel()
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    def _write(self, records: list[ArticleRecord]) -> list[Written | Exception]:
        """One batch, in a worker thread, in one transaction (``Store.upsert_articles``:
        all or nothing); a batch that fails is written again one article at a time."""
        if len(records) > 1:
            started = time.perf_counter()
            try:
                outcomes = self.store.upsert_articles(records)
            except Exception as exc:
                log.info("a batch of %d articles failed (%s); one at a time", len(records), exc)
            else:
                share = (time.perf_counter() - started) / len(records)
                return [Written(o, share) for o in outcomes]
        return [self._one(r) for r in records]

    def _one(self, record: ArticleRecord) -> Written | Exception:
        started = time.perf_counter()
        try:
            outcome = self.store.upsert_article(record)
        except Exception as exc:
            return exc
        return Written(outcome, time.perf_counter() - started)
