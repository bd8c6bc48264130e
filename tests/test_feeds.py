"""bot.news.feeds on a sample of real and edge-case feeds (tests/fixtures/feeds/README.md)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import NewsbriefError
from bot.news.feeds import (
    FeedError,
    ParsedFeed,
    html_to_text,
    looks_like_opml,
    parse_feed,
    parse_opml,
)
from bot.news.feeds.text import detail_text

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def load(rel: str, url: str = "https://feeds.example.org/feed.xml") -> ParsedFeed:
    return parse_feed((FIXTURES / rel).read_bytes(), url)


# -- real feeds --------------------------------------------------------------------


def test_rss2_spec_sample() -> None:
    feed = load("node-feedparser/rss2sample.xml", "http://liftoff.msfc.nasa.gov/rss.xml")
    assert feed.title == "Liftoff News"
    assert feed.link == "http://liftoff.msfc.nasa.gov/"
    assert feed.kind == "rss20"
    assert feed.problem is None
    assert len(feed.entries) == 4
    first = feed.entries[0]
    assert first.title == "Star City"
    assert first.url == "http://liftoff.msfc.nasa.gov/news/2003/news-starcity.asp"
    assert first.guid == "http://liftoff.msfc.nasa.gov/2003/06/03.html#item573"
    # "Tue, 03 Jun 2003 09:39:21 GMT"
    assert first.published == datetime(2003, 6, 3, 9, 39, 21, tzinfo=UTC)
    assert first.updated is None  # only pubDate: feedparser's updated->published alias is not used
    assert first.summary is not None and first.summary.startswith("How do Americans get ready")
    assert "<a" not in first.summary and "href" not in first.summary
    # an item without <title> or <link>: the guid is a permalink, so it is the URL
    untitled = feed.entries[1]
    assert untitled.title is None
    assert untitled.url == "http://liftoff.msfc.nasa.gov/2003/05/30.html#item572"


def test_dates_are_aware_utc() -> None:
    feed = load("feedjira/HuffPostCanada.xml")
    for entry in feed.entries:
        assert entry.published is not None
        assert entry.published.utcoffset() is not None
        assert entry.published.tzinfo == UTC


def test_huffpost_rss_with_media_image_and_author() -> None:
    feed = load("feedjira/HuffPostCanada.xml")
    assert len(feed.entries) == 2
    entry = feed.entries[0]
    assert entry.title == "Winnipeg High School Orders Custom Hijabs For Muslim Athletes"
    assert entry.author == "Canadian Press"
    assert entry.guid == "23246627"
    assert entry.url is not None and entry.url.startswith(
        "http://www.huffingtonpost.ca/2017/10/17/"
    )
    assert entry.image is not None and entry.image.startswith("http://o.aolcdn.com/")
    assert entry.summary is not None and "Nusaybah Mohamed" in entry.summary


def test_atom_feed_relative_links_resolve_against_the_feed_url() -> None:
    # tpm.atom's entry links are "/livewire/..." with no xml:base
    feed = load("node-feedparser/tpm.atom", "http://talkingpointsmemo.com/account/feed/all/x")
    assert feed.kind == "atom10"
    assert feed.title == "All TPM News"
    assert len(feed.entries) == 20
    first = feed.entries[0]
    assert first.url == (
        "http://talkingpointsmemo.com/livewire/"
        "hannity-announces-fox-hired-sebastian-gorka-national-security-strategist"
    )
    assert first.guid == "tag:talkingpointsmemo.com,2005:ArticleDecorator/270060"
    assert first.author == "Esme Cribb"
    # the summary is HTML labelled as text: it is still turned into text
    assert first.summary is not None and "<p>" not in first.summary
    assert first.summary.startswith("Fox News star host Sean Hannity")
    assert all(e.url and e.url.startswith("http://talkingpointsmemo.com/") for e in feed.entries)


def test_xhtml_content_becomes_text_without_svg_or_markup() -> None:
    feed = load("node-feedparser/intertwingly.atom", "http://intertwingly.net/blog/index.atom")
    entry = feed.entries[0]
    assert entry.url == "http://intertwingly.net/blog/2012/07/16/Inhibiting-Suspend"
    assert entry.published is None
    assert entry.updated == datetime(2012, 7, 16, 15, 48, 1, tzinfo=UTC)
    assert entry.date == entry.updated
    assert entry.content is not None
    assert entry.content.startswith("The interface is a bit low level, but workable:")
    assert "<svg" not in entry.content and "viewBox" not in entry.content


def test_rdf_rss10_feed() -> None:
    feed = load("feedjira/HREFConsideredHarmful.xml", "http://www.avibryant.com/index.rdf")
    assert feed.kind == "rss10"
    assert feed.title == "HREF Considered Harmful"
    assert len(feed.entries) == 10
    entry = feed.entries[0]
    assert entry.url == "http://www.avibryant.com/2008/09/chrome-v8-and-s.html"
    assert entry.author == "Avi"
    assert entry.updated == datetime(2008, 9, 2, 19, 50, 7, tzinfo=UTC)  # dc:date
    assert entry.content is not None and "&nbsp;" not in entry.content


def test_rdf_item_about_is_the_guid() -> None:
    feed = load("feedparser/rdf_item_rdf_about.xml")
    assert [e.guid for e in feed.entries] == ["http://example.org/1"]


def test_youtube_atom_thumbnail() -> None:
    feed = load("feedjira/youtube_atom.xml")
    assert len(feed.entries) == 15
    entry = feed.entries[0]
    assert entry.url == "http://www.youtube.com/watch?v=5shykyfmb28"
    assert entry.image == "https://i2.ytimg.com/vi/5shykyfmb28/hqdefault.jpg"


def test_leading_blank_lines_before_the_xml_declaration_are_harmless() -> None:
    # TypePadNews.xml starts with two blank lines, as WordPress feeds sometimes do
    raw = (FIXTURES / "feedjira/TypePadNews.xml").read_bytes()
    assert not raw.startswith(b"<?xml")
    feed = load("feedjira/TypePadNews.xml")
    assert feed.problem is None
    assert feed.title == "Everything Typepad"
    assert len(feed.entries) == 10


def test_google_alerts_links_stay_absolute() -> None:
    feed = load("feedjira/google_alerts_atom.xml")
    assert feed.title == "Google Alert - Slack"
    assert len(feed.entries) == 20
    assert all(e.url and e.url.startswith("https://www.google.com/url?") for e in feed.entries)
    assert all(e.title and "<b>" not in e.title for e in feed.entries)


# -- JSON Feed -------------------------------------------------------------------------


def test_json_feed_1() -> None:
    feed = load("feedjira/json_feed.json", "https://inessential.com/feed.json")
    assert feed.kind == "json1"
    assert feed.title == "inessential.com"
    assert feed.link == "http://inessential.com/"
    assert len(feed.entries) == 20
    entry = feed.entries[0]
    assert entry.title == "James Dempsey and the Breakpoints Benefit App Camp for Girls"
    assert entry.published == datetime(
        2017, 6, 3, 5, 5, 47, tzinfo=UTC
    )  # "2017-06-02T22:05:47-07:00"
    assert entry.author == "Brent Simmons"
    assert entry.content is not None and entry.content.startswith("On Wednesday night")
    assert "<p>" not in entry.content


def test_json_feed_html_content_drops_script() -> None:
    feed = load("feedparser/json_example.json", "https://example.org/feed.json")
    assert feed.title == "My Example Feed"
    assert [e.guid for e in feed.entries] == ["2", "1"]
    assert feed.entries[0].content == "This is a second item."
    assert feed.entries[1].content == "Hello, world!"  # <script>alert();</script> dropped
    assert feed.entries[1].author == "you"
    assert feed.entries[0].author == "me"  # the feed's author


def test_json_that_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="JSON Feed"):
        parse_feed(b'{"hello": "world"}', "https://example.org/api")
    with pytest.raises(FeedError, match="JSON error at line 1"):
        parse_feed(b'{"version": ', "https://example.org/feed.json")


# -- encodings and compression -----------------------------------------------------------


def test_windows_1251_feed_decodes() -> None:
    feed = load("node-feedparser/iconv.xml", "http://www.oren.ru/rss/")
    assert feed.title == "Новости Оренбурга и области / Раздел Новости"
    assert len(feed.entries) == 10
    assert feed.entries[0].title == "В Бузулуке главные стройплощадки – детсад и Ледовый дворец"
    assert feed.entries[0].image == "http://www.oren.ru/upload/iblock/be8/stroitelstvo_krany.jpg"


def test_euc_kr_feed_decodes() -> None:
    assert load("feedparser/euc-kr.xml").title == "\ub144"


def test_gzip_file_is_sniffed_and_unpacked() -> None:
    # compressed.xml is iconv.xml gzipped, served without Content-Encoding
    feed = load("node-feedparser/compressed.xml", "http://www.oren.ru/rss/")
    assert feed.title == "Новости Оренбурга и области / Раздел Новости"
    assert len(feed.entries) == 10
    assert feed.problem is not None and "gzip" in feed.problem


def test_damaged_gzip_is_a_feed_error() -> None:
    data = gzip.compress(b"<rss/>")[:8]
    with pytest.raises(FeedError, match="gzip"):
        parse_feed(data, "https://example.org/feed")


# -- identity and URLs ------------------------------------------------------------------


def test_guid_fallbacks_and_permalinks() -> None:
    entries = load("feedjira/Permalinks.xml").entries
    assert [e.guid for e in entries] == [f"http://example.com/{n}" for n in (1, 2, 3, 5)]
    # isPermaLink="false" is not a URL; the default (true) is; <link> wins over guid
    assert [e.url for e in entries] == [
        None,
        "http://example.com/2",
        "http://example.com/3",
        "http://example.com/4",
    ]


def test_entry_without_id_or_link_gets_a_stable_hash_guid() -> None:
    first = load("feedjira/AtomEscapedHTMLInPreTag.xml").entries[0]
    again = load("feedjira/AtomEscapedHTMLInPreTag.xml").entries[0]
    assert first.guid.startswith("sha1:")
    assert first.guid == again.guid
    assert first.url is None


def test_two_guid_elements_in_one_item_give_one_entry() -> None:
    feed = load("node-feedparser/guid-dupes.xml")
    assert len(feed.entries) == 1
    assert feed.entries[0].guid == "http://www.braingle.com/50366.html"
    # FeedBurner's "feedflare" share links are not part of the text
    summary = feed.entries[0].summary or ""
    assert summary.startswith("What's the Rebus?")
    assert "feedflare" not in summary and "~ff" not in summary


def test_empty_entries_are_dropped_with_a_warning() -> None:
    # Illegal nesting leaves ten empty <item>s beside the ten real ones: they are no
    # story (ingest used to report one of them as a failed "sha1:…" item).
    feed = load("node-feedparser/illegally-nested.xml")
    guids = [e.guid for e in feed.entries]
    assert len(guids) == len(set(guids)) == 10
    assert all(e.url for e in feed.entries)
    assert feed.problem == "10 entries were empty (no title, link or text) and were dropped"


def test_markup_without_text_is_no_story() -> None:
    # feedparser copies an Atom content into "summary" without its type, and the markup
    # sniffer knew a handful of tags: "<video poster=…></video>" became a headline.
    feed = parse_feed(
        b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://d.test/">
        <entry><content type="html">&lt;video poster="p.jpeg"&gt;&lt;/video&gt;</content></entry>
        <entry><content type="html">&lt;audio src="a"&gt;&lt;/audio&gt;Live at 9</content></entry>
        </feed>""",
        "https://feeds.example.org/feed.xml",
    )
    assert [e.summary for e in feed.entries] == ["Live at 9"]
    assert feed.problem is not None and feed.problem.startswith("1 entries were empty")
    # Text without a type is markup only when it has an HTML element's tag.
    assert detail_text('<figure><video src="v.mp4"></video></figure>', {}) is None
    assert detail_text("Press <Enter> to go on", {}) == "Press <Enter> to go on"


