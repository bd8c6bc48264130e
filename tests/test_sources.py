"""Sources: each URL kept once with its credentials encrypted, and owned by a workspace.

Feeds are served on loopback (``allow_private_hosts`` on, except in the SSRF test).
Every test that touches a database runs on SQLite and, with
``NEWSBRIEF_TEST_DATABASE_URL``, on PostgreSQL too (``conftest.py``). The two
workspaces of the isolation tests each add a private feed whose URL carries a
password and a token; neither may see the other's articles or URL, in a brief, a
digest, an answer or ``/feeds list``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text, update

from adapters.console.adapter import ConsolePlatform
from bot.chat.conversation import Conversation, workspace_of
from bot.chat.feeds_commands import FeedCommands
from bot.chat.messages import ChannelRef, ThreadRef, User
from bot.chat.render import post_markdown
from bot.config import Settings
from bot.crypto import SecretBox
from bot.news.adding import AddedSource, add_source, register_configured
from bot.news.ingest import Ingester
from bot.news.net import Fetcher
from bot.store import Store
from bot.store.schema import Article, ArticleSource, Feed, FetchFailure
from bot.store.sources import OPERATOR, Via, url_key, workspace_key
from digests.commands import DigestCommands
from digests.delivery import DigestDelivery
from tests.fakes.platform import FakePlatform, Sent
from tests.loopback import serving

PASSWORD = "hunter2horse"
TOKENS = {"a": "tokAlpha7731", "b": "tokBeta99012"}
NOW = datetime.now(UTC)
MANAGER = User("U1", "owner", is_manager=True)
GUEST = User("U2", "guest", is_manager=False, managers="a workspace admin or owner")
ALPHA = ChannelRef("fake", "CA", "alpha", workspace="TA")
BETA = ChannelRef("fake", "CB", "beta", workspace="TB")


def _story(topic: str, place: str) -> str:
    """Full text (over 150 words), so that ingest takes it from the feed, no page fetch."""
    sentences = [
        f"The {topic} near {place} drew crowds of onlookers on Monday morning.",
        f"Officials in {place} said the {topic} had been expected for several weeks.",
        f"Scientists measured the {topic} with instruments placed around {place}.",
        f"Residents of {place} described the {topic} as the largest in living memory.",
        f"“We have never seen a {topic} like this,” said Mayor Ilse Brandt of {place}.",
    ]
    return " ".join(sentences * 4)


STORIES = {  # path -> (feed title, [(item title, topic, place)])
    "a.xml": (
        "Alpha Private Wire",
        [
            ("Volcano wakes above Tarnvik", "volcano", "Tarnvik"),
            ("Lindholm ferry back in service", "ferry", "Lindholm"),  # Gamma's story too
        ],
    ),
    "b.xml": ("Beta Private Wire", [("Glacier calves into Osterfjord", "glacier", "Osterfjord")]),
    "planet.xml": (
        "Daily Planet",
        [
            ("Harbour strike ends at Kessport", "strike", "Kessport"),
            ("Lighthouse restored at Kessport", "lighthouse", "Kessport"),
            ("Market reopens at Kessport", "market", "Kessport"),
        ],
    ),
    "c.xml": ("Gamma Coast News", [("Ferry returns to Lindholm", "ferry", "Lindholm")]),
}
ARTICLE_HTML = (
    "<html><head><title>Bridge approved over the Aldwater</title></head><body><article>"
    "<h1>Bridge approved over the Aldwater</h1>"
    + "".join(f"<p>{_story('bridge', 'Aldwater')[i * 300 : (i + 1) * 300]}</p>" for i in range(4))
    + "</article></body></html>"
)


@dataclass
class FeedServer:
    base: str = ""
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str, who: str | None = None) -> str:
        """A feed's URL; a workspace's private one carries a password and a token."""
        if who is None:
            return f"{self.base}/{path}"
        host = self.base.removeprefix("http://")
        return f"http://{who}:{PASSWORD}@{host}/{path}?token={TOKENS[who]}"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/list.opml", self.opml)
        app.router.add_get("/page", self.fixed(ARTICLE_HTML, "text/html"))
        app.router.add_get(
            "/empty", self.fixed("<html><body><p>Hi.</p></body></html>", "text/html")
        )
        app.router.add_get("/broken.xml", self.fixed("<rss><channel><item>", "application/rss+xml"))
        app.router.add_get("/{name}", self.feed)
        return app

    def _count(self, request: web.Request) -> None:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1

    async def feed(self, request: web.Request) -> web.Response:
        self._count(request)
        name = request.match_info["name"]
        if name not in STORIES:
            return web.Response(status=404, text="not found")
        private = {"a.xml": "a", "b.xml": "b"}.get(name)
        if private is not None:  # the fetch must use the full URL: userinfo and token
            auth = "Basic " + base64.b64encode(f"{private}:{PASSWORD}".encode()).decode()
            if (
                request.query.get("token") != TOKENS[private]
                or request.headers.get("Authorization") != auth
            ):
                return web.Response(status=401, text="who are you?")
        title, items = STORIES[name]
        stamp = f"{NOW - timedelta(hours=1):%a, %d %b %Y %H:%M:%S} +0000"
        body = "".join(
            f"<item><title>{t}</title><link>{self.base}/{name}/{i}</link>"
            f"<guid>{name}-{i}</guid><pubDate>{stamp}</pubDate>"
            f"<description>{_story(topic, place)}</description></item>"
            for i, (t, topic, place) in enumerate(items)
        )
        rss = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>{self.base}/</link>{body}</channel></rss>"
        )
        return web.Response(text=rss, content_type="application/rss+xml")

    def fixed(
        self, body: str, content_type: str
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            self._count(request)
            return web.Response(text=body, content_type=content_type)

        return handler

    async def opml(self, request: web.Request) -> web.Response:
        self._count(request)
        outlines = "".join(
            f'<outline text="{n}" xmlUrl="{self.base}/{n}"/>' for n in ("planet.xml", "c.xml")
        )
        return web.Response(
            text=f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>',
            content_type="text/x-opml",
        )


@pytest.fixture
async def feeds() -> AsyncIterator[FeedServer]:
    server = FeedServer()
    async with serving(server.app()) as server.base:
        yield server


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@pytest.fixture
def store(
    database_url: str, box: SecretBox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path / "data"))  # never the user's
    s = Store.open(database_url, box=lambda: box)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
async def fetcher(tmp_path: Path) -> AsyncIterator[Fetcher]:
    f = Fetcher(Settings(allow_private_hosts=True, data_dir=tmp_path))
    try:
        yield f
    finally:
        await f.aclose()


class Bot:
    """The conversation with /feeds and /digest plugged in, on a FakePlatform."""

    def __init__(self, store: Store, fetcher: Fetcher) -> None:
        self.store = store
        self.ingester = Ingester(store, fetcher)
        self.conversation = Conversation(store)
        self.platform = FakePlatform(handler=self.conversation)
        self.delivery = DigestDelivery(store, {"fake": self.platform})

        async def add(url: str, workspace: str, user: str | None) -> AddedSource:
            return await add_source(self.ingester, url, owner=workspace, added_by=user)

        self.conversation.commands["feeds"] = FeedCommands(store, add)
        self.conversation.commands["digest"] = DigestCommands(store, self.delivery)

    async def say(self, line: str, channel: ChannelRef, user: User = MANAGER) -> Sent:
        await self.platform.command(user, line, channel)
        return self.platform.workspace.sent.items[-1]

    def text(self, sent: Sent) -> str:
        return post_markdown(sent.post)


@pytest.fixture
async def bot(store: Store, fetcher: Fetcher) -> Bot:
    b = Bot(store, fetcher)
    await b.ingester.ingest_sample()  # the operator's: every workspace sees it
    return b


# ---------------------------------------------------------------- keys and scopes


def test_workspace_keys_never_widen_a_scope() -> None:
    assert workspace_key("slack", "T024", "C1") == "slack:T024"
    assert workspace_key("discord", None, "D9") == "discord:#D9"  # a DM: that channel alone
    assert workspace_of(ALPHA) == "fake:TA"
    assert workspace_of(ThreadRef("fake", "CA", "7", workspace="TA")) == "fake:TA"
    assert workspace_key("operator", None, "x") != OPERATOR


def test_url_key_of_a_secret_url_is_keyed(box: SecretBox) -> None:
    plain, secret = "https://x.example/rss", f"https://x.example/rss?token={TOKENS['a']}"
    assert url_key(plain, lambda: box) == "sha256:" + hashlib.sha256(plain.encode()).hexdigest()
    keyed = url_key(secret, lambda: box)
    assert keyed.startswith("hmac:") and hashlib.sha256(secret.encode()).hexdigest() not in keyed
    other = SecretBox(Fernet.generate_key())
    assert url_key(secret, lambda: other) != keyed  # guessing needs the key


# ---------------------------------------------------------------- kept once, encrypted


def _database_text(store: Store, database_url: str) -> str:
    """Everything a dump would show: the SQLite files' bytes, or every text column."""
    if store.dialect == "sqlite":
        path = Path(database_url.removeprefix("sqlite:///"))
        return "".join(p.read_bytes().decode("latin-1") for p in path.parent.glob(path.name + "*"))
    with store.engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type IN "
                "('text', 'character varying', 'json', 'jsonb', 'bytea')"
            )
        ).all()
        return "\n".join(
            str(v)
            for table, column in columns
            for v in conn.execute(text(f'SELECT "{column}" FROM "{table}"')).scalars()
        )


