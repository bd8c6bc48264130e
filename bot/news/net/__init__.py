"""Network access, one face: ``from bot.news.net import Fetcher, FetchError, …``.

The modules behind it:

    fetch      the client and its limits: connections, deadlines, body size, bombs
    redirects  each hop's URL checked, redirects followed by hand
    backoff    per-host politeness as state (failures, Retry-After)
    result     FetchResult and the conditional GET (ETag, Last-Modified, 304, max-age)
    content    gzip/deflate decoded a bounded slice at a time
    guard      the SSRF check, made at connect time
    errors     the FetchError tree

How a URL is shown, logged or stored (no userinfo, no token) is :mod:`bot.urls`. Every
failure is a ``FetchError``; the tree is drawn in ``bot.news.net.errors``.
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
from bot.news.net.fetch import DEFAULT_ACCEPT, Fetcher
from bot.news.net.guard import HostGuard, blocked_reason
from bot.news.net.result import FetchResult

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
