"""Fetching feeds and article pages with limits: size, time, redirects, addresses, politeness.

One ``Fetcher`` per process. Every failure is a ``FetchError`` subclass with a short
machine ``kind`` and a message a user can read, so callers can record "failed, because…".
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import weakref
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import httpcore
import httpx

from bot.config import Settings
from bot.news.decode import decode_body
from bot.news.net.errors import (
    BadResponseError,
    BadUrlError,
    BlockedAddressError,
    ConnectionFailedError,
    DecompressionBombError,
    FetchTimeoutError,
    HostBackoffError,
    HttpStatusError,
    PoolBusyError,
    RateLimitedError,
    TooLargeError,
    TooManyRedirectsError,
)
from bot.news.net.guard import (
    AddressPolicy,
    GuardedNetworkBackend,
    HostGuard,
    Resolver,
    default_policy,
    system_resolver,
)
from bot.redact import redact_library_logs
from bot.urls import redact_url

log = logging.getLogger(__name__)

DEFAULT_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.8"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A body that decodes to more than BOMB_RATIO times its compressed size, once past
# BOMB_MIN_BYTES, is refused before reaching the size limit: real pages compress ~5-20x.
BOMB_RATIO = 100
BOMB_MIN_BYTES = 1024 * 1024
MAX_RETRY_AFTER_S = 24 * 3600.0  # a server asking for more than a day is not taken literally
_OUT_CHUNK = 64 * 1024  # most decompressed bytes produced per step, so memory stays bounded
POOL_SIZE = 100  # connections per process; also how many requests are in flight at once


__all__ = ["DEFAULT_ACCEPT", "FetchResult", "Fetcher"]


# --- result ------------------------------------------------------------------------


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


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return (media.strip().lower() or None), charset


# --- bounded content decoding --------------------------------------------------------


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data


class _Zlib:
    """gzip/deflate decoding that never produces more than _OUT_CHUNK bytes per step.

    httpx decodes each network chunk in one go (a 64 KB gzip chunk can expand to ~64 MB,
    brotli far more), so we read raw bytes and decode here with ``max_length``.
    """

    def __init__(self, wbits: int, *, fallback_wbits: int | None = None, multi: bool = False):
        self._wbits = wbits
        self._obj = zlib.decompressobj(wbits)
        self._fallback = fallback_wbits  # deflate: zlib-wrapped per RFC, raw in practice
        self._multi = multi  # gzip may hold several members back to back
        self._started = False
        self._done = False

    def _step(self, data: bytes) -> bytes:
        try:
            out = self._obj.decompress(data, _OUT_CHUNK)
        except zlib.error:
            if self._fallback is None or self._started:
                raise
            self._wbits, self._fallback = self._fallback, None
            self._obj = zlib.decompressobj(self._wbits)
            out = self._obj.decompress(data, _OUT_CHUNK)
        self._started = True
        return out

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while not self._done:
            out = self._step(pending)
            pending = self._obj.unconsumed_tail
            if out:
                yield out
            if self._obj.eof:
                rest = self._obj.unused_data
                if self._multi and rest.strip(b"\x00"):
                    self._obj = zlib.decompressobj(self._wbits)
                    pending = rest
                    continue
                self._done = True  # trailing bytes after the stream are ignored
                return
            if not pending and len(out) < _OUT_CHUNK:
                return  # input used up and nothing left buffered inside zlib


def _decoder_for(content_encoding: str | None) -> _Identity | _Zlib:
    codings = [
        c.strip().lower()
        for c in (content_encoding or "").split(",")
        if c.strip().lower() not in ("", "identity")
    ]
    if not codings:
        return _Identity()
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS, multi=True)
    if len(codings) == 1 and codings[0] == "deflate":
        return _Zlib(zlib.MAX_WBITS, fallback_wbits=-zlib.MAX_WBITS)
    raise BadResponseError(
        f"the server used a compression we did not ask for and cannot read: {content_encoding}"
    )


# --- transport ------------------------------------------------------------------------


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its connection pool swapped for one using the guarded backend.

    httpx does not let us pass an httpcore network backend, so we replace ``_pool`` (a
    private attribute, stable across httpx 0.2x) right after construction.
    """

    def __init__(self, guard: HostGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=POOL_SIZE,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedNetworkBackend(guard),
        )


# --- fetcher --------------------------------------------------------------------------


@dataclass
class _HostState:
    failures: int = 0
    next_allowed: float = 0.0  # on the injected monotonic clock


