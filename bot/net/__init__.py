"""Network access: the fetcher (``bot.net.fetch``) and its SSRF guard (``bot.net.guard``)."""

from urllib.parse import urlsplit


def is_http_url(source: str) -> bool:
    """Whether a command-line or feed source is an http(s) URL rather than a file."""
    try:
        return urlsplit(source).scheme in {"http", "https"}
    except ValueError:  # "http://[::1" and friends: not a URL we can fetch
        return False