async def test_a_dump_yields_no_password_or_token(
    store: Store, fetcher: Fetcher, feeds: FeedServer, database_url: str, box: SecretBox
) -> None:
    private = feeds.url("a.xml", "a")
    report = await Ingester(store, fetcher).ingest([private])
    assert report.counts()["new"] == 2, report.items
    state = store.get_feed(private)
    assert state is not None and state.url == private  # decrypted for fetching
    assert PASSWORD not in state.shown and TOKENS["a"] not in state.shown
    assert PASSWORD not in repr(state) and TOKENS["a"] not in repr(state)
    with store.engine.connect() as conn:
        row = conn.execute(select(Feed.url, Feed.secret_url).where(Feed.id == state.id)).one()
        stored_failures = conn.execute(select(func.count()).select_from(FetchFailure)).scalar()
    assert row.url == f"{feeds.base}/a.xml?token=REDACTED"
    assert box.decrypt(row.secret_url) == private
    assert stored_failures == 0
    if store.dialect == "sqlite":
        store.engine.dispose()  # WAL checkpointed: all of it in the files we read
    dumped = _database_text(store, database_url)
    assert "Volcano wakes above Tarnvik" in dumped  # the dump is real
    assert PASSWORD not in dumped
    assert TOKENS["a"] not in dumped


