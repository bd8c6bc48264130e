"""Fetching feeds and article pages with limits: size, time, redirects, addresses, politeness.

One ``Fetcher`` per process. Every failure is a ``FetchError`` subclass with a short
machine ``kind`` and a message a user can read, so callers can record "failed, because…".
This module holds the client and its limits (connections, deadlines, body size, bombs);
each hop's URL and redirect are :mod:`.redirects`, per-host back-off :mod:`.backoff`,
the result and conditional GET :mod:`.result`, bounded gzip/deflate :mod:`.content`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
import zlib
from collections.abc import Callable

import httpcore
import httpx

from bot.config import Settings
from bot.news.net.backoff import HostBackoff
from bot.news.net.content import decoder_for
from bot.news.net.errors import (
    BadResponseError,
    BadUrlError,
    BlockedAddressError,
    ConnectionFailedError,
    DecompressionBombError,
    FetchTimeoutError,
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
from bot.news.net.redirects import parse_url, redirect_target
from bot.news.net.result import FetchResult, conditional_headers, fetch_result
from bot.redact import redact_library_logs
from bot.urls import redact_url

log = logging.getLogger(__name__)

DEFAULT_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.8"
)
# A body that decodes to more than BOMB_RATIO times its compressed size, once past
# BOMB_MIN_BYTES, is refused before reaching the size limit: real pages compress ~5-20x.
BOMB_RATIO = 100
BOMB_MIN_BYTES = 1024 * 1024
POOL_SIZE = 100  # connections per process; also how many requests are in flight at once


__all__ = ["DEFAULT_ACCEPT", "FetchResult", "Fetcher"]


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
        self._backoff = HostBackoff(
            clock=clock, wall_clock=wall_clock, base=backoff_base, cap=backoff_cap
        )
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
        return self._backoff.next_allowed(host_or_url)

    def _semaphore(self, host: str) -> asyncio.Semaphore:
        sem = self._semaphores.get(host)
        if sem is None:
            sem = asyncio.Semaphore(self._settings.per_host_concurrency)
            self._semaphores[host] = sem
        return sem

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
        current = parse_url(url)
        shown = redact_url(current)
        headers = conditional_headers(accept, etag, last_modified)
        budget = self._total_timeout  # the servers' time left, over all hops
        redirects = 0
        while True:
            shown = redact_url(current)
            self._backoff.check(current.host, shown)  # before queueing, not only after
            async with self._semaphore(current.host), self._in_flight:
                out = time.perf_counter()  # queueing is over: from here the server's time
                try:
                    async with asyncio.timeout(budget):
                        await self._check_hop(current, shown)
                        response = await self._send(current, headers, shown)
                        try:
                            nxt = redirect_target(response, current, shown)
                            if nxt is None:
                                return await self._finish(
                                    url, current, response, started, etag, last_modified
                                )
                        finally:
                            await response.aclose()
                except TimeoutError:
                    self._backoff.record_failure(current.host)
                    raise FetchTimeoutError(
                        f"fetching {shown} took longer than {self._total_timeout:.0f} s in total",
                        url=shown,
                    ) from None
                budget -= time.perf_counter() - out
            self._backoff.record_success(current.host)
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
        self._backoff.check(url.host, shown)
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
            self._backoff.record_failure(url.host)
            what = "connecting to" if isinstance(exc, httpx.ConnectTimeout) else "waiting for"
            raise FetchTimeoutError(f"timed out {what} {shown}", url=shown) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise BadUrlError(f"cannot fetch {shown}: {exc}", url=shown) from None
        except httpx.TransportError as exc:
            self._backoff.record_failure(url.host)
            raise ConnectionFailedError(
                f"could not connect to {url.host}: {_short(exc)}", url=shown
            ) from None
        except BlockedAddressError as exc:
            log.warning("blocked fetch of %s: %s", shown, exc)
            exc.url = shown
            raise

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
            retry_after = self._backoff.retry_after(response.headers.get("retry-after"))
            if retry_after is not None or status == 429:
                self._backoff.record_failure(host, retry_after)
                wait = f"; retry in {retry_after:.0f} s" if retry_after is not None else ""
                raise RateLimitedError(
                    f"{host} is rate-limiting or unavailable (HTTP {status}){wait}",
                    url=shown,
                    status=status,
                    retry_after=retry_after,
                )
        if status >= 500:
            self._backoff.record_failure(host)
        if status == 304 or 200 <= status < 300:
            body = b"" if status == 304 else await self._read_body(response, shown)
            self._backoff.record_success(host)
            elapsed = time.perf_counter() - started
            return fetch_result(requested, final, response, body, elapsed, etag, last_modified)
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
        decoder = decoder_for(response.headers.get("content-encoding"))
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
            self._backoff.record_failure(response.url.host)
            raise FetchTimeoutError(f"timed out reading {shown}", url=shown) from None
        except httpx.TransportError as exc:
            self._backoff.record_failure(response.url.host)
            raise ConnectionFailedError(
                f"the connection broke while reading {shown}: {_short(exc)}", url=shown
            ) from None
        return b"".join(chunks)


def _short(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
