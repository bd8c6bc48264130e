"""bot.news.extract on small pages written for these tests (tests/fixtures/html)."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.news.extract import Extracted, clean_body, extract_article, not_an_article, word_count

HTML = Path(__file__).parent / "fixtures" / "html"
URL = "https://courier.example.com/news/2024/03/14/story"

FEED_TEXT = (
    "The harbour council's budget talks broke down late on Tuesday after a dispute over "
    "ferry subsidies that had simmered for months. Councillors from the two largest groups "
    "could not agree on how much of the ferry deficit the city should cover next year, and "
    "the mayor adjourned the meeting shortly before midnight. A new session is planned for "
    "next week; until then the ferry company says its winter timetable is safe."
)


def page(name: str) -> bytes:
    return (HTML / name).read_bytes()


@pytest.fixture(scope="module")
def article() -> Extracted:
    return extract_article(page("article.html"), URL)


# -- a real article page ------------------------------------------------------------------


def test_article_is_ok_from_the_page(article: Extracted) -> None:
    assert article.status == "ok"
    assert article.ok
    assert article.reason is None
    assert article.source == "page"


def test_article_metadata(article: Extracted) -> None:
    assert article.title == "Harbour city opens floating solar farm"
    assert article.author == "Maria Lindqvist"
    assert article.site == "The Coastal Courier"
    # htmldate gives the day (the 08:30 local time is not kept)
    assert article.published == datetime(2024, 3, 14, tzinfo=UTC)


def test_article_body_is_all_there(article: Extracted) -> None:
    text = article.text
    assert text.startswith("The city council switched on a floating solar farm")
    assert '"We had a basin nobody could use' in text
    assert "Marine biologist Erik Haugen" in text
    assert text.endswith("which would triple the farm's output.")
    assert text.count("\n\n") == 5  # six paragraphs, blank-line separated


@pytest.mark.parametrize(
    "furniture",
    [
        "We use cookies",  # cookie banner
        "Accept all cookies",
        "Sport",  # navigation
        "Most Popular",  # sidebar
        "Ferry timetable changes",
        "Share on Facebook",  # share buttons
        "Share this article",
        "Photo: Jonas Berg / Reuters",  # photo credit
        "Image copyright",
        "Sign up for our morning newsletter",
        "All rights reserved",
    ],
)
def test_article_furniture_is_out(article: Extracted, furniture: str) -> None:
    assert furniture not in article.text


def test_article_title_is_kept_apart(article: Extracted) -> None:
    assert "Harbour city opens floating solar farm" not in article.text


def test_short_real_article_is_kept() -> None:
    result = extract_article(page("short_article.html"), URL)
    assert result.status == "ok", result.reason
    assert result.title == "Bridge closed after lorry strike"
    assert 30 <= word_count(result.text) < 80
    assert result.text.endswith("Drivers are advised to use the ring road.")


def test_non_utf8_bytes_use_the_meta_charset() -> None:
    raw = page("windows1252.html")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    result = extract_article(raw, URL)
    assert result.status == "ok"
    assert result.title == "Stadtwerke senken die Gaspreise"
    assert "„Wir geben die gesunkenen Einkaufspreise vollständig" in result.text
    assert "Müller-Weiß" in result.text and "Überprüfung" in result.text
    assert "Ã" not in result.text and "\ufffd" not in result.text


def test_str_input_works_too() -> None:
    result = extract_article(page("article.html").decode("utf-8"), URL)
    assert result.ok
    assert result.title == "Harbour city opens floating solar farm"


# -- pages that are not an article ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("not_found.html", "error page"),
        ("cookie_wall.html", "cookie or consent wall"),
        ("paywall.html", "paywall"),
        ("js_required.html", "JavaScript"),
    ],
)
def test_not_an_article(name: str, reason: str) -> None:
    result = extract_article(page(name), URL)
    assert result.status == "no_article"
    assert not result.ok
    assert result.reason is not None and reason in result.reason
    assert result.text == ""
    assert result.source is None


@pytest.mark.parametrize("html", ["", b"", "<html><body></body></html>"])
def test_empty_pages(html: str | bytes) -> None:
    result = extract_article(html, URL)
    assert result.status == "no_article"
    assert result.reason == "no text found on the page"


# -- falling back to the feed ----------------------------------------------------------


def test_paywalled_page_falls_back_to_the_feed_text() -> None:
    result = extract_article(
        page("paywall.html"),
        URL,
        fallback_text=FEED_TEXT,
        fallback_title="Council budget talks collapse",
    )
    assert result.status == "ok"
    assert result.source == "feed"
    assert result.reason is not None and "paywall" in result.reason
    assert result.text.startswith("The harbour council's budget talks broke down")
    assert result.title == "Council budget talks collapse"


def test_a_useless_feed_text_does_not_rescue_the_page() -> None:
    result = extract_article(page("not_found.html"), URL, fallback_text="Read more.")
    assert result.status == "no_article"
    assert result.reason is not None and "error page" in result.reason


def test_page_wins_over_a_shorter_feed_summary(article: Extracted) -> None:
    result = extract_article(page("article.html"), URL, fallback_text=FEED_TEXT)
    assert result.source == "page"
    assert result.text == article.text


def test_feed_wins_when_the_page_shows_a_fraction_of_it() -> None:
    long_feed = " ".join([FEED_TEXT] * 3)  # ~210 words against the page's ~55
    result = extract_article(page("short_article.html"), URL, fallback_text=long_feed)
    assert result.source == "feed"
    assert result.reason == "page not used: the page shows much less text than the feed"


def test_no_page_at_all_uses_the_feed() -> None:
    result = extract_article("", None, fallback_text=FEED_TEXT, fallback_title="Budget")
    assert (result.status, result.source, result.title) == ("ok", "feed", "Budget")


# -- never the network -------------------------------------------------------------------


def test_extraction_never_opens_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("extract_article tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert extract_article(page("article.html"), URL).ok


# -- the detectors on both sides ------------------------------------------------------------

BRIEF = (
    "Police closed the coast road near Vik for four hours on Sunday after a landslide. "
    "Nobody was hurt. The road reopened in the evening with one lane, and engineers will "
    "inspect the slope on Monday before deciding whether it needs a retaining wall."
)


def test_a_short_news_brief_is_an_article() -> None:
    assert 40 <= word_count(BRIEF) < 60
    assert not_an_article(BRIEF) is None


def test_too_short() -> None:
    assert not_an_article("Photo: a view of the harbour at dawn.") == (
        "too short to be an article (8 words)"
    )


def test_a_story_about_baking_cookies_is_not_a_cookie_wall() -> None:
    text = (
        "The bakery on Harbour Street sold 3,000 cookies on Saturday, a record. Its owner said "
        "the ginger cookies went first, then the oat cookies. Queues reached the ferry "
        "terminal by noon, and the shop closed early after running out of butter. "
    ) * 2
    assert not_an_article(text) is None


def test_cookie_consent_text_is_a_wall() -> None:
    text = (
        "We and our partners use cookies to personalise ads. Click Accept all to consent, "
        "or manage your preferences in the privacy settings."
    )
    assert not_an_article(text) == "a cookie or consent wall"


def test_a_story_about_a_subscription_service_is_not_a_paywall() -> None:
    text = (
        "The streaming service will raise the price of its subscription by two euros next "
        "month, the company said on Tuesday. Users who subscribe before the end of March keep "
        "the old price for a year. Analysts expect more services to follow, as rising costs "
        "for sports rights push prices up across the industry."
    )
    assert not_an_article(text) is None
    stub = "Subscribe to continue reading. " + text
    assert not_an_article(stub) == "a paywall: only subscribers can read the article"


def test_a_long_article_may_mention_404_and_javascript() -> None:
    text = (
        "Developers at the city's IT department spent the week fixing a 404 error page that "
        "appeared when residents tried to book parking permits online. The new booking site "
        "requires JavaScript, which some older library computers had switched off. "
    ) * 10
    assert word_count(text) > 250
    assert not_an_article(text) is None


def test_a_short_article_about_web_errors_is_still_rejected_only_as_a_stub() -> None:
    assert not_an_article("Error 404. Page not found.") == "an error page (page not found)"
    assert not_an_article("Sorry, this page doesn't exist. " * 3) == (
        "an error page (page not found)"
    )


def test_word_count_handles_cjk() -> None:
    assert word_count("台灣總統蔡英文在台北發表談話") == 7  # 14 characters
    assert word_count("It's a well-known fact, 2024.") == 5


# -- cleaning trafilatura's text --------------------------------------------------------------


def test_clean_body_drops_furniture_and_repeated_title() -> None:
    raw = "\n".join(
        [
            "Harbour city opens floating solar farm",
            "The council switched on a floating solar farm on Thursday.",
            "Photo: Jonas Berg / Reuters",
            "Most Popular",
            "Engineers expect it to power 800 homes.",
            "Share this article",
        ]
    )
    assert clean_body(raw, "Harbour city opens floating solar farm") == (
        "The council switched on a floating solar farm on Thursday.\n\n"
        "Engineers expect it to power 800 homes."
    )


def test_clean_body_keeps_a_leading_subheading_that_is_not_the_title() -> None:
    raw = "What happens next\nThe council will vote on the plan in May."
    assert clean_body(raw, "Harbour plan approved") == (
        "What happens next\n\nThe council will vote on the plan in May."
    )


def test_clean_body_keeps_the_first_of_repeated_lines() -> None:
    raw = "\n".join(
        [
            "The choir sang the refrain twice.",
            "Sing it loud, sing it clear",
            "The second verse was new.",
            "Sing it loud, sing it clear",
        ]
    )
    assert clean_body(raw).split("\n\n") == [
        "The choir sang the refrain twice.",
        "Sing it loud, sing it clear",
        "The second verse was new.",
    ]


def test_clean_body_does_not_join_paragraphs() -> None:
    # clean() joins hard-wrapped lines; trafilatura's lines are paragraphs
    raw = "A first paragraph that does not end with a full stop and runs on\nA second one."
    assert clean_body(raw) == (
        "A first paragraph that does not end with a full stop and runs on\n\nA second one."
    )


def test_extracted_is_built_by_keyword() -> None:
    with pytest.raises(TypeError):
        Extracted("ok", None, "t", "text")  # type: ignore[misc]
    page = Extracted(status="ok", title="T", text="x", source="feed")
    assert page.ok and page.reason is None and page.site is None


def test_plain_text_is_an_article_without_trafilatura(caplog: pytest.LogCaptureFixture) -> None:
    """A text file through `ingest` used to print trafilatura's ERROR lines and be refused."""
    text = (
        "Harbour ferry fares rise\n\n" + FEED_TEXT + "\n\n" + FEED_TEXT.replace("Tuesday", "Monday")
    )
    page = extract_article(text, "https://courier.example.com/fares.txt")
    assert page.ok and page.title == "Harbour ferry fares rise"
    assert page.text.startswith("The harbour council's budget talks")
    assert page.site == "courier.example.com"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_site_and_text_are_safe_to_show() -> None:
    esc = "\x1b"
    html = (
        f"<html><head><title>Solar{esc}]0;pwned\x07 farm</title></head><body><article>"
        + "".join(f"<p>{FEED_TEXT.replace('ferry', f'fe{esc}[2Jrry')}</p>" for _ in range(2))
        + "</article></body></html>"
    )
    page = extract_article(html, "http://user:pw@courier.example.com:8080/a?token=t")
    assert page.site == "courier.example.com"  # never "user:pw@host:port"
    for field in (page.title or "", page.text, page.site or ""):
        assert esc not in field and "\x07" not in field