async def test_the_poller_fetches_with_the_full_url_and_logs_only_the_safe_one(
    store: Store, fetcher: Fetcher, feeds: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    private = feeds.url("a.xml", "a")
    await add_source(Ingester(store, fetcher), private, owner="fake:TA")
    state = store.get_feed(private)
    assert state is not None
    with store.engine.begin() as conn:  # due now
        conn.execute(update(Feed).values(next_poll=None, etag=None))
    caplog.set_level(logging.DEBUG)
    report = await Ingester(store, fetcher).poll_due()
    assert feeds.hits["/a.xml"] == 2  # the add, then the poll: both let in (token and password)
    assert [i.status for i in report.items if "a.xml" in i.source] == ["duplicate"] * 2
    assert all(TOKENS["a"] not in i.source for i in report.items)
    assert TOKENS["a"] not in caplog.text and PASSWORD not in caplog.text


async def test_the_run_poller_keeps_a_workspace_s_feed_its_own(
    store: Store, fetcher: Fetcher, feeds: FeedServer
) -> None:
    from bot.poller import FeedPoller

    private = feeds.url("a.xml", "a")
    await add_source(Ingester(store, fetcher), private, owner="fake:TA")
    with store.engine.begin() as conn:  # due now
        conn.execute(update(Feed).values(next_poll=None))
    poller = FeedPoller(store, Ingester(store, fetcher), holder="test", interval=900, lease=60)
    assert await poller.poll_once() == 1
    assert feeds.hits["/a.xml"] == 2  # polled with its password and token
    assert [r.url for r in store.sources.listing(OPERATOR)] == []  # not made everyone's
    assert store.search("volcano", since=NOW - timedelta(days=1), workspace="fake:TB") == []


async def test_one_row_per_url_and_an_article_seen_through_each_source(
    store: Store, fetcher: Fetcher, feeds: FeedServer
) -> None:
    ingester = Ingester(store, fetcher)
    private = feeds.url("a.xml", "a")
    first = await add_source(ingester, private, owner="fake:TA")
    again = await add_source(ingester, private, owner="fake:TB")
    assert first.id == again.id  # the same full URL is one source, read by both
    with store.engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(Feed).where(Feed.kind == "feed")).scalar()
            == 1
        )
    # The same story through a second source: one article, linked to both.
    planet = await add_source(ingester, feeds.url("planet.xml"), owner="fake:TC")
    article = store.search("harbour strike", since=NOW - timedelta(days=1), workspace="fake:TC")
    assert article and planet.new == 3
    store.link_article(article[0].article_id, first.id)
    with store.engine.connect() as conn:
        links = conn.execute(
            select(ArticleSource.feed_id).where(ArticleSource.article_id == article[0].article_id)
        ).scalars()
        assert set(links) == {first.id, planet.id}
    assert store.search("harbour strike", since=NOW - timedelta(days=1), workspace="fake:TA")


