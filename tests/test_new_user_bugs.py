"""Issue 11 item 5: what a new user meets first. Each test failed before its fix."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.chat.briefs import build_brief
from bot.chat.conversation import Conversation, answer_post
from bot.chat.messages import Post
from bot.chat.render import link_url, post_markdown, post_text
from bot.nlp.answers import Answer, AnswerSentence
from bot.store import ArticleRecord, Store
from bot.urls import canonical_url, strip_tracking
from digests.commands import DigestCommands
from digests.delivery import DigestDelivery
from digests.schedule import parse_subscription
from tests.fakes.platform import CHANNEL, MANAGER, FakePlatform

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
KOREA = (
    "Trump Teases Another Sit-Down With Kim Jong-un",
    "President Trump said he would meet North Korea's leader Kim Jong-un again, as Korea "
    "talks resumed in Seoul. ",
)


def _article(
    store: Store, n: int, title: str, lead: str, age: timedelta, url: str = "", tail: str = ""
) -> int:
    details = " ".join(f"More detail {n}-{i} on the talks and what was said." for i in range(20))
    text = lead + details + tail
    record = ArticleRecord(
        url=url or f"https://news{n}.example/a/{n}", title=title, text=text,
        site=f"news{n}.example", published=NOW - age,
        analysis={"summary": [{"text": lead}], "quotes": []},
    )  # fmt: skip
    return store.upsert_article(record, now=NOW - age).article_id


def _digests(store: Store) -> FakePlatform:
    clock = lambda: NOW  # noqa: E731
    delivery = DigestDelivery(store, {}, clock=clock)
    conversation = Conversation(store)
    conversation.commands["digest"] = DigestCommands(store, delivery, clock=clock)
    return FakePlatform(handler=conversation)


async def test_the_first_digest_looks_back_as_far_as_the_brief(store: Store) -> None:
    _article(store, 1, *KOREA, age=timedelta(hours=30))  # in a 48 h brief, not in 24 h
    fake = _digests(store)
    await fake.command(MANAGER, "/digest subscribe korea at 07:30 Asia/Seoul weekdays")
    await fake.command(MANAGER, "/digest now")
    [digest] = fake.workspace.posts("channel")
    assert [i.headline for i in digest.items] == [KOREA[0]]
    assert "last digest" not in post_markdown(digest)


async def test_an_empty_first_digest_mentions_no_last_digest(store: Store) -> None:
    _article(store, 1, *KOREA, age=timedelta(hours=3))
    fake = _digests(store)
    await fake.command(MANAGER, "/digest subscribe volcanoes at 07:30 always")
    await fake.command(MANAGER, "/digest now")
    [digest] = fake.workspace.posts("channel")
    assert digest.text == "Nothing on volcanoes in the last 2 days."


def test_an_empty_brief_says_what_there_is(store: Store) -> None:
    empty = build_brief(store, "korea", now=NOW).to_post()
    assert empty.text is not None and empty.text.startswith("No news has been ingested yet")

    _article(store, 1, *KOREA, age=timedelta(days=5))
    old = build_brief(store, "korea", now=NOW).to_post()
    assert old.text == (
        "Nothing on 'korea' in the last 2 days; the newest on korea is from 24 Nov 2026: "
        "try /brief korea 7d"
    )
    assert "ingested" not in old.text
    assert build_brief(store, "korea", since=timedelta(days=7), now=NOW).stories

    other = build_brief(store, "volcanoes", now=NOW).to_post()  # no such story, ever
    assert other.text == "Nothing on 'volcanoes' in the last 2 days. Nothing else came in " \
        "either: try a longer span, like 7d."  # fmt: skip


TRACKED = (
    "https://news.example/a/trump-kim?utm_source=rss&utm_medium=feed&id=7&fbclid=IwAR0"
    "&gclid=Cj0&xtor=RSS-1&mc_cid=ab12&mc_eid=cd34&ocid=msn&_hsenc=p2&igshid=x#top"
)


def test_tracking_parameters_leave_canonical_and_shown_links() -> None:
    assert strip_tracking(TRACKED) == "https://news.example/a/trump-kim?id=7#top"
    assert canonical_url(TRACKED) == "https://news.example/a/trump-kim?id=7"
    assert link_url(TRACKED) == "https://news.example/a/trump-kim?id=7#top"
    kept = "https://news.example/search?q=utm&page=2"  # a value is never a tracker
    assert strip_tracking(kept) == kept and link_url(kept) == kept
    assert strip_tracking("urn:newsbrief:abc") == "urn:newsbrief:abc"


def test_a_brief_shows_its_sources_without_trackers(store: Store) -> None:
    url = "https://news.example/a/trump-kim?utm_source=rss&utm_medium=feed"
    _article(store, 1, *KOREA, age=timedelta(hours=3), url=url)
    post = build_brief(store, "korea", now=NOW).to_post()
    [source] = post.items[0].sources
    assert source.url == "https://news.example/a/trump-kim"
    assert "utm_" not in post_markdown(post)


async def test_console_numbers_start_at_one_for_each_database(tmp_path: Path) -> None:
    import io

    from adapters.console.adapter import ConsolePlatform, record_path
    from bot.app import platforms
    from bot.config import Settings
    from bot.server import HttpServer

    data = tmp_path / "data"
    first = [record_path(data, f"sqlite:///{tmp_path / name}") for name in ("a.db", "b.db", "a.db")]
    assert first[0] == tmp_path / "a.db.console-posts.jsonl" and first[0] == first[2]
    assert first[0] != first[1]
    pg = record_path(data, "postgresql+psycopg://newsbrief:s3cret@db:5432/one")
    assert pg.parent == data and "s3cret" not in pg.name
    assert pg != record_path(data, "postgresql+psycopg://newsbrief:s3cret@db:5432/two")

    numbers = []
    for name in ("a.db", "b.db", "a.db"):
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, data_dir=data, database_url=f"sqlite:///{tmp_path / name}",
            console=True,
        )  # fmt: skip
        store = Store.open(settings.effective_database_url())
        try:
            [console] = platforms(
                settings, store=store, server=HttpServer("127.0.0.1", 0), out=io.StringIO()
            )
            assert isinstance(console, ConsolePlatform)
            post = build_brief(store, "korea", now=NOW).to_post()
            numbers.append((await console.post(CHANNEL, post)).id)
        finally:
            store.close()
    assert numbers == ["1", "1", "2"]  # a fresh database starts at [1]; a.db goes on


async def test_a_story_about_the_topic_ranks_above_a_passing_mention(store: Store) -> None:
    from bot.news.ingest import Ingester

    feeds = Path(__file__).parent / "fixtures/feeds/feedjira"
    await Ingester(store, None).ingest(
        [str(feeds / "HuffPostCanada.xml"), str(feeds / "TechCrunch.xml")]
    )
    # Years after the feeds, as `newsbrief brief canada --since 9000d` asks today: the
    # recency decay used to underflow to 0 and rank by publication time alone.
    hits = store.search("canada", since=datetime(1970, 1, 1, tzinfo=UTC), limit=5)
    assert [h.headline for h in hits][:2] == [
        "Ooma Invades Canada, US Premier Subscribers Can Now Talk To Their Northern Cousins "
        "For Free",
        "BBM Music App Goes Live In BlackBerry App World",  # "the U.S., Canada, and Australia"
    ]
    brief = build_brief(store, "canada", since=timedelta(days=9000))
    assert brief.stories[0].headline.startswith("Ooma Invades Canada")


def test_the_headline_beats_a_fresher_passing_mention(store: Store) -> None:
    passing = _article(
        store, 1, "Port strike enters third day",
        "Dock workers at the port stayed out for a third day. ",
        age=timedelta(hours=2), tail=" Shipments bound for Korea waited in the harbour.",
    )  # fmt: skip
    about = _article(store, 2, *KOREA, age=timedelta(hours=12))
    hits = store.search("korea", since=NOW - timedelta(hours=48), limit=5, now=NOW)
    assert [h.article_id for h in hits] == [about, passing]


def test_the_console_never_breaks_a_link() -> None:
    url = "https://harbour-times.invalid/2026/11/26/kessington-dockworkers-strike-" + "x" * 80
    text = "I don't know.\n• Kessington Dockworkers Walk Out in First Port Strike: " + url
    shown = post_text(Post(kind="answer", title="I don't know", text=text))
    assert url in shown.split()  # whole, on a line of its own
    assert all(len(line) <= 88 for line in shown.splitlines() if url not in line)


def test_an_answer_shows_only_links_a_person_can_open() -> None:
    urn = "urn:newsbrief:item:986fe69f38df9af68cfd21e836f7d1326c2cbc56"  # an item without link
    web = "https://example.com/a?utm_source=rss"
    said = (AnswerSentence("The mayor resigned.", "1", urn), AnswerSentence("Yes.", "2", web))
    post = answer_post(Answer("The mayor resigned. Yes.", said, confident=True, kind="who"))
    assert post.footer == "Source: https://example.com/a"
    unsure = Answer("I don't know.", (), False, "who", links=(("Mayor resigns", urn),))
    assert answer_post(unsure).text == "I don't know.\n• Mayor resigns"


async def test_no_last_digest_is_mentioned_after_empty_slots_only(store: Store) -> None:
    clock = lambda: NOW  # noqa: E731
    fake = FakePlatform()
    delivery = DigestDelivery(store, {fake.name: fake}, clock=clock)
    conversation = Conversation(store)
    conversation.commands["digest"] = DigestCommands(store, delivery, clock=clock)
    fake._handler = conversation
    store.outbox.add_subscription(
        fake.name, CHANNEL.id, parse_subscription("volcanoes at 08:30 UTC").to_json(),
        now=NOW - timedelta(hours=3),
    )  # fmt: skip
    assert [d.outcome for d in await delivery.deliver_due()] == ["skipped"]  # nothing new
    await fake.command(MANAGER, "/digest now")
    [digest] = fake.workspace.posts("channel")
    assert digest.text == "Nothing new on volcanoes since Sun 29 Nov 08:30 UTC."


def test_days_said_before_the_time_are_days() -> None:
    for text in ("korea weekdays at 7:30", "korea mon-fri at 7:30", "korea every day at 7:30"):
        schedule = parse_subscription(text)
        assert schedule.topics == ("korea",), text  # a topic of "korea weekdays" never matched
    assert parse_subscription("korea weekdays at 7:30").days == (0, 1, 2, 3, 4)