def test_one_guid_for_different_links_keeps_every_story() -> None:
    # The same guid with the same link is one story; a shared guid with another link
    # is another story (a CMS bug): kept and reported, where it used to vanish.
    item = (
        "<item><title>{}</title><link>http://x.example/{}</link>"
        '<guid isPermaLink="false">same</guid></item>'
    )
    items = "".join(item.format(t, p) for t, p in (("A", "a"), ("B", "b"), ("A again", "a")))
    doc = f'<rss version="2.0"><channel><title>C</title>{items}</channel></rss>'.encode()
    feed = parse_feed(doc, "http://x.example/feed")
    assert [(e.title, e.guid) for e in feed.entries] == [("A", "same"), ("B", "http://x.example/b")]
    assert feed.problem == (
        "1 entries reused an earlier entry's id (guid); they were kept apart by their links; "
        "1 entries repeated an earlier entry (same id and link) and were dropped"
    )


def test_relative_urls_resolve_against_the_feed_url() -> None:
    feed = load("node-feedparser/rss-with-relative-urls.xml", "https://www.arcgames.com/feed.xml")
    assert feed.link == "https://www.arcgames.com/en/games/neverwinter/news"
    assert feed.entries[0].url == (
        "https://www.arcgames.com/en/games/neverwinter/news/detail/"
        "10743874-neverwinter-%26-jingle-jam-humble-bundle%21"
    )
    assert feed.entries[0].guid == "http://www.arcgames.com/en/games/PAB_nw/news/detail/10743874"
    # the description's inline CSS is text to a browser; it must not be in ours
    assert "Greetings Adventurers!" in (feed.entries[0].summary or "")