# ---------------------------------------------------------------- two workspaces


async def test_two_workspaces_never_see_each_others_private_feeds(
    bot: Bot, feeds: FeedServer
) -> None:
    added_a = await bot.say(f"/feeds add {feeds.url('a.xml', 'a')}", ALPHA)
    added_b = await bot.say(f"/feeds add {feeds.url('b.xml', 'b')}", BETA)
    assert "Alpha Private Wire — 2 items, checked every 15 min" in (added_a.post.text or "")
    assert "Beta Private Wire" in (added_b.post.text or ""), added_b.post
    seen: dict[str, list[str]] = {"a": [], "b": []}
    for who, channel in (("a", ALPHA), ("b", BETA)):
        for line in ("/brief volcano", "/brief glacier", "/feeds list", "/digest preview"):
            if line == "/digest preview":
                await bot.say("/digest subscribe everything at 07:30", channel)
            seen[who].append(bot.text(await bot.say(line, channel)))
    alpha, beta = "\n".join(seen["a"]), "\n".join(seen["b"])
    assert "Volcano wakes above Tarnvik" in alpha and "Glacier calves" in beta
    assert "Glacier calves" not in alpha and "Osterfjord" not in alpha
    assert "Volcano wakes" not in beta and "Tarnvik" not in beta
    assert "a.xml" not in beta and "Alpha Private Wire" not in beta
    assert "b.xml" not in alpha and "Beta Private Wire" not in alpha
    for secret in (PASSWORD, *TOKENS.values()):
        assert secret not in alpha + beta
    # The sample is the operator's: both see it.
    for channel in (ALPHA, BETA):
        assert "Kessington" in bot.text(await bot.say("/brief kessington", channel))


async def test_an_answer_uses_only_what_the_thread_s_workspace_reads(
    bot: Bot, feeds: FeedServer
) -> None:
    await bot.say(f"/feeds add {feeds.url('a.xml', 'a')}", ALPHA)
    brief = await bot.say("/brief volcano", ALPHA)
    assert brief.thread is not None and brief.post.article_ids
    thread_a = ThreadRef("fake", ALPHA.id, brief.thread.id, workspace="TA")
    await bot.platform.thread_reply(MANAGER, thread_a, "what did the mayor say?")
    answer_a = bot.text(bot.platform.workspace.sent.items[-1])
    assert "/a.xml/0" in answer_a  # answered from (or pointing to) its own article
    # The same articles remembered for a thread in the other workspace are not read there.
    thread_b = ThreadRef("fake", BETA.id, "99", workspace="TB")
    bot.store.threads.save(thread_b, "brief", "x", brief.post.article_ids)
    await bot.platform.thread_reply(MANAGER, thread_b, "what did the mayor say?")
    answer_b = bot.text(bot.platform.workspace.sent.items[-1])
    assert "volcano" not in answer_b.lower() and "a.xml" not in answer_b
    assert "Alpha" not in answer_b


