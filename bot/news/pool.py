"""Worker processes for an ingest's CPU work (extraction and analysis).

In threads that work runs one at a time under the GIL: 2 cores ingested 34-37
articles/s whatever the concurrency, while the work alone ran at 104-124 per
second in processes. This is ``concurrent.futures.ProcessPoolExecutor``, one
worker per CPU by default, with what an ingest needs around it:

- ``forkserver`` workers, not ``fork``: the ingesting process has threads (the
  store's, asyncio's) and forking it could copy a held lock; the server imports
  the pipeline's modules once (``PRELOAD``), so a worker starts in milliseconds;
- the workers' log records are handled by this process's loggers, so they go
  through the same handlers and redaction as everything else;
- a worker that dies (a page that crashes lxml, the OOM killer) breaks the pool,
  and every job in it fails: the pool is started again for new jobs, and each
  failed job runs again alone, in a process of its own; a job that dies there too
  is that job's error, not its neighbours';
- workers that cannot start at all (the main module of a script without the
  ``if __name__ == "__main__":`` guard is imported again in each worker, as with
  every ``spawn`` or ``forkserver`` pool) leave the work to threads, with a warning.

One pool per process (``shared_pool``), started on first use; its workers end
with the process. Small batches and tests run in a thread of this process instead
(``run(..., parallel=False)``): a pool's start costs more than it saves there.
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from bot.errors import NewsbriefError

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A")

# Imported once by the fork server, so every worker starts with them loaded.
PRELOAD = ["bot.news.worker_start"]


class WorkerCrashedError(NewsbriefError):
    """A job's worker process died, and died again when it ran alone."""


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _init_worker(queue: Any, level: int) -> None:
    """In each worker: its log records go to the parent, at the parent's level."""
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(queue)]
    root.setLevel(level)


class _ToLogger(logging.Handler):
    """A worker's record, handled by the logger of the same name in this process."""

    def emit(self, record: logging.LogRecord) -> None:
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):
            logger.handle(record)


class ProcessPool:
    """A process pool that restarts itself when a worker dies."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._listener: logging.handlers.QueueListener | None = None
        self._queue: Any = None
        self._worked = False  # a job has come back from a worker
        self._unusable = False  # the workers died before any job came back

    @property
    def started(self) -> bool:
        return self._executor is not None

    def _executor_of(self, workers: int) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        if self._queue is None:
            self._queue = ctx.Queue()
            self._listener = logging.handlers.QueueListener(self._queue, _ToLogger())
            self._listener.start()
        return ProcessPoolExecutor(
            workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(self._queue, logging.getLogger().getEffectiveLevel()),
        )

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = self._executor_of(self.workers)
            return self._executor

    def _broken(self, executor: ProcessPoolExecutor) -> None:
        """Forget a broken executor (once, whichever job noticed first)."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[[A], T], arg: A, *, parallel: bool = True) -> T:
        """``fn(arg)`` in a worker process (``fn`` and ``arg`` picklable), or in a
        thread of this process when ``parallel`` is false or the workers cannot start."""
        if not parallel or self._unusable:
            return await asyncio.to_thread(fn, arg)
        executor = self._pool()
        try:
            result = await asyncio.get_running_loop().run_in_executor(executor, fn, arg)
        except BrokenProcessPool:
            self._broken(executor)
            if not self._worked:
                # Workers that never finished a job cannot start here (a script
                # without the __main__ guard multiprocessing needs, say): threads.
                self._unusable = True
                log.warning("ingest worker processes could not start; using threads")
                return await asyncio.to_thread(fn, arg)
            log.warning("an ingest worker process died; its jobs run again, each alone")
            return await self._alone(fn, arg)
        self._worked = True
        return result

    async def _alone(self, fn: Callable[[A], T], arg: A) -> T:
        """A job whose worker died, again in a process of its own: the jobs beside
        the one that killed it died too, and are innocent; if this one dies again,
        it is the culprit."""
        with self._lock:
            executor = self._executor_of(1)
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, fn, arg)
        except BrokenProcessPool as exc:
            raise WorkerCrashedError(
                "its worker process died working on it, twice (the second time alone)"
            ) from exc
        finally:
            executor.shutdown(wait=False)

    def worker_pids(self) -> list[int]:
        """The live workers' process ids (for benches measuring their memory)."""
        executor = self._executor
        procs = getattr(executor, "_processes", None) or {}
        return [p.pid for p in procs.values() if p.pid is not None and p.is_alive()]

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            listener, self._listener = self._listener, None
            self._queue = None
        if executor is not None:
            executor.shutdown(wait=True)
        if listener is not None:
            listener.stop()


_shared: ProcessPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> ProcessPool:
    """This process's pool (one worker per CPU), started when a job first needs it."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ProcessPool()
        return _shared
