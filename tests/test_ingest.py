"""Ingest end to end against a loopback HTTP server: feeds, OPML, pages, the store, briefs."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.chat.briefs import BadTopicError, build_brief, format_duration, parse_brief_args
from bot.config import Settings
from bot.news.ingest import Ingester
from bot.news.net import Fetcher
from bot.store import Store
from tests.loopback import serving

FIXTURES = Path(__file__).parent / "fixtures"
KOREA = (FIXTURES / "korea_summit.txt").read_text(encoding="utf-8")

PARAGRAPHS = [
    "The city council approved a new bridge over the Aldwater river on Tuesday, "
    "ending a decade of debate about how to relieve traffic in the old town.",
    "The bridge will cost 48 million euros and is due to open in 2029, officials said.",
    "“This is the best day for the town in a generation,” said Mayor Clara Voss, who "
    "campaigned on the project. “Our children will cross it on their way to school.”",
    "Opponents said the money would be better spent on buses, and warned that the river "
    "banks were too soft for the foundations planned by the engineers.",
    "Construction firms have until March to submit bids, and work could start next autumn "
    "if the regional government signs off on the financing plan.",
]
BRIDGE_HTML = (
    "<html><head><title>Council approves Aldwater bridge</title></head><body>"
    "<nav>Home | News | Sport</nav><article><h1>Council approves Aldwater bridge</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article><aside>Most Popular</aside></body></html>"
)
NOT_FOUND_HTML = "<html><body><h1>404</h1><p>Page not found.</p></body></html>"


PUBLISHED = datetime.now(UTC) - timedelta(hours=1)  # fixed, so the feed's ETag is stable


def _rss(base: str, items: list[tuple[str, str, str | None]]) -> str:
    parts = []
    for title, link, content in items:
        body = f"<content:encoded><![CDATA[{content}]]></content:encoded>" if content else ""
        parts.append(
            f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{PUBLISHED:%a, %d %b %Y %H:%M:%S} +0000</pubDate>{body}</item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Loopback News</title><link>{base}/</link>{''.join(parts)}</channel></rss>"
    )


class NewsServer:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.korea_text = KOREA
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/feed.xml", self.feed)
        app.router.add_get("/bridge", self.page(BRIDGE_HTML))
        app.router.add_get("/gone", self.page(NOT_FOUND_HTML, status=404))
        app.router.add_get(
            "/broken.xml",
            self.page(
                '{"version": "https://jsonfeed.org/version/1.1", "items": [',
                "application/feed+json",
            ),
        )
        app.router.add_get("/list.opml", self.opml)
        app.router.add_get("/loop.opml", self.loop)
        return app

    def _count(self, request: web.Request) -> None:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1

    async def feed(self, request: web.Request) -> web.Response:
        self._count(request)
        korea_html = "".join(f"<p>{p}</p>" for p in self.korea_text.split("\n\n") if p.strip())
        body = _rss(
            self.base,
            [
                ("Trump Teases Another Sit-Down", f"{self.base}/korea?utm_source=rss", korea_html),
                ("Council approves Aldwater bridge", f"{self.base}/bridge", None),
                ("A page that is gone", f"{self.base}/gone", None),
            ],
        )
        etag = '"' + hashlib.sha1(body.encode()).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": etag})

    def page(
        self, html: str, content_type: str = "text/html", status: int = 200
    ) -> Callable[[web.Request], object]:
        async def handler(request: web.Request) -> web.Response:
            self._count(request)
            return web.Response(text=html, content_type=content_type, status=status)

        return handler

    async def loop(self, request: web.Request) -> web.Response:
        self._count(request)
        return web.Response(
            text=(
                '<?xml version="1.0"?><opml version="2.0"><body>'
                f'<outline text="me" xmlUrl="{self.base}/loop.opml"/></body></opml>'
            ),
            content_type="text/x-opml",
        )

    async def opml(self, request: web.Request) -> web.Response:
        self._count(request)
        return web.Response(
            text=(
                '<?xml version="1.0"?><opml version="2.0"><body>'
                f'<outline text="good" xmlUrl="{self.base}/feed.xml"/>'
                f'<outline text="bad" xmlUrl="{self.base}/broken.xml"/></body></opml>'
            ),
            content_type="text/x-opml",
        )


@pytest.fixture
async def news() -> AsyncIterator[NewsServer]:
    server = NewsServer()
    async with serving(server.app()) as server.base:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    f = Fetcher(Settings(allow_private_hosts=True))
    try:
        yield f
    finally:
        await f.aclose()


async def test_feed_items_pages_and_failures_in_one_batch(
    store: Store, fetcher: Fetcher, news: NewsServer
) -> None:
    report = await Ingester(store, fetcher).ingest([f"{news.base}/list.opml"])
    by_title = {i.title: i for i in report.items}
    assert by_title["Trump Teases Another Sit-Down"].status == "new"
    assert by_title["Council approves Aldwater bridge"].status == "new"
    gone = by_title["A page that is gone"]
    assert gone.status == "failed" and "404" in (gone.reason or "")
    broken = [i for i in report.items if i.source.endswith("/broken.xml")]
    assert broken and broken[0].status == "failed" and broken[0].reason
    # The Korea item carried its full text: its page was never fetched.
    assert "/korea" not in news.hits
    assert store.failure_attempts(f"{news.base}/gone") == 1

    stored = store.get_article(by_title["Council approves Aldwater bridge"].article_id or 0)
    assert stored is not None and stored.analysis is not None
    assert "Most Popular" not in (stored.text or "")
    assert any("Voss" in (q["speaker"] or "") for q in stored.analysis["quotes"])


async def test_second_poll_is_conditional_and_edits_update(
    store: Store, fetcher: Fetcher, news: NewsServer
) -> None:
    ingester = Ingester(store, fetcher)
    first = await ingester.ingest([f"{news.base}/feed.xml"])
    assert first.counts()["new"] == 2
    again = await ingester.ingest([f"{news.base}/feed.xml"])
    assert [i.status for i in again.items] == ["not_modified"]

    news.korea_text = KOREA.replace("Sometimes you have to walk", "Sometimes you must walk")
    edited = await ingester.ingest([f"{news.base}/feed.xml"])
    statuses = {i.title: i.status for i in edited.items}
    assert statuses["Trump Teases Another Sit-Down"] == "updated"
    assert statuses["Council approves Aldwater bridge"] == "duplicate"
    assert store.counts().ok == 2


async def test_private_addresses_are_refused_by_default(store: Store, news: NewsServer) -> None:
    guarded = Fetcher(Settings())
    try:
        report = await Ingester(store, guarded).ingest([f"{news.base}/feed.xml"])
    finally:
        await guarded.aclose()
    assert [i.status for i in report.items] == ["failed"]
    assert "private" in (report.items[0].reason or "").lower() or "loopback" in (
        report.items[0].reason or ""
    )
    assert news.hits == {}


async def test_sample_loads_offline_and_briefs_find_it(store: Store) -> None:
    report = await Ingester(store, None).ingest_sample()
    assert report.counts()["new"] == 8
    brief = build_brief(store, "korea")
    assert brief.stories and "Kim" in brief.stories[0].headline
    data = brief.to_json()
    story = data["stories"][0]
    assert set(story) == {"headline", "summary", "quote", "sources", "more_sources"}
    assert story["more_sources"] == 0  # one report: all listed
    assert story["quote"]["speaker"] == "Trump"
    assert story["sources"][0]["url"].startswith("https://sample.newsbrief.invalid/")
    # The two port-strike reports are one story with both links.
    strike = build_brief(store, "kessington strike")
    assert len(strike.stories) == 1 and len(strike.stories[0].sources) == 2
    # Loading it again stores nothing twice.
    again = await Ingester(store, None).ingest_sample()
    assert again.counts()["duplicate"] == 8 and store.counts().ok == 8


async def test_brief_on_a_quiet_topic_is_friendly(store: Store) -> None:
    await Ingester(store, None).ingest_sample()
    brief = build_brief(store, "volcano")
    post = brief.to_post()
    assert not brief.stories and brief.instead
    assert post.text and "Nothing on 'volcano' in the last 2 days" in post.text
    old = build_brief(store, "korea", now=datetime.now(UTC) + timedelta(days=30))
    assert not old.stories


def test_durations_read_back_exactly() -> None:
    assert format_duration(timedelta(hours=48)) == "2 days"
    assert format_duration(timedelta(hours=12)) == "12 hours"
    assert format_duration(timedelta(minutes=90)) == "90 minutes"
    assert format_duration(timedelta(hours=1)) == "hour"


def test_brief_arguments() -> None:
    assert parse_brief_args("north korea", timedelta(hours=48)) == (
        "north korea",
        timedelta(hours=48),
    )
    assert parse_brief_args("trade 7d", timedelta(hours=48)) == ("trade", timedelta(days=7))
    assert parse_brief_args("trade since 12h", timedelta(hours=48))[1] == timedelta(hours=12)
    with pytest.raises(BadTopicError, match="/brief korea"):
        parse_brief_args("   ", timedelta(hours=48))
    with pytest.raises(BadTopicError, match="48h"):
        parse_brief_args("trade since soon", timedelta(hours=48))
    # The units people type: "/brief korea 99y" was a brief on the topic "korea 99y".
    day = timedelta(days=1)
    assert parse_brief_args("korea 2y", 2 * day) == ("korea", 730 * day)
    assert parse_brief_args("korea 3mo", 2 * day) == ("korea", 90 * day)
    assert parse_brief_args("korea 36 hrs", 2 * day)[1] == timedelta(hours=36)
    assert parse_brief_args("korea past 2 weeks", 2 * day) == ("korea", 14 * day)
    assert parse_brief_args("iphone 16e", 2 * day) == ("iphone 16e", 2 * day)  # no unit: topic
    with pytest.raises(BadTopicError, match="at most 100y"):
        parse_brief_args("korea 9999y", 2 * day)
    with pytest.raises(BadTopicError, match="as a time span"):
        parse_brief_args("korea last 0d", 2 * day)
    with pytest.raises(BadTopicError, match="without its sign, like 5d"):
        parse_brief_args("korea -5d", 2 * day)  # was a brief on the topic "korea -5d"
    assert parse_brief_args("covid-19 2d", 2 * day) == ("covid-19", 2 * day)


async def test_a_broken_source_never_loses_the_others(
    store: Store, fetcher: Fetcher, news: NewsServer, tmp_path: Path
) -> None:
    sample_feed = Path(__file__).parents[1] / "bot" / "data" / "sample" / "feed.xml"
    report = await Ingester(store, fetcher).ingest(
        [str(sample_feed), "http://[::1", str(tmp_path / "missing.xml"), f"{news.base}/loop.opml"]
    )
    assert report.counts()["new"] == 8
    failed = {i.source: i.reason or "" for i in report.items if i.status == "failed"}
    assert "http://[::1" in failed and str(tmp_path / "missing.xml") in failed
    assert "OPML list inside an OPML list" in failed[f"{news.base}/loop.opml"]
    assert news.hits["/loop.opml"] == 2  # the list, and its one self-reference: no more


TRUNCATED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Truncated Tribune</title>'
    "<item><title>Council approves Aldwater bridge</title><link>{base}/bridge</link>"
    "<guid>{base}/bridge</guid><description>{text}</description></item><item><title>Cut"
)


async def test_feed_problems_are_reported_and_kept_in_the_feed_state(
    store: Store, fetcher: Fetcher, news: NewsServer
) -> None:
    """A truncated feed used to keep its readable item and say nothing; a feed that
    yielded no item at all reported "failed 0" and exited 0."""
    app = web.Application()
    text = " ".join(PARAGRAPHS * 2)
    app.router.add_get(
        "/truncated.xml",
        news.page(TRUNCATED.format(base=news.base, text=text), "application/rss+xml"),
    )
    app.router.add_get(
        "/empty.xml",
        news.page('<rss version="2.0"><channel><title>T</title></channel></rss><<<', "text/xml"),
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        report = await Ingester(store, fetcher).ingest(
            [f"{base}/truncated.xml", f"{base}/empty.xml"]
        )
    finally:
        await runner.cleanup()
    rows = {(i.source.rsplit("/", 1)[-1], i.status): i.reason or "" for i in report.items}
    assert "XML error" in rows[("truncated.xml", "problem")]
    assert (
        "XML error" in rows[("empty.xml", "failed")] and "no item" in rows[("empty.xml", "failed")]
    )
    assert report.counts()["new"] == 1
    truncated, empty = store.get_feed(f"{base}/truncated.xml"), store.get_feed(f"{base}/empty.xml")
    assert truncated is not None and "parsed with problems: XML error" in (
        truncated.last_error or ""
    )
    assert truncated.consecutive_failures == 0
    assert empty is not None and empty.consecutive_failures == 1 and empty.last_error


async def test_an_error_while_recording_an_error_loses_no_item(
    store: Store, fetcher: Fetcher, news: NewsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'database is locked' inside the failure handler used to end the whole feed: the
    items not yet reached were never stored nor reported. The fault is injected."""

    def locked(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(store, "record_failure", locked)
    report = await Ingester(store, fetcher).ingest([f"{news.base}/feed.xml"])
    assert sorted(i.status for i in report.items) == ["failed", "new", "new"]
    assert store.counts().ok == 2


async def test_an_entry_dated_only_by_updated_keeps_that_date(store: Store, tmp_path: Path) -> None:
    """An Atom entry with <updated> and no <published> was stored as published now: a
    2012 post headed today's briefs and digests."""
    text = " ".join(["The council repainted the zebra crossing on Main Street on Tuesday."] * 8)
    atom = tmp_path / "old.atom"
    atom.write_text(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Old</title><id>urn:x</id>'
        "<updated>2012-07-25T12:39:39Z</updated><entry><id>urn:e1</id>"
        '<link href="https://old.example.com/2012/zebra"/><title>Zebra crossing repainted</title>'
        f'<content type="html">&lt;p&gt;{text}&lt;/p&gt;</content>'
        "<updated>2012-02-09T04:57:20Z</updated></entry></feed>",
        encoding="utf-8",
    )
    await Ingester(store, None).ingest([str(atom)])
    assert build_brief(store, "zebra").stories == ()  # not in the last 2 days
    [story] = build_brief(store, "zebra", since=timedelta(days=9000)).stories
    assert story.published == datetime(2012, 2, 9, 4, 57, 20, tzinfo=UTC)


async def test_an_item_whose_page_fails_says_why_not_only_that_its_text_is_short(
    store: Store, fetcher: Fetcher
) -> None:
    """A Hacker News shaped item: a link, and "Comments" as its text. Its page answering
    404 was reported as "found no sentences in the text" alone."""

    async def feed(request: web.Request) -> web.Response:
        base = f"{request.scheme}://{request.host}"
        item = (base, [("Show HN: a thing", f"{base}/nothere", '<a href="/c">Comments</a>')])
        return web.Response(text=_rss(*item), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    async with serving(app) as base:
        report = await Ingester(store, fetcher).ingest([f"{base}/feed.xml"])
    [item] = [i for i in report.items if i.title == "Show HN: a thing"]
    assert item.status == "failed"
    assert "page not used" in (item.reason or "") and "404" in (item.reason or "")
    assert "found no sentences" in (item.reason or "")  # and what the feed's text was
