"""Parsing RSS, Atom, RDF and JSON feeds, and OPML subscription lists.

Input is always the bytes the fetcher received plus the URL they came from:
this module never touches the network. Parsing is lenient (a feed that
feedparser flags as "bozo" but still yields entries is accepted, with the
problem recorded) but never silent: a document that yields nothing raises
:class:`FeedError` with a reason a user can act on.

The package's face is this module; the work is done in:

    parse      which reader a document needs (JSON or XML), stray gzip and BOM undone
    rss        RSS, RDF and Atom through feedparser
    jsonfeed   JSON Feed 1.0/1.1
    opml       OPML subscription lists
    text       items' text: HTML to text, safe lines, absolute links, dates
    base       the result types, FeedError, entry identity and de-duplication
"""

from bot.news.feeds.base import MAX_FEED_BYTES, FeedEntry, FeedError, ParsedFeed
from bot.news.feeds.opml import looks_like_opml, parse_opml
from bot.news.feeds.parse import parse_feed
from bot.news.feeds.rss import MAX_TTL_S
from bot.news.feeds.text import html_to_text

__all__ = [
    "MAX_FEED_BYTES",
    "MAX_TTL_S",
    "FeedEntry",
    "FeedError",
    "ParsedFeed",
    "html_to_text",
    "looks_like_opml",
    "parse_feed",
    "parse_opml",
]
