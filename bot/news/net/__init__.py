"""Network access, one face: ``from bot.news.net import Fetcher, FetchError, …``.

``fetch`` holds the client (limits, redirects, back-off, conditional GET),
``guard`` the SSRF check made at connect time; how a URL is shown, logged or stored
(no userinfo, no token) is :mod:`bot.urls`. Every failure is a ``FetchError``;
the tree is drawn in ``bot.news.net.errors``.
"""

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

__all__ = [
    "DEFAULT_ACCEPT",
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
]
