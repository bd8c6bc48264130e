"""The fetch error tree: every failure of ``bot.news.net`` is one of these.

NewsbriefError
└── FetchError                  kind: a short machine code; url: already redacted
    ├── BadUrlError             not an absolute http(s) URL with a host
    ├── BlockedAddressError     the SSRF guard refused the address
    ├── TooLargeError           over NEWSBRIEF_MAX_BODY_BYTES, counted while streaming
    ├── DecompressionBombError  expands past 100x its download size
    ├── FetchTimeoutError       connect, read or overall deadline
    ├── TooManyRedirectsError
    ├── HttpStatusError         4xx/5xx
    │   └── RateLimitedError    429, or 503 with Retry-After
    ├── ConnectionFailedError   refused, reset, DNS
    ├── BadResponseError        corrupt or unknown content-encoding
    ├── HostBackoffError        not asked: the host is backing off
    └── PoolBusyError           not asked: no free connection here (not the host's fault)
"""

from __future__ import annotations

from bot.errors import NewsbriefError


class FetchError(NewsbriefError):
    """A fetch failed; ``kind`` is a short machine code, the message says why for a user."""

    kind = "fetch"

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url  # already redacted: no userinfo, no query
        self.status = status
        self.retry_after = retry_after  # seconds the caller should wait before retrying


class BadUrlError(FetchError):
    kind = "bad_url"


class BlockedAddressError(FetchError):
    kind = "blocked_address"


class TooLargeError(FetchError):
    kind = "too_large"


class DecompressionBombError(FetchError):
    kind = "decompression_bomb"


class FetchTimeoutError(FetchError):
    kind = "timeout"


class TooManyRedirectsError(FetchError):
    kind = "too_many_redirects"


class HttpStatusError(FetchError):
    kind = "http_status"


class RateLimitedError(HttpStatusError):
    """429, or 503 with Retry-After: ``retry_after`` says when to come back."""

    kind = "rate_limited"


class ConnectionFailedError(FetchError):
    kind = "connection"


class BadResponseError(FetchError):
    """The server sent something we cannot decode (unknown or corrupt content-encoding)."""

    kind = "bad_response"


class HostBackoffError(FetchError):
    """Refused without asking the server: the host is in back-off after earlier failures."""

    kind = "backoff"


class PoolBusyError(FetchError):
    """Not sent: every connection of this process was busy for too long. Says nothing
    about the host, so it sets no back-off; the source is simply tried again later."""

    kind = "busy"
