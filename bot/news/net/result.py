"""What a fetch gives back, and the conditional GET around it: ETag and Last-Modified
sent, 304 kept as "not modified" with the caller's validators, max-age read."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import httpx

from bot.news.decode import decode_body
from bot.news.net.backoff import MAX_RETRY_AFTER_S


@dataclass(frozen=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str | None  # media type only, lower case, e.g. "text/html"
    charset: str | None  # from the Content-Type header, if any
    body: bytes = field(repr=False)
    etag: str | None
    last_modified: str | None
    not_modified: bool  # 304: the caller's cached copy is current; body is empty
    elapsed: float  # seconds, including redirects
    max_age: float | None = None  # Cache-Control max-age: no point asking again sooner

    @cached_property
    def text(self) -> str:
        """The body as text; decoded on first use since many callers only want bytes."""
        return decode_body(self.body, self.charset)


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return (media.strip().lower() or None), charset


def conditional_headers(accept: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The request headers: what we accept, and the validators of the caller's copy."""
    headers = {"Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def fetch_result(
    requested: str,
    final: httpx.URL,
    response: httpx.Response,
    body: bytes,
    elapsed: float,
    etag: str | None,
    last_modified: str | None,
) -> FetchResult:
    """The result of a 2xx or a 304; a 304 without validators keeps the caller's, so the
    next request is conditional too."""
    status = response.status_code
    content_type, charset = parse_content_type(response.headers.get("content-type"))
    return FetchResult(
        url=requested,
        final_url=str(final),
        status=status,
        content_type=content_type,
        charset=charset,
        body=body,
        etag=response.headers.get("etag") or (etag if status == 304 else None),
        last_modified=response.headers.get("last-modified")
        or (last_modified if status == 304 else None),
        not_modified=status == 304,
        elapsed=elapsed,
        max_age=cache_max_age(response.headers.get("cache-control")),
    )


def cache_max_age(value: str | None) -> float | None:
    """Seconds from ``Cache-Control: max-age=N`` (at most a day); None when absent."""
    for part in (value or "").lower().split(","):
        name, _, arg = part.strip().partition("=")
        if name == "max-age" and arg.strip().strip('"').isdigit():
            seconds = float(arg.strip().strip('"'))
            return min(seconds, MAX_RETRY_AFTER_S) if seconds > 0 else None
    return None
