"""The store: migrations, dedupe, edits, story clusters, search, feeds and failures.

Every test that touches a database runs on SQLite (a fresh file) and, when
``NEWSBRIEF_TEST_DATABASE_URL`` is set, on PostgreSQL too (a fresh schema per test,
see ``conftest.py``). Without that variable the PostgreSQL cases are not generated
at all, so nothing is skipped silently; CI sets it where a server answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, func, inspect, select, text

from bot.chat.briefs import story_item
from bot.chat.messages import Post
from bot.chat.render import post_text
from bot.store import ArticleRecord, FeedState, Store, canonical_url
from bot.store.migrate import head_revision
from bot.store.schema import Article, Base
from bot.store.search import MAX_STORY_SOURCES
from bot.store.similarity import SAME_STORY, fingerprint, similarity

NOW = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

MISSILE_WIRE = (
    "North Korea fires ballistic missile into sea off Japan",
    "SEOUL, March 3 (Reuters) - North Korea fired a ballistic missile into the sea off its "
    "east coast on Tuesday, South Korea's Joint Chiefs of Staff said, days after Pyongyang "
    "warned of retaliation over joint drills by Seoul and Washington.\n\n"
    "Japan's Defence Ministry said the missile appeared to have landed outside its exclusive "
    "economic zone. Prime Minister Fumio Kishida condemned the launch as a threat to regional "
    "peace and said Tokyo had lodged a protest through diplomatic channels in Beijing.\n\n"
    "The launch was the third this month. Analysts said Kim Jong Un was using the tests to "
    "press for recognition as a nuclear power ahead of any talks with the United States.",
)
MISSILE_REWRITE = (
    "Pyongyang launches missile after US-South Korea drills",
    "North Korea has launched a ballistic missile towards the sea east of the Korean "
    "peninsula, according to South Korea's military. The Joint Chiefs of Staff in Seoul "
    "said the launch took place on Tuesday morning.\n\n"
    "Japan said the missile came down outside its exclusive economic zone, and Fumio Kishida "
    "called the test unacceptable. Pyongyang had threatened to respond to the joint military "
    "exercises held by Washington and Seoul.\n\n"
    "It is the third launch in March. Experts believe Kim Jong Un wants the United States to "
    "accept North Korea as a nuclear-armed state before sitting down for negotiations.",
)
ELECTION = (
    "South Korea's opposition wins landslide in parliamentary election",
    "South Korea's main opposition Democratic Party won a landslide in Wednesday's "
    "parliamentary election, dealing a heavy blow to President Yoon Suk Yeol, according to "
    "results from the National Election Commission in Seoul.\n\n"
    "Turnout reached 67 percent, the highest for a general election in three decades. Voters "
    "cited the cost of living, housing prices in Seoul and a row over medical school places "
    "as their main concerns.\n\n"
    "Lee Jae-myung, the opposition leader, thanked voters and called on Yoon to change course. "
    "Han Dong-hoon, who led the ruling People Power Party campaign, resigned.",
)
FED_A = (
    "Fed holds rates steady, signals cuts later this year",
    "WASHINGTON - The Federal Reserve left interest rates unchanged on Wednesday and signalled "
    "that it still expects to cut borrowing costs later this year as inflation cools.\n\n"
    "Fed Chair Jerome Powell told reporters the central bank needed more confidence that "
    "inflation was moving towards its 2 percent target. The Federal Open Market Committee kept "
    "the benchmark rate in a range of 5.25 to 5.5 percent.\n\n"
    "Markets on Wall Street rose after the decision, with traders betting on a first cut in "
    "September.",
)
FED_B = (
    "Federal Reserve keeps interest rates on hold as Powell eyes cuts",
    "America's central bank kept its key interest rate at a 23-year high of 5.25 to 5.5 percent "
    "on Wednesday, but Jerome Powell said rate cuts could come this year.\n\n"
    "The Federal Reserve chair said policymakers wanted to see more evidence that inflation was "
    "falling back to the 2 percent target before lowering borrowing costs. The decision by the "
    "Federal Open Market Committee was unanimous.\n\n"
    "Stocks on Wall Street gained, and investors now expect a first reduction in September.",
)
VOLCANO_ICELAND = (
    "Volcano erupts in Iceland",
    "Lava flowed overnight near Grindavik, residents said.",
)
VOLCANO_CHILE = (
    "Volcano erupts in Chile",
    "Lava flowed overnight near Pucon, residents said.",
)
KIM_PUTIN = (
    "North Korea's Kim Jong Un arrives in Russia for talks with Putin",
    "North Korean leader Kim Jong Un arrived in Russia's Far East on Tuesday aboard his "
    "armoured train for a summit with President Vladimir Putin, the Kremlin said, as "
    "Washington warned Pyongyang against supplying weapons for the war in Ukraine.\n\n"
    "Kim was greeted in Vladivostok by Russian officials. Dmitry Peskov, the Kremlin "
    "spokesman, said the two leaders would discuss cooperation in sensitive areas.\n\n"
    "South Korea's unification ministry in Seoul said it was watching the visit closely.",
)


def analysis(summary: str, quote: str | None = None, speaker: str | None = None) -> dict[str, Any]:
    quotes = [{"text": quote, "speaker": speaker, "cue": "said", "partial": False}] if quote else []
    return {
        "title": None,
        "summary": [{"text": summary, "index": 0}],
        "quotes": quotes,
        "algorithm": "news",
        "language": "english",
        "all_quotes": quotes,
    }


def record(
    story: tuple[str, str],
    url: str,
    *,
    site: str | None = None,
    published: datetime = NOW - timedelta(hours=1),
    **kw: Any,
) -> ArticleRecord:
    title, body = story
    host = url.split("/")[2]
    return ArticleRecord(
        url=url,
        title=title,
        text=body,
        site=site or host,
        published=published,
        analysis=kw.pop("analysis", analysis(body.split(".")[0] + ".")),
        **kw,
    )


def hits(store: Store, topic: str, since: timedelta = 7 * DAY, limit: int = 10) -> list[Any]:
    return store.search(topic, since=NOW - since, limit=limit, now=NOW)


# ---------------------------------------------------------------- migrations


def test_open_migrates_empty_database_to_head(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        with store.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tables = set(inspect(conn).get_table_names())
            ctx = MigrationContext.configure(conn)
            drift = [
                d
                for d in compare_metadata(ctx, Base.metadata)
                if not any("fts" in str(x) or "search" in str(x) for x in d)
            ]
        assert version == head_revision()
        assert set(Base.metadata.tables) <= tables
        assert drift == []  # schema.py and the migrations describe the same layout
    finally:
        store.close()


def test_reopen_is_idempotent_and_keeps_data(database_url: str) -> None:
    with Store.open(database_url) as first:
        first.upsert_article(record(FED_A, "https://reuters.example/fed"))
    with Store.open(database_url) as again:
        assert again.counts().articles == 1
        assert [h.headline for h in hits(again, "powell")] == [FED_A[0]]


def test_full_text_index_exists(store: Store) -> None:
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
            assert {"articles_fts", "articles_fts_ai", "articles_fts_au"} <= names
        else:
            idx = {i["name"] for i in inspect(conn).get_indexes("articles")}
            assert "ix_articles_search" in idx


# ------------------------------------------------------------ canonical URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/World/Story/?utm_source=tw&utm_medium=social#comments",
            "https://www.example.com/World/Story",
        ),
        ("http://example.com:80/a?b=2&a=1&fbclid=xyz&gclid=1", "http://example.com/a?a=1&b=2"),
        (
            "https://nytimes.example/2025/03/04/world/asia/korea.html?smid=tw-share&ref=hp",
            "https://nytimes.example/2025/03/04/world/asia/korea.html",
        ),
        ("https://example.com/story/amp", "https://example.com/story"),
        ("https://example.com/story?outputType=amp", "https://example.com/story"),
        (
            "https://example.com/read?id=42&mc_cid=a&mc_eid=b&igshid=c",
            "https://example.com/read?id=42",
        ),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x/", "https://example.com:8443/x"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("mailto:news@example.com", "mailto:news@example.com"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected  # idempotent


# ------------------------------------------------------------------- dedupe


def test_same_url_with_tracking_parameters_is_a_duplicate(store: Store) -> None:
    first = store.upsert_article(record(FED_A, "https://reuters.example/fed"))
    again = store.upsert_article(
        record(FED_A, "https://Reuters.example/fed/?utm_source=rss&utm_campaign=x#top")
    )
    assert first.status == "new"
    assert again.status == "duplicate"
    assert again.article_id == first.article_id
    assert store.counts().articles == 1
    assert store.find_article("https://reuters.example/fed?fbclid=1") == first.article_id


def test_same_feed_guid_under_a_new_url_is_a_duplicate(store: Store) -> None:
    feed = store.save_feed(FeedState(url="https://reuters.example/rss")).id
    first = store.upsert_article(
        record(FED_A, "https://reuters.example/fed", feed_id=feed, guid="tag:fed-1")
    )
    moved = store.upsert_article(
        record(FED_A, "https://reuters.example/markets/fed", feed_id=feed, guid="tag:fed-1")
    )
    assert (moved.status, moved.article_id) == ("duplicate", first.article_id)
    assert store.counts().articles == 1
    assert store.find_article(feed_id=feed, guid="tag:fed-1") == first.article_id
    # the same guid in another feed is another article
    ap = store.save_feed(FeedState(url="https://ap.example/rss")).id
    other = store.upsert_article(
        record(FED_B, "https://ap.example/fed", feed_id=ap, guid="tag:fed-1")
    )
    assert other.status == "new"


def test_same_content_same_site_other_url_is_a_duplicate(store: Store) -> None:
    first = store.upsert_article(record(FED_A, "https://reuters.example/fed"))
    copy = store.upsert_article(record(FED_A, "https://reuters.example/print/fed-123"))
    assert (copy.status, copy.article_id) == ("duplicate", first.article_id)


def test_same_content_other_site_is_kept_and_clustered(store: Store) -> None:
    first = store.upsert_article(record(MISSILE_WIRE, "https://reuters.example/nk"))
    syndicated = store.upsert_article(record(MISSILE_WIRE, "https://yahoo.example/nk-missile"))
    assert syndicated.status == "new"
    assert syndicated.cluster_id == first.cluster_id
    [hit] = hits(store, "missile")
    assert {s.site for s in hit.sources} == {"reuters.example", "yahoo.example"}


def test_edit_updates_the_row_and_the_index(store: Store) -> None:
    url = "https://reuters.example/fed"
    first = store.upsert_article(record(FED_A, url))
    title, body = FED_A
    edited = (title, body.replace("Wall Street", "the Nasdaq exchange"))
    upd = store.upsert_article(record(edited, url, analysis=analysis("Edited summary.")))
    assert (upd.status, upd.article_id) == ("updated", first.article_id)
    assert store.counts().articles == 1
    assert [h.article_id for h in hits(store, "nasdaq")] == [first.article_id]
    assert hits(store, "wall street") == []
    stored = store.get_article(first.article_id)
    assert stored is not None and stored.analysis is not None
    assert stored.analysis["summary"][0]["text"] == "Edited summary."
    assert [h.summary for h in hits(store, "nasdaq")] == [("Edited summary.",)]
    # an edit keeps its story: still one cluster, and the same one
    assert upd.cluster_id == first.cluster_id
    assert store.counts().clusters == 1


def test_whitespace_only_change_is_not_an_edit(store: Store) -> None:
    url = "https://reuters.example/fed"
    store.upsert_article(record(FED_A, url))
    title, body = FED_A
    again = store.upsert_article(record((title + "  ", body.replace(" ", "  ")), url))
    assert again.status == "duplicate"


def test_no_article_page_is_recorded_never_searched(store: Store) -> None:
    url = "https://reuters.example/video/123"
    bare = ArticleRecord(url=url, title="Fed decision explained", text=None, status="no_article")
    out = store.upsert_article(bare, now=NOW)
    assert (out.status, out.cluster_id) == ("new", None)
    assert store.counts().no_article == 1
    assert hits(store, "fed") == []
    stored = store.get_article(out.article_id)
    assert stored is not None and stored.analysis is None and stored.status == "no_article"
    # the page later yields an article: it is updated and clustered
    fixed = store.upsert_article(record(FED_A, url))
    assert (fixed.status, fixed.article_id) == ("updated", out.article_id)
    assert fixed.cluster_id is not None
    # and a later failed extraction never downgrades it
    assert store.upsert_article(bare).status == "duplicate"
    assert len(hits(store, "powell")) == 1


def test_naive_and_offset_times_are_stored_as_utc(store: Store) -> None:
    from zoneinfo import ZoneInfo

    seoul = datetime(2025, 3, 4, 18, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    a = store.upsert_article(record(MISSILE_WIRE, "https://a.example/1", published=seoul))
    b = store.upsert_article(
        record(FED_A, "https://b.example/2", published=datetime(2025, 3, 4, 9, 0))
    )
    got_a, got_b = store.get_article(a.article_id), store.get_article(b.article_id)
    assert got_a is not None and got_b is not None
    assert got_a.published == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    assert got_a.published.tzinfo == UTC
    assert got_b.published == datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
    # a date in the future is clamped to the fetch time
    c = store.upsert_article(record(ELECTION, "https://c.example/3", published=NOW + DAY), now=NOW)
    got_c = store.get_article(c.article_id)
    assert got_c is not None and got_c.published == NOW


# --------------------------------------------------------------- clustering


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (MISSILE_WIRE, MISSILE_REWRITE, True),
        (FED_A, FED_B, True),
        (MISSILE_WIRE, ELECTION, False),
        (MISSILE_WIRE, KIM_PUTIN, False),
        (ELECTION, KIM_PUTIN, False),
        (VOLCANO_ICELAND, VOLCANO_CHILE, False),
        (FED_A, MISSILE_WIRE, False),
    ],
)
def test_similarity_pairs(a: tuple[str, str], b: tuple[str, str], same: bool) -> None:
    assert (similarity(fingerprint(*a), fingerprint(*b)) >= SAME_STORY) is same


def test_same_story_from_three_outlets_is_one_cluster(store: Store) -> None:
    t = NOW - timedelta(hours=3)
    outs = [
        store.upsert_article(record(MISSILE_WIRE, "https://reuters.example/nk", published=t)),
        store.upsert_article(
            record(MISSILE_REWRITE, "https://bbc.example/news/nk", published=t + timedelta(hours=1))
        ),
        store.upsert_article(
            record(MISSILE_WIRE, "https://yahoo.example/nk", published=t + timedelta(hours=2))
        ),
        store.upsert_article(record(ELECTION, "https://kh.example/election")),
        store.upsert_article(record(KIM_PUTIN, "https://ap.example/kim-putin")),
    ]
    clusters = [o.cluster_id for o in outs]
    assert clusters[0] == clusters[1] == clusters[2]
    assert len(set(clusters)) == 3
    [story] = [h for h in hits(store, "missile") if h.cluster_id == clusters[0]]
    assert [s.url for s in story.sources] == [
        "https://reuters.example/nk",
        "https://bbc.example/news/nk",
        "https://yahoo.example/nk",
    ]
    assert store.counts().clusters == 3


def test_a_story_many_outlets_carry_lists_its_first_reports_and_counts_the_rest(
    store: Store,
) -> None:
    t = NOW - timedelta(hours=5)
    urls = [f"https://outlet{n}.example/nk" for n in range(12)]
    for n, url in enumerate(urls):
        store.upsert_article(record(MISSILE_WIRE, url, published=t + timedelta(minutes=n)))
    assert store.counts().clusters == 1
    for hit in (*hits(store, "missile"), *store.recent(since=NOW - DAY, now=NOW)):
        shown = [s.url for s in hit.sources]
        assert shown[:MAX_STORY_SOURCES] == urls[:MAX_STORY_SOURCES]  # the first reports
        assert hit.article_id in {s.article_id for s in hit.sources}  # and the one shown
        assert len(shown) <= MAX_STORY_SOURCES + 1
        assert hit.more_sources == len(urls) - len(shown)
    out = post_text(Post(kind="brief", title="Brief", items=(story_item(hit),)))
    assert f"and {hit.more_sources} more sources" in out
    assert out.count("↳") == len(hit.sources) + 1


def test_same_story_outside_the_window_is_a_new_cluster(store: Store) -> None:
    a = store.upsert_article(record(FED_A, "https://reuters.example/fed", published=NOW - 9 * DAY))
    b = store.upsert_article(record(FED_B, "https://ap.example/fed", published=NOW))
    assert a.cluster_id != b.cluster_id


# ------------------------------------------------------------------- search


def test_search_stems_and_matches_prefixes(store: Store) -> None:
    exports = ("South Korean exports rise", "Shipments of chips from Busan grew 9 percent.")
    store.upsert_article(record(MISSILE_WIRE, "https://reuters.example/nk"))  # "North Korea"
    store.upsert_article(record(exports, "https://kh.example/exports"))  # only "Korean"
    store.upsert_article(record(ELECTION, "https://kh.example/election"))
    store.upsert_article(record(FED_A, "https://reuters.example/fed"))
    korea = {h.headline for h in hits(store, "korea")}
    assert korea == {MISSILE_WIRE[0], ELECTION[0], exports[0]}
    assert {h.headline for h in hits(store, "KOREAN")} == {exports[0]}
    assert [h.headline for h in hits(store, "elect")] == [ELECTION[0]]  # "election"
    assert [h.headline for h in hits(store, "elections")] == [ELECTION[0]]  # stemmed
    assert [h.headline for h in hits(store, "signal")] == [FED_A[0]]  # "signals", "signalled"
    assert [h.headline for h in hits(store, "korea election")] == [ELECTION[0]]  # AND


def test_search_respects_since(store: Store) -> None:
    store.upsert_article(record(FED_A, "https://reuters.example/fed", published=NOW - 3 * DAY))
    assert hits(store, "powell", since=DAY) == []
    assert len(hits(store, "powell", since=4 * DAY)) == 1


def test_recency_orders_equal_relevance(store: Store) -> None:
    old = store.upsert_article(
        record(
            VOLCANO_ICELAND, "https://a.example/iceland", published=NOW - 30 * timedelta(hours=1)
        )
    )
    new = store.upsert_article(
        record(VOLCANO_CHILE, "https://b.example/chile", published=NOW - timedelta(hours=2))
    )
    assert old.cluster_id != new.cluster_id
    found = hits(store, "volcano")
    assert [h.article_id for h in found] == [new.article_id, old.article_id]
    assert found[0].score > found[1].score


def test_title_match_outranks_passing_mention(store: Store) -> None:
    store.upsert_article(record(KIM_PUTIN, "https://ap.example/kim"))
    store.upsert_article(record(MISSILE_WIRE, "https://reuters.example/nk"))
    found = hits(store, "putin")
    assert [h.headline for h in found] == [KIM_PUTIN[0]]
    found = hits(store, "missile")
    assert found[0].headline == MISSILE_WIRE[0]


def test_one_hit_per_cluster_with_representative_and_quote(store: Store) -> None:
    store.upsert_article(
        record(
            MISSILE_WIRE,
            "https://reuters.example/nk",
            analysis=analysis("North Korea fired a missile.", "a threat to peace", "Fumio Kishida"),
        )
    )
    store.upsert_article(
        record(MISSILE_REWRITE, "https://bbc.example/nk", analysis=analysis("A launch.", None))
    )
    [hit] = hits(store, "korea missile")
    assert len(hit.sources) == 2
    assert hit.quote is not None and hit.quote.speaker == "Fumio Kishida"
    assert hit.summary in (("North Korea fired a missile.",), ("A launch.",))
    assert hit.article_id in {s.article_id for s in hit.sources}


@pytest.fixture(scope="module")
def korea_payload() -> tuple[str, str, dict[str, Any]]:
    from bot.nlp.analyze import analyze
    from bot.store import analysis_payload

    raw = (Path(__file__).parent / "fixtures" / "korea_summit.txt").read_text(encoding="utf-8")
    title, body = raw.split("\n", 1)
    return title, body, analysis_payload(analyze(body, title=title))


def test_brief_renders_from_the_stored_analysis(
    store: Store, korea_payload: tuple[str, str, dict[str, Any]]
) -> None:
    title, body, payload = korea_payload
    store.upsert_article(record((title, body), "https://news.example/trump-kim", analysis=payload))
    [hit] = hits(store, "korea")
    assert hit.summary == tuple(s["text"] for s in payload["summary"])
    assert len(hit.summary) == 3
    assert hit.quote is not None and hit.quote.speaker == "Trump"
    assert hit.quote.text == payload["quotes"][0]["text"]
    stored = store.get_article(hit.article_id)
    assert stored is not None and stored.analysis is not None
    assert len(stored.analysis["all_quotes"]) == len(payload["all_quotes"]) > 0


@pytest.mark.parametrize(
    "topic",
    [
        '"; DROP TABLE articles; --',
        "*",
        "NEAR(",
        "korea AND OR NOT",
        "title:korea",
        "korea:*",
        "'",
        '"',
        "()",
        "^korea",
        "korea & | ! <-> ",
        "",
        "   ",
        "\x00",
        "ün ïcödé",
        "the of and",
    ],
)
def test_hostile_topics_never_raise(store: Store, topic: str) -> None:
    store.upsert_article(record(MISSILE_WIRE, "https://reuters.example/nk"))
    found = hits(store, topic)
    assert isinstance(found, list)
    assert store.counts().articles == 1  # nothing was dropped or changed


def test_operator_words_are_searched_as_words(store: Store) -> None:
    store.upsert_article(record(MISSILE_WIRE, "https://reuters.example/nk"))
    assert len(hits(store, "korea:*")) == 1
    assert len(hits(store, "NEAR( korea")) == 0  # "near" is just a word, absent here


def test_no_hit_topic_returns_empty(store: Store) -> None:
    store.upsert_article(record(FED_A, "https://reuters.example/fed"))
    assert hits(store, "zyzzyva") == []
    assert hits(store, "*") == []


def test_limit_and_recent(store: Store) -> None:
    store.upsert_article(record(MISSILE_WIRE, "https://reuters.example/nk", published=NOW - DAY))
    store.upsert_article(record(MISSILE_REWRITE, "https://bbc.example/nk", published=NOW - DAY))
    store.upsert_article(record(FED_A, "https://reuters.example/fed", published=NOW - 2 * DAY))
    store.upsert_article(record(ELECTION, "https://kh.example/e", published=NOW - 10 * DAY))
    assert len(hits(store, "korea", limit=1)) == 1
    top = store.recent(NOW - 3 * DAY, limit=5, now=NOW)
    assert top[0].headline in (MISSILE_WIRE[0], MISSILE_REWRITE[0])
    assert len(top[0].sources) == 2
    assert {h.sources[0].site for h in top} == {"reuters.example"}  # election is too old
    assert len(top) == 2


# ------------------------------------------------------ feeds and failures


def test_feed_state_round_trip_and_due(store: Store) -> None:
    assert store.get_feed("https://a.example/rss") is None
    state = FeedState(
        url="https://a.example/rss",
        title="A",
        etag='W/"1"',
        last_modified="Tue, 04 Mar 2025 11:00:00 GMT",
        last_polled=NOW,
        next_poll=NOW + timedelta(minutes=15),
        poll_interval_s=900,
        consecutive_failures=2,
        last_error="timeout",
        last_status=503,
    )
    store.save_feed(state)
    store.save_feed(FeedState(url="https://b.example/rss"))
    assert store.get_feed(state.url) == state
    assert [f.url for f in store.due_feeds(NOW)] == ["https://b.example/rss"]
    assert len(store.due_feeds(NOW + timedelta(hours=1))) == 2
    store.save_feed(FeedState(url=state.url, consecutive_failures=0))
    saved = store.get_feed(state.url)
    assert saved is not None and saved.consecutive_failures == 0 and saved.etag is None
    assert store.counts().feeds == 2


def test_record_failure_counts_attempts(store: Store) -> None:
    assert store.failure_attempts("https://a.example/x") == 0
    assert store.record_failure("https://a.example/x?utm_source=rss", None, "timeout") == 1
    feed = store.save_feed(FeedState(url="https://a.example/rss")).id
    assert store.record_failure("https://a.example/x", feed, "HTTP 500") == 2
    assert store.failure_attempts("https://a.example/x#frag") == 2
    assert store.counts().failures == 1
    assert store.counts().articles == 0


def test_deleting_an_article_removes_it_from_search(store: Store) -> None:
    out = store.upsert_article(record(FED_A, "https://reuters.example/fed"))
    with store.engine.begin() as conn:
        conn.execute(delete(Article).where(Article.id == out.article_id))
        n = conn.execute(select(func.count()).select_from(Article)).scalar()
    assert n == 0
    assert hits(store, "powell") == []


def test_thread_turns_are_recalled_in_order_and_kept_only_under_a_known_thread(
    store: Store,
) -> None:
    from bot.chat.messages import ThreadRef

    ref = ThreadRef("slack", "C1", "1700000000.000100", workspace="T1")
    store.threads.save(ref, "digest", "Morning digest", [3, 1, 2])
    for n in range(7):
        store.threads.add_turn(ref, f"question {n}?", {"text": f"answer {n}", "n": n})
    unknown = ThreadRef("slack", "C1", "1700000000.000999", workspace="T1")
    store.threads.add_turn(unknown, "lost?", {"text": "nowhere"})  # no thread: nothing kept

    found, turns = store.threads.recall(ref, limit=3)
    assert found is not None
    assert (found.kind, found.title, found.article_ids) == ("digest", "Morning digest", (3, 1, 2))
    assert turns == [(f"question {n}?", {"text": f"answer {n}", "n": n}) for n in (4, 5, 6)]
    assert store.threads.recall(unknown) == (None, [])
    assert store.threads.turns(unknown) == []
    with store.engine.connect() as conn:  # the unknown thread's turn went nowhere
        assert conn.execute(text("SELECT count(*) FROM thread_turns")).scalar() == 7