async def test_a_shared_story_lists_only_the_sources_a_workspace_reads(
    bot: Bot, feeds: FeedServer
) -> None:
    await bot.ingester.ingest([feeds.url("c.xml")])  # the operator's Gamma Coast News
    await bot.say(f"/feeds add {feeds.url('a.xml', 'a')}", ALPHA)  # the same ferry story
    day = NOW - timedelta(days=1)
    for workspace, titles in (
        ("fake:TA", {"Ferry returns to Lindholm", "Lindholm ferry back in service"}),
        ("fake:TB", {"Ferry returns to Lindholm"}),
    ):
        (story,) = bot.store.search("lindholm ferry", since=day, workspace=workspace)
        assert {s.title for s in story.sources} == titles
        top = bot.store.recent(day, limit=20, workspace=workspace)
        ferry = [h for h in top if h.cluster_id == story.cluster_id]
        assert [{s.title for s in h.sources} for h in ferry] == [titles]
    beta = bot.text(await bot.say("/brief lindholm ferry", BETA))
    assert "Ferry returns to Lindholm" in beta
    assert "back in service" not in beta and "a.xml" not in beta and "Alpha" not in beta


# ---------------------------------------------------------------- /feeds add, list, remove


async def test_feeds_add_list_remove(bot: Bot, feeds: FeedServer) -> None:
    listed = bot.text(await bot.say("/feeds list", ALPHA))
    assert "no sources of its own" in listed and "Shared with every workspace (1)" in listed
    opml = await bot.say(f"/feeds add {feeds.url('list.opml')}", ALPHA)
    assert "an OPML list of 2 feeds, each checked every 15 min" in (opml.post.text or "")
    await bot.ingester.poll_due()  # the list's feeds are due at once
    assert "Ferry returns" in bot.text(await bot.say("/brief ferry", ALPHA))
    assert "Ferry returns" not in bot.text(await bot.say("/brief ferry", BETA))
    page = await bot.say(f"/feeds add {feeds.url('page')}", ALPHA)
    assert "Bridge approved over the Aldwater — an article page, read once" in (
        page.post.text or ""
    )
    listed = bot.text(await bot.say("/feeds list", ALPHA))
    assert "OPML list of 2 feeds" in listed and "article page, 1 article" in listed
    # Added again: said so, and nothing fetched or changed; another workspace adds its own.
    secret = feeds.url("a.xml", "a")
    first = await bot.say(f"/feeds add {secret}", ALPHA)
    again = await bot.say(f"/feeds add {secret}", ALPHA)
    number = (first.post.text or "").split(":")[0].removeprefix("Added ")
    assert again.post.text == f"Already read here as {number}: Alpha Private Wire. Nothing changed."
    assert feeds.hits["/a.xml"] == 1
    other = await bot.say(f"/feeds add {secret}", BETA)
    assert (other.post.text or "").startswith(f"Added {number}: ")  # the same row, read by both
    # Removed by its address too, as it was added; the other workspace still reads it.
    removed = await bot.say(f"/feeds remove {secret}", BETA)
    assert removed.post.text == f"Stopped reading {number} Alpha Private Wire."
    missing = await bot.say(f"/feeds remove {secret}", BETA)
    assert "reads no source at" in (missing.post.text or "") and "token=REDACTED" in (
        missing.post.text or ""
    )
    assert PASSWORD not in (missing.post.text or "")
    list_id = opml.post.text.split("#")[1].split(":")[0] if opml.post.text else ""
    removed = await bot.say(f"/feeds remove {list_id}", ALPHA)
    assert removed.post.title == "Source removed", removed.post
    assert "Ferry returns" not in bot.text(await bot.say("/brief ferry", ALPHA))
    with bot.store.engine.connect() as conn:  # nobody reads them: the list and its feeds are gone
        urls = set(conn.execute(select(Feed.url)).scalars())
    assert feeds.url("c.xml") not in urls and feeds.url("list.opml") not in urls
    gone = await bot.say(f"/feeds remove {list_id}", ALPHA)
    assert gone.post.kind == "error" and f"no source #{list_id}" in (gone.post.text or "")


