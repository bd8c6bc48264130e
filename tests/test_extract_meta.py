"""bot.news.extract's metadata: the few fields used, read from the page's own tags."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.news.extract import extract_article, page_metadata, parse_page

BODY = (
    "The harbour council's budget talks broke down late on Tuesday after a dispute over "
    "ferry subsidies that had simmered for months. Councillors from the two largest groups "
    "could not agree on how much of the ferry deficit the city should cover next year, and "
    "the mayor adjourned the meeting shortly before midnight."
)


def page(head: str, before_body: str = "") -> str:
    paragraphs = "".join(f"<p>{BODY}</p>" for _ in range(3))
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>"
        f"<article>{before_body}{paragraphs}</article></body></html>"
    )


def test_json_ld_alone_gives_title_author_date_and_site() -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Ferry talks collapse",
        "author": {"@type": "Person", "name": "Maria Lindqvist"},
        "datePublished": "2024-03-14T08:30:00+01:00",
        "publisher": {"@type": "Organization", "name": "The Coastal Courier"},
    }
    html = page(f'<script type="application/ld+json">{json.dumps(data)}</script>')
    result = extract_article(html, "https://courier.example.com/news/ferry")
    assert result.ok
    assert result.title == "Ferry talks collapse"
    assert result.author == "Maria Lindqvist"
    assert result.site == "The Coastal Courier"
    assert (
        result.published is not None
        and result.published.date() == datetime(2024, 3, 14, tzinfo=UTC).date()
    )


def test_a_date_only_in_a_time_element_is_found() -> None:
    html = page(
        "<title>Ferry talks collapse</title>",
        '<p class="byline">By Maria Lindqvist, <time datetime="2023-11-02">2 November</time></p>',
    )
    result = extract_article(html, "https://courier.example.com/news/ferry")
    assert result.published == datetime(2023, 11, 2, tzinfo=UTC)


def test_without_a_site_name_the_host_is_shown_without_www() -> None:
    html = page("<title>Ferry talks collapse</title>")
    assert extract_article(html, "https://www.courier.example.com/a").site == (
        "courier.example.com"
    )
    assert extract_article(html, "https://news.courier.example.com/a").site == (
        "news.courier.example.com"
    )


def test_a_twitter_handle_as_site_name_is_tidied() -> None:
    html = page('<meta name="twitter:site" content="@coastalcourier"><title>Ferry</title>')
    assert extract_article(html, "https://courier.example.com/a").site == "Coastalcourier"


def test_metadata_reads_the_tree_without_spoiling_it() -> None:
    """The tree is parsed once and shared: reading metadata leaves the text whole."""
    html = page('<meta property="og:title" content="Ferry talks collapse">')
    tree = parse_page(html)
    assert tree is not None
    first = page_metadata(tree, "https://courier.example.com/a")
    assert first == page_metadata(tree, "https://courier.example.com/a")
    assert first.title == "Ferry talks collapse"
    assert BODY in " ".join(tree.itertext())


def test_a_page_with_no_article_carries_no_metadata() -> None:
    html = "<html><head><title>Ferry talks collapse</title></head><body></body></html>"
    result = extract_article(html, "https://courier.example.com/a")
    assert not result.ok
    assert (result.title, result.author, result.published, result.site) == (
        None,
        None,
        None,
        None,
    )