def test_item_scoped_xml_base() -> None:
    feed = load("node-feedparser/rss-with-item-scoped-html-base.xml", "https://feeds.example.org/x")
    assert [e.url for e in feed.entries] == [
        "https://example.com/first/first",
        "https://feeds.example.org/second",
    ]


def test_nested_relative_xml_base() -> None:
    feed = load("node-feedparser/rss-with-relative-html-urls.xml")
    # rss xml:base="https://example.com/", item xml:base="posts/post-1", link "posts/post-1"
    assert feed.entries[0].url == "https://example.com/posts/posts/post-1"


def test_tag_uri_link_is_not_an_article_url() -> None:
    entry = load("node-feedparser/atom-with-tag-uri-links.xml").entries[0]
    assert entry.url is None
    assert entry.guid == "tag:mefi.social,2024-01-26:objectId=20368395"


# -- damaged feeds and non-feeds ------------------------------------------------------------


def test_sax_error_feed_is_kept_with_a_warning() -> None:
    feed = load("node-feedparser/saxerror.xml")
    assert [e.title for e in feed.entries] == ["Good Item", "Bad Item", "Item After Error"]
    assert feed.entries[1].url == "http://example.com/bad?foo=1&bar=2"
    assert feed.problem is not None
    assert feed.problem.startswith("XML error at line 15: not well-formed")


