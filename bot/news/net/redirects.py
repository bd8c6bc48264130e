"""Which URLs may be fetched, and where a redirect leads: each hop is checked again."""

from __future__ import annotations

import httpx

from bot.news.net.errors import BadUrlError
from bot.urls import redact_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def redirect_target(response: httpx.Response, current: httpx.URL, shown: str) -> httpx.URL | None:
    """The next hop of a redirect response, checked as a URL; None when not a redirect."""
    if response.status_code not in REDIRECT_STATUSES:
        return None
    location = response.headers.get("location")
    if not location:
        return None  # a 3xx without Location is reported as a plain HTTP status
    try:
        target = current.join(location)
    except (httpx.InvalidURL, ValueError):
        raise BadUrlError(
            f"{shown} redirected to an address that is not a valid URL", url=shown
        ) from None
    return parse_url(str(target), context=f"{shown} redirected to")


def parse_url(url: str, *, context: str | None = None) -> httpx.URL:
    """Accept only absolute http(s) URLs with a host; say what is wrong otherwise."""
    prefix = f"{context} " if context else "cannot fetch "
    shown = redact_url(url)
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise BadUrlError(f"{prefix}{shown}: not a valid URL ({exc})", url=shown) from None
    if parsed.scheme not in ("http", "https"):
        what = f"'{parsed.scheme}:'" if parsed.scheme else "no scheme"
        raise BadUrlError(
            f"{prefix}{shown}: only http:// and https:// links can be fetched (got {what})",
            url=shown,
        )
    if not parsed.host:
        raise BadUrlError(f"{prefix}{shown}: the URL has no host name", url=shown)
    return parsed
