"""Network access, one face: ``from bot.news.net import Fetcher, FetchError, …``.

``fetch`` holds the client (limits, redirects, back-off, conditional GET),
``guard`` the SSRF check made at connect time and ``redact`` the one way a URL
is shown, logged or stored (no userinfo, no token). Every failure is a ``FetchError``;
the tree is drawn in ``bot.news.net.errors``.
"""

from urllib.parse import urlsplit

from bot.news.net.errors import (
    BadResponseError,
    BadUrlError,
    BlockedAddressError,
    ConnectionFailedError,
    DecompressionBombError,
    FetchError,
    FetchTimeoutError,
    HostBackoffError,
    HttpStatusError,
    PoolBusyError,
    RateLimitedError,
    TooLargeError,
    TooManyRedirectsError,
)
from bot.news.net.fetch import DEFAULT_ACCEPT, Fetcher, FetchResult
from bot.news.net.guard import HostGuard, blocked_reason
from bot.news.net.redact import REDACTED, redact_url, web_link


def is_http_url(source: str) -> bool:
    """Whether a command-line or feed source is an http(s) URL rather than a file."""
    try:
        return urlsplit(source).scheme in {"http", "https"}
    except ValueError:  # "http://[::1" and friends: not a URL we can fetch
        return False


__all__ = [
    "DEFAULT_ACCEPT",
    "REDACTED",
    "BadResponseError",
    "BadUrlError",
    "BlockedAddressError",
    "ConnectionFailedError",
    "DecompressionBombError",
    "FetchError",
    "FetchResult",
    "FetchTimeoutError",
    "Fetcher",
    "HostBackoffError",
    "HostGuard",
    "HttpStatusError",
    "PoolBusyError",
    "RateLimitedError",
    "TooLargeError",
    "TooManyRedirectsError",
    "blocked_reason",
    "is_http_url",
    "redact_url",
    "web_link",
]