def test_truncated_feed_keeps_what_was_read() -> None:
    feed = load("feedjira/InvalidDateFormat.xml")
    assert len(feed.entries) == 2
    assert feed.entries[1].published == datetime(2017, 10, 17, 12, 17, tzinfo=UTC)
    assert feed.problem is not None and "no element found" in feed.problem


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match=r"^not a feed: the document is HTML"):
        load("node-feedparser/notafeed.html")


def test_html_fragment_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="the document is HTML"):
        load("feedjira/TechCrunchFirstEntry.xml")


def test_illformed_xml_reports_the_line() -> None:
    with pytest.raises(FeedError, match=r"^XML error at line 7: unclosed token"):
        load("feedparser/aaa_illformed.xml")


def test_comment_only_document() -> None:
    with pytest.raises(FeedError, match="no element found"):
        load("feedparser/rss_empty_document.xml")


@pytest.mark.parametrize("data", [b"", b"   \n\t", b"\xef\xbb\xbf\n"])
def test_empty_document(data: bytes) -> None:
    with pytest.raises(FeedError, match=r"^empty document$"):
        parse_feed(data, "https://example.org/feed")


def test_unknown_xml_root() -> None:
    with pytest.raises(FeedError, match=r"root element <sitemapindex>"):
        parse_feed(b"<?xml version='1.0'?><sitemapindex/>", "https://example.org/sitemap.xml")