class Fetcher:
    """Fetches URLs for the whole process, sharing connections, limits and back-off state.

    Back-off is state, not sleeping: after failures (or a 429/503 with Retry-After) a
    host is refused with ``HostBackoffError`` until ``next_allowed(host)``; schedulers ask
    ``next_allowed`` and come back later instead of a fetch blocking for minutes.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        address_policy: AddressPolicy | None = None,
        backoff_base: float = 10.0,
        backoff_cap: float = 3600.0,
        total_timeout: float | None = None,
    ) -> None:
        redact_library_logs()  # httpx logs every request URL, tokens and all
        self._settings = settings
        self._clock = clock
        self._wall_clock = wall_clock
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        # read_timeout bounds each read; a server dribbling a byte at a time would never
        # trip it, so the whole fetch (all hops) also has a deadline. It counts only the
        # time a request is out (see ``fetch``), not the time it queued here.
        self._total_timeout = total_timeout or settings.connect_timeout + 4 * settings.read_timeout
        self._guard = HostGuard(
            allow_private=settings.allow_private_hosts,
            resolver=resolver or system_resolver,
            policy=address_policy or default_policy,
        )
        # With an injected transport our connection-level guard is not in the path, so
        # each hop is checked by resolving just before the request instead (weaker:
        # the transport resolves again, which leaves a DNS-rebinding window).
        self._precheck = transport is not None
        self._client = httpx.AsyncClient(
            transport=transport or _GuardedTransport(self._guard),
            # ``pool``: waiting for one of our own connections, which no server causes; a
            # PoolTimeout is a PoolBusyError, never the host's failure. With at most
            # POOL_SIZE requests out at once (``_in_flight``) it should not happen at all.
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout + settings.read_timeout,
            ),
            follow_redirects=False,  # we follow them ourselves so each hop is checked
            trust_env=False,  # an env proxy would make the guard check the proxy, not the site
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self._hosts: dict[str, _HostState] = {}
        # Weak values: a host's semaphore lives only while some fetch holds or awaits it.
        self._semaphores: weakref.WeakValueDictionary[str, asyncio.Semaphore] = (
            weakref.WeakValueDictionary()
        )
        # The fan-out bound: an OPML list of 1,200 feeds starts 1,200 fetches at once,
        # and had they all queued inside httpx for 100 connections, the wait would have
        # counted against each server (900 of 1,200 "timed out" and were backed off). A
        # request takes its host's slot, then one of these, and only then is timed.
        self._in_flight = asyncio.Semaphore(POOL_SIZE)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- politeness state

    def next_allowed(self, host_or_url: str) -> float:
        """Monotonic time (per ``clock``) from which the host may be fetched; past = now."""
        state = self._hosts.get(_host_key(host_or_url))
        return state.next_allowed if state else 0.0

    def _check_backoff(self, host: str, shown_url: str) -> None:
        state = self._hosts.get(host)
        if state is None:
            return
        wait = state.next_allowed - self._clock()
        if wait > 0:
            raise HostBackoffError(
                f"not fetching {shown_url} yet: {host} asked us to slow down or failed "
                f"recently; try again in {wait:.0f} s",
                url=shown_url,
                retry_after=wait,
            )

    def _record_failure(self, host: str, retry_after: float | None = None) -> None:
        state = self._hosts.setdefault(host, _HostState())
        state.failures += 1
        if retry_after is None:
            # The exponent is capped: 2.0 ** 1024 overflows, and a dead host polled for
            # weeks (or an OPML list of 1,200 feeds on it) fails that often.
            delay = min(self._backoff_cap, self._backoff_base * 2 ** min(state.failures - 1, 32))
        else:
            delay = retry_after
        state.next_allowed = max(state.next_allowed, self._clock() + delay)
        log.info("backing off %s for %.0f s after %d failure(s)", host, delay, state.failures)

    def _record_success(self, host: str) -> None:
        self._hosts.pop(host, None)

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(host)
        if sem is None:
            sem = asyncio.Semaphore(self._settings.per_host_concurrency)
            self._semaphores[host] = sem
        return sem

    def _retry_after(self, value: str | None) -> float | None:
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                return None
            seconds = when.timestamp() - self._wall_clock()
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)

    # -- fetching

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """GET ``url`` following up to ``max_redirects`` redirects, each hop checked."""
        started = time.perf_counter()
        current = _parse_url(url)
        shown = redact_url(current)
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        budget = self._total_timeout  # the servers' time left, over all hops
        redirects = 0
        while True:
            shown = redact_url(current)
            self._check_backoff(current.host, shown)  # before queueing, not only after
            async with self._semaphore(current.host), self._in_flight:
                out = time.perf_counter()  # queueing is over: from here the server's time
                try:
                    async with asyncio.timeout(budget):
                        await self._check_hop(current, shown)
                        response = await self._send(current, headers, shown)
                        try:
                            nxt = self._redirect_target(response, current, shown)
                            if nxt is None:
                                return await self._finish(
                                    url, current, response, started, etag, last_modified
                                )
                        finally:
                            await response.aclose()
                except TimeoutError:
                    self._record_failure(current.host)
                    raise FetchTimeoutError(
                        f"fetching {shown} took longer than {self._total_timeout:.0f} s in total",
                        url=shown,
                    ) from None
                budget -= time.perf_counter() - out
            self._record_success(current.host)
            redirects += 1
            if redirects > self._settings.max_redirects:
                raise TooManyRedirectsError(
                    f"gave up on {redact_url(url)}: more than "
                    f"{self._settings.max_redirects} redirects",
                    url=redact_url(url),
                )
            log.debug("redirect %s -> %s", shown, redact_url(nxt))
            current = nxt

    async def _check_hop(self, url: httpx.URL, shown: str) -> None:
        self._check_backoff(url.host, shown)
        self._guard.check_literal(url.host)
        if self._precheck:
            await self._guard.resolve(url.host, url.port or (443 if url.scheme == "https" else 80))

    async def _send(self, url: httpx.URL, headers: dict[str, str], shown: str) -> httpx.Response:
        request = self._client.build_request("GET", url, headers=headers)
        log.debug("GET %s", shown)
        try:
            return await self._client.send(request, stream=True)
        except httpx.PoolTimeout:
            raise PoolBusyError(
                f"not fetched {shown}: every connection was busy; it is tried again later",
                url=shown,
            ) from None
        except httpx.TimeoutException as exc:
            self._record_failure(url.host)
            what = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
            raise FetchTimeoutError(f"timed out {what} {shown}", url=shown) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise BadUrlError(f"cannot fetch {shown}: {exc}", url=shown) from None
        except httpx.TransportError as exc:
            self._record_failure(url.host)
            raise ConnectionFailedError(
                f"could not connect to {url.host}: {_short(exc)}", url=shown
            ) from None
        except BlockedAddressError as exc:
            log.warning("blocked fetch of %s: %s", shown, exc)
            exc.url = shown
            raise

    def _redirect_target(
        self, response: httpx.Response, current: httpx.URL, shown: str
    ) -> httpx.URL | None:
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
        return _parse_url(str(target), context=f"{shown} redirected to")

    async def _finish(
        self,
        requested: str,
        final: httpx.URL,
        response: httpx.Response,
        started: float,
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        shown = redact_url(final)
        status = response.status_code
        host = final.host
        if status in (429, 503):
            retry_after = self._retry_after(response.headers.get("retry-after"))
            if retry_after is not None or status == 429:
                self._record_failure(host, retry_after)
                wait = f"; retry in {retry_after:.0f} s" if retry_after is not None else ""
                raise RateLimitedError(
                    f"{host} is rate-limiting or unavailable (HTTP {status}){wait}",
                    url=shown,
                    status=status,
                    retry_after=retry_after,
                )
        if status >= 500:
            self._record_failure(host)
        if status == 304 or 200 <= status < 300:
            body = b"" if status == 304 else await self._read_body(response, shown)
            self._record_success(host)
            content_type, charset = _parse_content_type(response.headers.get("content-type"))
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
                elapsed=time.perf_counter() - started,
                max_age=cache_max_age(response.headers.get("cache-control")),
            )
        raise HttpStatusError(
            f"{shown} answered HTTP {status} {response.reason_phrase}".rstrip(),
            url=shown,
            status=status,
        )

    async def _read_body(self, response: httpx.Response, shown: str) -> bytes:
        """Read at most max_body_bytes *decoded* bytes, stopping as soon as it is exceeded."""
        limit = self._settings.max_body_bytes
        mb = f"{limit / 1024 / 1024:g} MB"
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise TooLargeError(
                f"{shown} is too large ({int(declared)} bytes; the limit is {mb})", url=shown
            )
        decoder = _decoder_for(response.headers.get("content-encoding"))
        chunks: list[bytes] = []
        raw = decoded = 0
        try:
            async for raw_chunk in response.aiter_raw():
                raw += len(raw_chunk)
                for piece in decoder.feed(raw_chunk):
                    decoded += len(piece)
                    if decoded > BOMB_MIN_BYTES and decoded > BOMB_RATIO * raw:
                        raise DecompressionBombError(
                            f"refused {shown}: it decompresses to over {BOMB_RATIO}× its "
                            "download size (a decompression bomb)",
                            url=shown,
                        )
                    if decoded > limit:
                        raise TooLargeError(f"{shown} is larger than the {mb} limit", url=shown)
                    chunks.append(piece)
                if raw > limit:  # only reachable if decoding shrinks data; still a bound
                    raise TooLargeError(f"{shown} is larger than the {mb} limit", url=shown)
        except zlib.error:
            raise BadResponseError(f"{shown} sent corrupt compressed data", url=shown) from None
        except httpx.TimeoutException:
            self._record_failure(response.url.host)
            raise FetchTimeoutError(f"timed out reading {shown}", url=shown) from None
        except httpx.TransportError as exc:
            self._record_failure(response.url.host)
            raise ConnectionFailedError(
                f"the connection broke while reading {shown}: {_short(exc)}", url=shown
            ) from None
        return b"".join(chunks)


def cache_max_age(value: str | None) -> float | None:
    """Seconds from ``Cache-Control: max-age=N`` (at most a day); None when absent."""
    for part in (value or "").lower().split(","):
        name, _, arg = part.strip().partition("=")
        if name == "max-age" and arg.strip().strip('"').isdigit():
            seconds = float(arg.strip().strip('"'))
            return min(seconds, MAX_RETRY_AFTER_S) if seconds > 0 else None
    return None


def _short(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _host_key(host_or_url: str) -> str:
    if "://" in host_or_url:
        try:
            return httpx.URL(host_or_url).host
        except httpx.InvalidURL:
            return host_or_url.lower()
    return host_or_url.strip("[]").lower()


def _parse_url(url: str, *, context: str | None = None) -> httpx.URL:
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