async def test_only_managers_add_or_remove(bot: Bot, feeds: FeedServer) -> None:
    for line in (f"/feeds add {feeds.url('planet.xml')}", "/feeds remove 1"):
        refused = await bot.say(line, ALPHA, GUEST)
        assert refused.post.kind == "error" and refused.user_id == GUEST.id
        assert "Only people who manage this channel" in (refused.post.text or "")
        assert "a workspace admin or owner" in (refused.post.text or "")
    assert feeds.hits == {}  # nothing fetched for a refused add
    assert (await bot.say("/feeds list", ALPHA, GUEST)).post.title == "Sources read here"


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("nowhere.xml", "HTTP 404"),
        ("broken.xml", "can't read it"),
        ("empty", "no feed, OPML list or article"),
        ("ftp", "starting with https://"),
    ],
)
async def test_a_broken_source_is_a_clear_error_and_nothing_is_stored(
    bot: Bot, feeds: FeedServer, path: str, says: str
) -> None:
    before = bot.store.counts()
    url = "ftp://example.com/feed" if path == "ftp" else feeds.url(path)
    failed = await bot.say(f"/feeds add {url}", ALPHA)
    assert failed.post.kind == "error" and says in (failed.post.text or ""), failed.post
    assert bot.store.counts() == before
    assert bot.store.sources.listing("fake:TA") == []


async def test_the_ssrf_guard_refuses_a_private_address(
    store: Store, feeds: FeedServer, tmp_path: Path
) -> None:
    guarded = Fetcher(Settings(allow_private_hosts=False, data_dir=tmp_path))
    try:
        b = Bot(store, guarded)
        refused = await b.say(f"/feeds add {feeds.url('planet.xml')}", ALPHA)
    finally:
        await guarded.aclose()
    assert refused.post.kind == "error" and "Nothing was added" in (refused.post.text or "")
    assert "private" in (refused.post.text or "").lower() or "loopback" in (refused.post.text or "")
    assert feeds.hits == {} and store.counts().feeds == 0


async def test_feeds_from_the_console(
    store: Store, fetcher: Fetcher, feeds: FeedServer, tmp_path: Path
) -> None:
    b = Bot(store, fetcher)
    out = io.StringIO()
    console = ConsolePlatform(tmp_path / "posts.jsonl", stdin=io.StringIO(), stdout=out)
    await console.handle_line(b.conversation, f"/feeds add {feeds.url('planet.xml')}")
    await console.handle_line(b.conversation, "/feeds list")
    await console.handle_line(b.conversation, "/brief harbour")
    shown = out.getvalue()
    assert "Daily Planet — 3 items, checked every 15 min" in shown
    assert "Harbour strike ends at Kessport" in shown
    assert store.sources.listing("console:#console")[0].title == "Daily Planet"


# ---------------------------------------------------------------- operator sources


async def test_configured_feeds_are_the_operators_and_known_ones_keep_their_state(
    store: Store, fetcher: Fetcher, feeds: FeedServer, tmp_path: Path
) -> None:
    planet, gamma = feeds.url("planet.xml"), feeds.url("c.xml")
    ingested = feeds.url("b.xml", "b")  # `newsbrief ingest`'s: the setting never named it
    store.sources.register(ingested, "feed", Via(owner=OPERATOR))
    assert register_configured(store, f"{planet}, {gamma}") == 2
    await Ingester(store, fetcher).poll_due()
    polled = store.get_feed(planet)
    assert polled is not None and polled.last_polled is not None
    assert store.search("ferry", since=NOW - timedelta(days=1), workspace="slack:T9")
    # The operator drops Gamma from the setting and restarts: it is no longer read.
    assert register_configured(store, planet) == 1
    assert store.get_feed(planet) == polled  # registering again resets nothing
    assert [r.title for r in store.sources.listing(OPERATOR)] == [
        "Beta Private Wire",
        "Daily Planet",
    ]
    assert store.get_feed(gamma) is None
    assert not store.search("ferry", since=NOW - timedelta(days=1), workspace="slack:T9")
    # An OPML list instead, naming Planet and Gamma; then edited to name Planet alone.
    opml = tmp_path / "feeds.opml"
    outline = '<outline xmlUrl="{}"/>'
    opml.write_text(f"<opml><body>{outline.format(planet)}{outline.format(gamma)}</body></opml>")
    assert register_configured(store, str(opml)) == 2
    assert store.get_feed(planet) == polled and store.get_feed(gamma) is not None
    opml.write_text(f"<opml><body>{outline.format(planet)}</body></opml>")
    assert register_configured(store, str(opml)) == 1
    assert store.get_feed(gamma) is None and store.get_feed(planet) == polled
    # The setting emptied: what it named goes, what the operator ingested stays.
    assert register_configured(store, "") == 0
    assert store.get_feed(planet) is None and store.get_feed(opml.resolve().as_uri()) is None
    assert [r.title for r in store.sources.listing(OPERATOR)] == ["Beta Private Wire"]
    with pytest.raises(Exception, match="neither an OPML file nor feed URLs"):
        register_configured(store, "feeds.txt")
    with pytest.raises(Exception, match="not an http"):
        register_configured(store, f"{planet},file:///etc/passwd")