def test_feed_error_is_a_newsbrief_error() -> None:
    assert issubclass(FeedError, NewsbriefError)


def test_bytes_that_name_a_local_file_are_not_read_as_a_path() -> None:
    # feedparser opens bytes as a file name if it can; we must pass data, not a path
    path = FIXTURES / "node-feedparser/rss2sample.xml"
    with pytest.raises(FeedError):
        parse_feed(str(path).encode(), "https://example.org/feed")


def test_every_fixture_parses_or_raises_feed_error() -> None:
    files = [p for p in FIXTURES.rglob("*") if p.is_file() and p.name not in {"LICENSE"}]
    files = [p for p in files if p.suffix in {".xml", ".atom", ".json", ".html"}]
    assert len(files) >= 25
    outcomes: dict[str, str] = {}
    for path in files:
        try:
            feed = parse_feed(path.read_bytes(), "https://feeds.example.org/" + path.name)
        except FeedError as exc:
            assert str(exc)
            outcomes[path.name] = "failed"
        else:
            assert all(e.guid for e in feed.entries)
            assert all(e.url is None or e.url.startswith("http") for e in feed.entries)
            outcomes[path.name] = "parsed"
    assert sorted(n for n, o in outcomes.items() if o == "failed") == [
        "TechCrunchFirstEntry.xml",
        "aaa_illformed.xml",
        "notafeed.html",
        "rss_empty_document.xml",
    ]


# -- HTML to text ----------------------------------------------------------------------------


def test_html_to_text_keeps_paragraphs_and_entities() -> None:
    html = "<p>AT&amp;T&nbsp;said <b>yes</b>.</p><p>Second<br>line</p><script>x()</script>"
    assert html_to_text(html) == "AT&T\u00a0said yes.\n\nSecond\nline".replace("\u00a0", " ")


def test_html_to_text_plain_text_passes_through() -> None:
    assert html_to_text("  a  plain   string ") == "a plain string"


# -- OPML ------------------------------------------------------------------------------------


def test_opml_nested_outlines() -> None:
    data = (FIXTURES / "subscriptions.opml").read_bytes()
    assert looks_like_opml(data)
    assert parse_opml(data) == [
        "https://feeds.bbci.co.uk/news/world/rss.xml",
        "https://rss.dw.com/rdf/rss-en-all",
        "https://www.lemonde.fr/rss/une.xml",
        "http://example.org/atom.xml",
    ]


def test_feeds_are_not_opml() -> None:
    assert not looks_like_opml((FIXTURES / "node-feedparser/rss2sample.xml").read_bytes())
    assert not looks_like_opml(b"{}")
    assert not looks_like_opml(b"")
    assert not looks_like_opml(b"<rss><opml/></rss>")  # only the root element counts


def test_opml_errors() -> None:
    with pytest.raises(FeedError, match="not an OPML file"):
        parse_opml((FIXTURES / "node-feedparser/rss2sample.xml").read_bytes())
    with pytest.raises(FeedError, match="XML error at line 1"):
        parse_opml(b"<opml><body><outline></body></opml>")
    with pytest.raises(FeedError, match="empty document"):
        parse_opml(b"")


def test_opml_does_not_expand_entities() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline xmlUrl="https://example.org/&x;"/></body></opml>'
    )
    with pytest.raises(FeedError, match="external entity"):
        parse_opml(data)


def test_a_feed_proxy_item_links_to_the_article_itself() -> None:
    # FeedBurner's <link> is feedproxy.google.com/~r/…, a redirect that is gone now.
    feed = load("feedjira/TechCrunch.xml", "https://feeds.feedburner.com/TechCrunch")
    urls = [e.url or "" for e in feed.entries]
    assert urls and all(u.startswith("http://techcrunch.com/") for u in urls), urls[:3]
    assert feed.entries[0].url == (
        "http://techcrunch.com/2011/11/02/angies-list-prices-ipo-at-11-to-13-per-share-valued-at-over-600m/"
    )
