"""The ingest pipeline (issue 14): worker processes, batched writes, the stored hash.

- extraction and analysis in worker processes store what threads store, and one
  bad item is that item's row only;
- a worker that dies fails only the job that killed it;
- the writer stores what waits in one batch, and a batch that fails is written
  again one by one, so an error reaches only its own article;
- an item stored with the same content is not analysed again, and the check reads
  the stored hash (the stored article is never loaded).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import bot.news.prepare
from bot.config import Settings
from bot.news.ingest import Ingester
from bot.news.net import Fetcher
from bot.news.pool import ProcessPool, WorkerCrashedError
from bot.news.writer import ArticleWriter
from bot.store import ArticleRecord, Store
from tests.loopback import serving
from tests.sample_news import SAMPLE_PATHS

GOOD = 10  # article pages in the feed, besides one gone and one that is no article


def _article(i: int) -> tuple[str, str]:
    title, _, body = (
        SAMPLE_PATHS[i % len(SAMPLE_PATHS)].read_text(encoding="utf-8").partition("\n\n")
    )
    return f"{title} ({i})", f"Story number {i}.\n{body}"


def _page(i: int) -> str:
    title, body = _article(i)
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n") if p.strip())
    return (
        f"<html><head><title>{html.escape(title)}</title></head><body><nav>Home | World</nav>"
        f"<article><h1>{html.escape(title)}</h1>{paras}</article></body></html>"
    )


class Pages:
    """A feed of GOOD article pages, one page that is gone and one that is no article."""

    def __init__(self) -> None:
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/feed.xml", self.feed)
        app.router.add_get("/a/{i}", self.article)
        app.router.add_get("/gone", self.gone)
        app.router.add_get("/empty", self.empty)
        return app

    async def feed(self, request: web.Request) -> web.Response:
        links = [f"{self.base}/a/{i}" for i in range(GOOD)] + [
            f"{self.base}/gone",
            f"{self.base}/empty",
        ]
        items = "".join(  # no teaser for the gone page: nothing to fall back on
            f"<item><title>Item {n}</title><link>{u}</link><guid>{u}</guid>"
            + ("" if u.endswith("/gone") else "<description>A teaser.</description>")
            + "</item>"
            for n, u in enumerate(links)
        )
        return web.Response(
            text=f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop</title>'
            f"<link>{self.base}/</link>{items}</channel></rss>",
            content_type="application/rss+xml",
        )

    async def article(self, request: web.Request) -> web.Response:
        return web.Response(text=_page(int(request.match_info["i"])), content_type="text/html")

    async def gone(self, request: web.Request) -> web.Response:
        return web.Response(status=404, text="gone")

    async def empty(self, request: web.Request) -> web.Response:
        text = "<html><body><h1>Page not found</h1><p>Sorry.</p></body></html>"
        return web.Response(text=text, content_type="text/html")


@pytest.fixture
async def pages() -> AsyncIterator[Pages]:
    server = Pages()
    async with serving(server.app()) as server.base:
        yield server


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPool]:
    p = ProcessPool(2)
    try:
        yield p
    finally:
        p.shutdown()


async def _ingest(store: Store, url: str, workers: int | ProcessPool) -> dict[str, str]:
    # a generous deadline: a page that timed out on a busy machine would fall back on its teaser
    async with Fetcher(Settings(allow_private_hosts=True), total_timeout=120) as fetcher:
        report = await Ingester(store, fetcher, workers=workers).ingest([url])
    assert set(report.seconds) >= {"fetch", "extract", "analyse", "store"}
    return {i.source.rsplit("/", 1)[-1]: i.status for i in report.items}


async def test_processes_store_what_threads_store(
    pages: Pages, pool: ProcessPool, tmp_path: Path
) -> None:
    with (
        Store.open(f"sqlite:///{tmp_path / 'threads.db'}") as threads,
        Store.open(f"sqlite:///{tmp_path / 'processes.db'}") as processes,
    ):
        in_threads = await _ingest(threads, f"{pages.base}/feed.xml", 0)
        in_processes = await _ingest(processes, f"{pages.base}/feed.xml", pool)
        assert pool.started and pool.worker_pids() and os.getpid() not in pool.worker_pids()
        expected = {str(i): "new" for i in range(GOOD)} | {"gone": "failed", "empty": "no_article"}
        assert (in_threads, in_processes) == (expected, expected)

        def stored(store: Store) -> list[tuple[str | None, Any]]:
            found = [store.find_article(f"{pages.base}/a/{i}") for i in range(GOOD)]
            got = [store.get_article(a) for a in found if a is not None]
            return [(a.title, (a.analysis or {}).get("summary")) for a in got if a]

        assert len(stored(processes)) == GOOD
        assert stored(threads) == stored(processes)


def _pid(_: int) -> int:
    return os.getpid()


def _die_in_a_worker(parent: int) -> int:
    if os.getpid() != parent:
        os._exit(3)  # what a segfault in lxml or the OOM killer does to a worker
    return 0


async def test_a_dying_worker_fails_only_the_job_that_killed_it(pool: ProcessPool) -> None:
    assert await pool.run(_pid, 0) != os.getpid()  # the pool works
    results = await asyncio.gather(
        pool.run(_die_in_a_worker, os.getpid()),
        *(pool.run(_pid, i) for i in range(6)),
        return_exceptions=True,
    )
    assert isinstance(results[0], WorkerCrashedError)
    assert all(isinstance(r, int) and r != os.getpid() for r in results[1:])
    assert await pool.run(_pid, 0) != os.getpid()  # and works again after


def _record(i: int) -> ArticleRecord:
    title, text = _article(i)
    return ArticleRecord(url=f"https://batch.example/{i}", title=title, text=text, site="Batch")


async def test_waiting_articles_are_one_batch_and_an_error_is_its_articles_only(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    real_many, real_one = store.upsert_articles, store.upsert_article

    def many(items: list[ArticleRecord], **kw: Any) -> Any:
        batches.append(len(items))
        if any(r.url.endswith("/7") for r in items):
            raise RuntimeError("injected fault")  # all or nothing, as the store is
        return real_many(items, **kw)

    def one(item: ArticleRecord, **kw: Any) -> Any:
        if item.url.endswith("/7"):
            raise RuntimeError("injected fault")
        return real_one(item, **kw)

    monkeypatch.setattr(store, "upsert_articles", many)
    monkeypatch.setattr(store, "upsert_article", one)
    writer = ArticleWriter(store)
    results = await asyncio.gather(
        *(writer.write(_record(i)) for i in range(20)), return_exceptions=True
    )
    assert batches[0] == 20  # everything that waited went in the first batch
    assert isinstance(results[7], RuntimeError)
    assert [r.outcome.status for i, r in enumerate(results) if i != 7] == ["new"] * 19  # type: ignore[union-attr]
    assert store.counts().ok == 19


async def test_a_write_right_after_the_last_batch_still_gets_a_writer(store: Store) -> None:
    """The writer that just stored the last batch has ended, but its done-callback (which
    used to free its slot) runs after the waiting task resumes: a write made at once must
    not queue behind a writer that is gone (it waited forever, hanging an ingest)."""
    writer = ArticleWriter(store)

    async def one_after_another() -> list[str]:
        first = await writer.write(_record(1))
        second = await writer.write(_record(2))  # in the same step as the wake-up
        return [first.outcome.status, second.outcome.status]

    # The deadline only turns the old hang into a failure; it never paces the test.
    assert await asyncio.wait_for(one_after_another(), timeout=60) == ["new", "new"]
    assert store.counts().ok == 2


async def test_an_unchanged_item_is_not_analysed_and_its_stored_text_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "feed.json"

    def write_feed(edited: int | None = None) -> None:
        items = []
        for i in range(4):
            title, text = _article(i)
            if i == edited:
                text += "\nA correction was added later."
            items.append({"id": f"i{i}", "url": f"https://hash.example/{i}", "title": title,
                          "content_text": text})  # fmt: skip
        feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Hash", "items": items}
        path.write_text(json.dumps(feed), encoding="utf-8")

    analysed: list[str] = []
    real = bot.news.prepare.analyze  # type: ignore[attr-defined]

    def counting(text: str, **kw: Any) -> Any:
        analysed.append(text)
        return real(text, **kw)

    monkeypatch.setattr(bot.news.prepare, "analyze", counting)
    with Store.open(f"sqlite:///{tmp_path / 'nb.db'}") as store:
        write_feed()
        first = await Ingester(store, None, workers=0).ingest([str(path)])
        assert first.counts() == {"new": 4} and len(analysed) == 4

        def never(*_a: object) -> None:
            raise AssertionError("the stored article was loaded to hash it again")

        monkeypatch.setattr(store, "get_article", never)
        again = await Ingester(store, None, workers=0).ingest([str(path)])
        assert again.counts() == {"duplicate": 4} and len(analysed) == 4
        write_feed(edited=2)
        edited = await Ingester(store, None, workers=0).ingest([str(path)])
        assert edited.counts() == {"duplicate": 3, "updated": 1} and len(analysed) == 5