async def test_run_registers_newsbrief_feeds_and_plugs_feeds_in(
    feeds: FeedServer, tmp_path: Path
) -> None:
    from bot.app import NewsbriefApp

    settings = Settings.model_validate(
        {
            "data_dir": tmp_path / "data",
            "database_url": f"sqlite:///{tmp_path / 'run.db'}",
            "http_port": 0,
            "console": False,
            "allow_private_hosts": True,
            "secret_key": Fernet.generate_key().decode(),
            "feeds": f"{feeds.url('planet.xml')},{feeds.url('c.xml')}",
        }
    )
    app = NewsbriefApp(settings, sample=False)
    try:
        await app.open()
        shared = app.store.sources.listing(OPERATOR)
        assert sorted(r.url for r in shared) == [feeds.url("c.xml"), feeds.url("planet.xml")]
        feeds_group = app.conversation.commands["feeds"]
        assert isinstance(getattr(feeds_group, "inner", feeds_group), FeedCommands)
        assert "/feeds ..." in app.conversation.help_text
    finally:
        await app.close()


async def test_the_operator_naming_a_private_feed_does_not_share_it(
    store: Store, fetcher: Fetcher, feeds: FeedServer
) -> None:
    private = feeds.url("a.xml", "a")
    await add_source(Ingester(store, fetcher), private, owner="fake:TA")
    await Ingester(store, fetcher).ingest([private])  # newsbrief ingest of a known URL
    assert store.search("volcano", since=NOW - timedelta(days=1), workspace="fake:TB") == []
    assert store.search("volcano", since=NOW - timedelta(days=1), workspace="fake:TA")


# ---------------------------------------------------------------- migration 0006


