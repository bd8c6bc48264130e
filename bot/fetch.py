"""Public import path for fetching: ``from bot.fetch import Fetcher, FetchResult, FetchError``.

The code lives in ``bot.net.fetch`` (limits, redirects, back-off) and ``bot.net.guard``
(SSRF checks at connect time); this module only re-exports it.
"""

from bot.net.fetch import (
    DEFAULT_ACCEPT,
    BadResponseError,
    BadUrlError,
    BlockedAddressError,
    ConnectionFailedError,
    DecompressionBombError,
    Fetcher,
    FetchError,
    FetchResult,
    FetchTimeoutError,
    HostBackoffError,
    HttpStatusError,
    RateLimitedError,
    TooLargeError,
    TooManyRedirectsError,
    decode_body,
    redact_url,
)
from bot.net.guard import HostGuard, blocked_reason

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
    "RateLimitedError",
    "TooLargeError",
    "TooManyRedirectsError",
    "blocked_reason",
    "decode_body",
    "redact_url",
]