def test_existing_rows_are_migrated_and_their_secrets_encrypted(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store at 0005 with a credentialed feed URL in feeds, articles and failures."""
    from alembic import command

    from bot.store import create_store_engine
    from bot.store.migrate import alembic_config

    key = Fernet.generate_key()
    monkeypatch.setenv("NEWSBRIEF_SECRET_KEY", key.decode())  # the migration's key
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path / "data"))
    private = f"https://a:{PASSWORD}@wire.example/rss?token={TOKENS['a']}"
    sample = "https://sample.newsbrief.invalid/feed.xml"
    engine = create_store_engine(database_url)
    ts = NOW.replace(tzinfo=None) if engine.dialect.name == "sqlite" else NOW
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
        conn.execute(
            text(
                "INSERT INTO feeds (url, etag, poll_interval_s, consecutive_failures) "
                "VALUES (:p, 'W/1', 900, 0), ('https://pub.example/rss', NULL, 900, 0)"
            ),
            {"p": private},
        )
        conn.execute(text("INSERT INTO clusters VALUES (1, 'Volcano', :t, :t, 3)"), {"t": ts})
        for i, feed_url in enumerate((private, sample, None), start=1):
            conn.execute(
                text(
                    "INSERT INTO articles (id, canonical_url, url, guid, feed_url, title, text, "
                    "published, fetched_at, updated_at, content_hash, status, cluster_id) "
                    "VALUES (:i, :u, :u, :g, :f, :title, :body, :t, :t, :t, :h, 'ok', 1)"
                ),
                {"i": i, "u": f"https://wire.example/{i}", "g": f"g{i}", "f": feed_url,
                 "title": f"Volcano report {i}", "body": _story("volcano", "Tarnvik"),
                 "t": ts, "h": f"h{i}"},
            )  # fmt: skip
            conn.execute(
                text("INSERT INTO article_signatures VALUES (:i, :m, '{}')"), {"i": i, "m": b"x"}
            )
            conn.execute(text("INSERT INTO article_keys VALUES (:i, 7, 1, :t)"), {"i": i, "t": ts})
        conn.execute(
            text(
                "INSERT INTO fetch_failures (canonical_url, url, feed_url, reason, first_failed, "
                "last_failed, attempts) VALUES ('https://wire.example/x', "
                "'https://wire.example/x', :p, 'HTTP 500', :t, :t, 1)"
            ),
            {"p": private, "t": ts},
        )
    engine.dispose()

    with Store.open(database_url) as store:
        state = store.get_feed(private)  # found under the key the store computes
        assert state is not None and state.url == private and state.etag == "W/1"
        assert state.shown == "https://wire.example/rss?token=REDACTED"
        assert store.sources.listing(OPERATOR)[0].id == state.id
        with store.engine.connect() as conn:
            kinds = {u: k for u, k in conn.execute(select(Feed.url, Feed.kind))}
            links = conn.execute(select(ArticleSource.article_id, ArticleSource.feed_id)).all()
            feed_ids = {i: f for i, f in conn.execute(select(Article.id, Article.feed_id))}
            failure = conn.execute(select(FetchFailure.feed_id)).scalar_one()
            kept = [
                conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("article_signatures", "article_keys")
            ]
            if store.dialect == "sqlite":
                conn.execute(
                    text("INSERT INTO articles_fts(articles_fts) VALUES('integrity-check')")
                )
        assert kinds[sample] == "local" and kinds["https://pub.example/rss"] == "feed"
        assert kinds["urn:newsbrief:stored-directly"] == "local"
        assert feed_ids[1] == state.id and failure == state.id and feed_ids[3] is None
        assert len(links) == 3 and kept == [3, 3]
        hits = store.search("volcano", since=NOW - timedelta(days=1), now=NOW, workspace="slack:T1")
        assert {s.article_id for h in hits for s in h.sources} == {1, 2, 3}  # the operator's
        sub = store.outbox.add_subscription("slack", "C1", {}, workspace="T1")
        assert sub.scope == "slack:T1"
        dumped = _database_text(store, database_url)
        assert "Volcano report 1" in dumped
        assert PASSWORD not in dumped and TOKENS["a"] not in dumped


@pytest.mark.parametrize(
    ("before", "url", "shown", "secret"),
    [
        # 0013: a webhook-shaped URL (its path's secret was no credential before)
        (
            "0012",
            "https://discord.com/api/webhooks/1122334455/WH-path-s3cret",
            "https://discord.com/api/webhooks/1122334455/REDACTED",
            "s3cret",
        ),
        # 0014: a redirector whose target carries a token (?to=https://host/feed?token=…)
        (
            "0013",
            "https://go.example/r?to=https://pub.example/feed?token=N3sted-s3cret",
            "https://go.example/r?to=https%3A%2F%2Fpub.example%2Ffeed%3Ftoken%3DREDACTED",
            "N3sted",
        ),
    ],
)
def test_a_source_with_a_newly_known_secret_is_redacted_and_encrypted_on_upgrade(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    before: str,
    url: str,
    shown: str,
    secret: str,
) -> None:
    """A store at ``before`` held the URL whole in ``url``: the next migration keeps it as
    every URL with credentials is kept (shown redacted, encrypted, found again)."""
    from alembic import command

    from bot.store import create_store_engine
    from bot.store.migrate import alembic_config

    monkeypatch.setenv("NEWSBRIEF_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("NEWSBRIEF_DATA_DIR", str(tmp_path / "data"))
    public = "https://pub.example/rss"
    engine = create_store_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), before)
        for u in (url, public):
            conn.execute(
                text(
                    "INSERT INTO feeds (kind, url, url_key, poll_interval_s, consecutive_failures)"
                    " VALUES ('feed', :u, :k, 900, 0)"
                ),
                {"u": u, "k": "sha256:" + hashlib.sha256(u.encode()).hexdigest()},
            )
    engine.dispose()

    with Store.open(database_url) as store:
        state = store.get_feed(url)  # found under the key the store computes now
        assert state is not None and state.url == url and state.shown == shown
        assert store.get_feed(public) is not None
        with store.engine.connect() as conn:
            rows = {u: s for u, s in conn.execute(select(Feed.url, Feed.secret_url))}
    assert set(rows) == {shown, public}  # the secret is in no plain column
    assert rows[public] is None and rows[shown] and secret not in rows[shown]
