"""Fetcher tests against a real aiohttp server on 127.0.0.1; nothing else is contacted.

Normal fetching uses Settings(allow_private_hosts=True) because the server is on
loopback; SSRF tests keep the guard on and use injected resolvers / address policies.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import ipaddress
import logging
import time
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web

from bot.config import Settings
from bot.news.decode import declared_charset, decode_body
from bot.news.net import (
    BadUrlError,
    BlockedAddressError,
    DecompressionBombError,
    Fetcher,
    FetchError,
    FetchTimeoutError,
    HostBackoffError,
    HttpStatusError,
    RateLimitedError,
    TooLargeError,
    TooManyRedirectsError,
    blocked_reason,
)

MB = 1024 * 1024
CP1252_TEXT = "Café “quoted” – naïve"
RUSSIAN = "Привет, мир! Новости дня."


@dataclass
class Server:
    port: int
    hits: Counter[str] = field(default_factory=Counter)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    written: int = 0
    active: int = 0
    max_active: int = 0

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


_BOMB: bytes | None = None


def gzip_bomb() -> bytes:
    """~50 KB of gzip that inflates to 50 MB of zeros (built once, streamed by zlib)."""
    global _BOMB
    if _BOMB is None:
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = bytes(MB)
        _BOMB = b"".join(comp.compress(zeros) for _ in range(50)) + comp.flush()
    return _BOMB


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    app = web.Application()
    state = Server(port=0)

    def track(
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            state.hits[request.path] += 1
            state.headers[request.path] = dict(request.headers)
            return await handler(request)

        return wrapped

    async def cp1252(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=f"<p>{CP1252_TEXT}</p>".encode("cp1252"),
            headers={"Content-Type": "text/html; charset=windows-1252"},
        )

    async def meta(request: web.Request) -> web.StreamResponse:
        html = f'<html><head><meta charset="koi8-r"></head><body>{RUSSIAN}</body></html>'
        return web.Response(body=html.encode("koi8-r"), headers={"Content-Type": "text/html"})

    async def xml(request: web.Request) -> web.StreamResponse:
        doc = f'<?xml version="1.0" encoding="windows-1251"?><rss><title>{RUSSIAN}</title></rss>'
        return web.Response(
            body=doc.encode("cp1251"), headers={"Content-Type": "application/rss+xml"}
        )

    async def latin1(request: web.Request) -> web.StreamResponse:
        text = (
            "Le président a déclaré à la presse que l'économie française était « très "
            "solide » malgré la crise. Les élèves étaient très contents de la réforme."
        )
        return web.Response(body=text.encode("latin-1"), headers={"Content-Type": "text/plain"})

    async def mislabelled(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body="naïve “UTF-8”".encode(),
            headers={"Content-Type": "text/html; charset=iso-8859-1"},
        )

    async def feed(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            text="<rss/>",
            content_type="application/rss+xml",
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
        )

    async def declared_big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.content_length = 50 * MB
        await resp.prepare(request)
        try:
            for _ in range(50 * 16):
                await resp.write(bytes(64 * 1024))
                state.written += 64 * 1024
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def chunked_big(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            for _ in range(50 * 16):  # 50 MB if nobody stops us
                await resp.write(b"a" * (64 * 1024))
                state.written += 64 * 1024
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def bomb(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=gzip_bomb(),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        )

    async def gzipped(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=gzip.compress(("<p>hello gzip</p>" * 1000).encode()),
            headers={"Content-Type": "text/html", "Content-Encoding": "gzip"},
        )

    async def deflated(request: web.Request) -> web.StreamResponse:
        raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate, as IIS sends
        body = raw.compress(b"<p>hello deflate</p>" * 1000) + raw.flush()
        return web.Response(
            body=body, headers={"Content-Type": "text/html", "Content-Encoding": "deflate"}
        )

    async def redirect(request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text="arrived")
        raise web.HTTPFound(f"/redirect/{n - 1}")

    async def to_loopback(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"http://127.0.0.1:{state.port}/target")

    async def to_internal_name(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"http://internal.test:{state.port}/target")

    async def to_public(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/target")

    async def target(request: web.Request) -> web.StreamResponse:
        return web.Response(text="secret internal page")

    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(2)
        return web.Response(text="late")

    async def dribble(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            for _ in range(40):
                await resp.write(b"x")
                await asyncio.sleep(0.05)
        except (ConnectionError, RuntimeError):
            pass
        return resp

    async def limited(request: web.Request) -> web.StreamResponse:
        return web.Response(status=429, headers={"Retry-After": "120"})

    async def limited_date(request: web.Request) -> web.StreamResponse:
        when = email.utils.formatdate(1_700_000_000 + 300, usegmt=True)
        return web.Response(status=503, headers={"Retry-After": when})

    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500)

    async def missing(request: web.Request) -> web.StreamResponse:
        return web.Response(status=404)

    async def echo(request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    async def concurrent(request: web.Request) -> web.StreamResponse:
        state.active += 1
        state.max_active = max(state.max_active, state.active)
        try:
            await asyncio.sleep(0.1)
        finally:
            state.active -= 1
        return web.Response(text="ok")

    routes = {
        "/cp1252": cp1252,
        "/meta": meta,
        "/xml": xml,
        "/latin1": latin1,
        "/mislabelled": mislabelled,
        "/feed": feed,
        "/declared-big": declared_big,
        "/chunked-big": chunked_big,
        "/bomb": bomb,
        "/gzip": gzipped,
        "/deflate": deflated,
        "/redirect/{n}": redirect,
        "/to-loopback": to_loopback,
        "/to-internal-name": to_internal_name,
        "/to-public": to_public,
        "/target": target,
        "/slow": slow,
        "/dribble": dribble,
        "/429": limited,
        "/503-date": limited_date,
        "/500": broken,
        "/404": missing,
        "/echo": echo,
        "/concurrent": concurrent,
    }
    for path, handler in routes.items():
        app.router.add_get(path, track(handler))
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.port = runner.addresses[0][1]
    yield state
    await runner.cleanup()


def open_settings(**overrides: object) -> Settings:
    return Settings(allow_private_hosts=True, **overrides)  # type: ignore[arg-type]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def static_resolver(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(open_settings()) as f:
        yield f


# --- normal fetching and decoding ------------------------------------------------------


async def test_charset_from_header_and_honest_user_agent(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/cp1252"))
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.charset == "windows-1252"
    assert result.text == f"<p>{CP1252_TEXT}</p>"
    assert result.final_url == result.url == server.url("/cp1252")
    assert not result.not_modified
    sent = server.headers["/cp1252"]
    assert sent["User-Agent"] == Settings().user_agent
    assert "newsbrief" in sent["User-Agent"]


async def test_charset_from_meta_and_xml_declaration(server: Server, fetcher: Fetcher) -> None:
    html = await fetcher.fetch(server.url("/meta"))
    assert html.charset is None
    assert RUSSIAN in html.text  # detection alone gets this short text wrong
    rss = await fetcher.fetch(server.url("/xml"))
    assert f"<title>{RUSSIAN}</title>" in rss.text


async def test_undeclared_latin1_is_detected(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/latin1"))
    assert "Le président a déclaré" in result.text
    assert "économie française" in result.text


async def test_utf8_mislabelled_as_latin1_reads_as_utf8(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/mislabelled"))
    assert result.text == "naïve “UTF-8”"


def test_http_charset_beats_the_documents_own_declaration() -> None:
    html = f'<meta charset="windows-1251"><p>{RUSSIAN}</p>'.encode("koi8-r")
    assert RUSSIAN in decode_body(html, "koi8-r")
    # Without a header the (wrong) meta is believed: proof the meta is read at all.
    assert decode_body(html, None) == html.decode("cp1251")
    assert decode_body("Ünïcödé".encode("utf-16"), None) == "Ünïcödé"  # BOM first


def test_declared_charset_sniffing() -> None:
    assert declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=gbk">')
    assert declared_charset(b"<?xml version='1.0' encoding='ISO-8859-15'?><a/>") == "ISO-8859-15"
    assert declared_charset(b"<html><body>no declaration</body></html>") is None


async def test_conditional_get_gives_not_modified(server: Server, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(server.url("/feed"))
    assert first.etag == '"v1"'
    assert first.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert first.body == b"<rss/>"
    second = await fetcher.fetch(
        server.url("/feed"), etag=first.etag, last_modified=first.last_modified
    )
    assert second.not_modified
    assert second.status == 304
    assert second.body == b""
    assert second.etag == '"v1"'
    assert second.last_modified == first.last_modified  # kept from the caller
    assert server.headers["/feed"]["If-None-Match"] == '"v1"'
    assert server.headers["/feed"]["If-Modified-Since"] == first.last_modified


async def test_gzip_and_raw_deflate_are_decoded(server: Server, fetcher: Fetcher) -> None:
    assert (await fetcher.fetch(server.url("/gzip"))).text == "<p>hello gzip</p>" * 1000
    assert (await fetcher.fetch(server.url("/deflate"))).text == "<p>hello deflate</p>" * 1000
    assert server.headers["/gzip"]["Accept-Encoding"] == "gzip, deflate"


# --- size limits -----------------------------------------------------------------------


async def test_declared_content_length_over_limit_is_refused(
    server: Server, fetcher: Fetcher
) -> None:
    with pytest.raises(TooLargeError) as err:
        await fetcher.fetch(server.url("/declared-big"))
    assert err.value.kind == "too_large"
    assert "10 MB" in str(err.value)


async def test_chunked_stream_over_limit_stops_early(server: Server) -> None:
    async with Fetcher(open_settings(max_body_bytes=1 * MB)) as f:
        started = time.perf_counter()
        with pytest.raises(TooLargeError):
            await f.fetch(server.url("/chunked-big"))
        assert time.perf_counter() - started < 3
    await asyncio.sleep(0.05)  # let the server notice the closed connection
    # The server was stopped long before its 50 MB (socket buffers hold a few MB at most).
    assert server.written < 20 * MB


async def test_gzip_bomb_is_refused_early(server: Server, fetcher: Fetcher) -> None:
    assert len(gzip_bomb()) < 100 * 1024
    started = time.perf_counter()
    with pytest.raises(DecompressionBombError) as err:
        await fetcher.fetch(server.url("/bomb"))
    assert err.value.kind == "decompression_bomb"
    assert time.perf_counter() - started < 3


async def test_gzip_bomb_is_still_too_large_without_ratio_check(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size limit counts decoded bytes, so it stops a bomb by itself too."""
    monkeypatch.setattr("bot.news.net.fetch.BOMB_RATIO", 10**9)
    async with Fetcher(open_settings(max_body_bytes=2 * MB)) as f:
        with pytest.raises(TooLargeError):
            await f.fetch(server.url("/bomb"))


# --- redirects -------------------------------------------------------------------------


async def test_five_redirects_are_followed(server: Server, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/redirect/5"))
    assert result.text == "arrived"
    assert result.final_url == server.url("/redirect/0")
    assert result.url == server.url("/redirect/5")


async def test_six_redirects_are_too_many(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(TooManyRedirectsError) as err:
        await fetcher.fetch(server.url("/redirect/6"))
    assert err.value.kind == "too_many_redirects"
    assert server.hits["/redirect/0"] == 0


# --- timeouts --------------------------------------------------------------------------


async def test_read_timeout(server: Server) -> None:
    async with Fetcher(open_settings(read_timeout=0.2)) as f:
        started = time.perf_counter()
        with pytest.raises(FetchTimeoutError) as err:
            await f.fetch(server.url("/slow"))
    assert err.value.kind == "timeout"
    assert time.perf_counter() - started < 1.5


async def test_total_deadline_stops_a_dribbling_server(server: Server) -> None:
    async with Fetcher(open_settings(read_timeout=1.0), total_timeout=0.3) as f:
        started = time.perf_counter()
        with pytest.raises(FetchTimeoutError):
            await f.fetch(server.url("/dribble"))
    assert time.perf_counter() - started < 1.5


# --- politeness ------------------------------------------------------------------------


async def test_429_retry_after_is_reported_and_honoured(server: Server) -> None:
    clock = FakeClock()
    async with Fetcher(open_settings(), clock=clock) as f:
        with pytest.raises(RateLimitedError) as err:
            await f.fetch(server.url("/429"))
        assert err.value.kind == "rate_limited"
        assert err.value.status == 429
        assert err.value.retry_after == 120
        assert f.next_allowed(server.url("/anything")) == clock.now + 120
        assert f.next_allowed("127.0.0.1") == clock.now + 120

        clock.now += 60
        with pytest.raises(HostBackoffError) as backoff:
            await f.fetch(server.url("/echo"))
        assert backoff.value.retry_after == pytest.approx(60)
        assert server.hits["/echo"] == 0  # refused without asking the server

        clock.now += 61
        assert (await f.fetch(server.url("/echo"))).text == "ok"
        assert f.next_allowed("127.0.0.1") <= clock.now


async def test_retry_after_http_date(server: Server) -> None:
    clock = FakeClock()
    async with Fetcher(open_settings(), clock=clock, wall_clock=lambda: 1_700_000_000.0) as f:
        with pytest.raises(RateLimitedError) as err:
            await f.fetch(server.url("/503-date"))
    assert err.value.status == 503
    assert err.value.retry_after == pytest.approx(300)


async def test_exponential_backoff_on_server_errors(server: Server) -> None:
    clock = FakeClock()
    async with Fetcher(open_settings(), clock=clock, backoff_base=10, backoff_cap=25) as f:
        delays = []
        for _ in range(3):
            with pytest.raises(HttpStatusError) as err:
                await f.fetch(server.url("/500"))
            assert err.value.status == 500
            delays.append(f.next_allowed("127.0.0.1") - clock.now)
            clock.now = f.next_allowed("127.0.0.1")
        assert delays == [10, 20, 25]  # doubling, capped


async def test_client_errors_do_not_back_off(server: Server, fetcher: Fetcher) -> None:
    with pytest.raises(HttpStatusError) as err:
        await fetcher.fetch(server.url("/404"))
    assert err.value.kind == "http_status"
    assert "404" in str(err.value)
    assert (await fetcher.fetch(server.url("/echo"))).text == "ok"


async def test_per_host_concurrency_limit(server: Server) -> None:
    resolver = static_resolver({"a.test": ["127.0.0.1"], "b.test": ["127.0.0.1"]})
    async with Fetcher(open_settings(per_host_concurrency=2), resolver=resolver) as f:
        await asyncio.gather(*(f.fetch(server.url("/concurrent")) for _ in range(6)))
        assert server.max_active == 2
        server.max_active = 0
        # The limit is per host: two names, two budgets.
        await asyncio.gather(
            *(f.fetch(server.url("/concurrent", host=h)) for h in ["a.test", "b.test"] * 4)
        )
        assert server.max_active == 4
    assert server.hits["/concurrent"] == 14


# --- SSRF guard ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/echo",
        "http://[::1]:{port}/echo",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]:{port}/echo",
        "http://0.0.0.0:{port}/echo",
    ],
)
async def test_internal_addresses_are_refused(server: Server, url: str) -> None:
    async with Fetcher(Settings()) as f:
        with pytest.raises(BlockedAddressError) as err:
            await f.fetch(url.format(port=server.port))
    assert err.value.kind == "blocked_address"
    assert "not allowed" in str(err.value)
    assert server.hits["/echo"] == 0


async def test_name_resolving_to_private_address_is_refused() -> None:
    calls: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return {"evil.test": ["192.168.1.5"], "mixed.test": ["93.184.216.34", "10.0.0.1"]}[host]

    async with Fetcher(Settings(), resolver=resolver) as f:
        with pytest.raises(BlockedAddressError) as err:
            await f.fetch("http://evil.test/feed")
        assert "192.168.1.5" in str(err.value)
        # One bad address among good ones is enough to refuse the name.
        with pytest.raises(BlockedAddressError):
            await f.fetch("https://mixed.test/")
    assert calls == ["evil.test", "mixed.test"]


async def test_a_name_that_does_not_resolve_is_said_plainly() -> None:
    import socket

    async def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async with Fetcher(Settings(), resolver=resolver) as f:
        with pytest.raises(FetchError) as err:
            await f.fetch("https://nowhere.invalid/rss")
    assert "could not resolve nowhere.invalid: Name or service not known" in str(err.value)
    assert "Errno" not in str(err.value)


async def test_redirect_to_loopback_is_refused(server: Server) -> None:
    """First hop allowed by a test policy (only the name public.test); second hop real policy.

    Without a per-hop check this redirect would succeed: the target really exists.
    """

    def policy(host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        return None if host == "public.test" else blocked_reason(ip)

    resolver = static_resolver({"public.test": ["127.0.0.1"], "internal.test": ["127.0.0.1"]})
    async with Fetcher(Settings(), resolver=resolver, address_policy=policy) as f:
        # Control: the policy lets public.test through, redirects included.
        ok = await f.fetch(server.url("/to-public", host="public.test"))
        assert ok.text == "secret internal page"
        assert server.hits["/target"] == 1
        with pytest.raises(BlockedAddressError) as err:
            await f.fetch(server.url("/to-loopback", host="public.test"))
        assert "127.0.0.1" in str(err.value)
        # A redirect to a *name* is checked after resolution, at connect time.
        with pytest.raises(BlockedAddressError) as err:
            await f.fetch(server.url("/to-internal-name", host="public.test"))
        assert "internal.test (resolves to 127.0.0.1)" in str(err.value)
    assert server.hits["/to-loopback"] == 1
    assert server.hits["/to-internal-name"] == 1
    assert server.hits["/target"] == 1  # not fetched a second time


async def test_connects_to_the_address_it_checked(server: Server) -> None:
    """DNS rebinding: the name is resolved once per connection and that answer is used."""
    answers = [["127.0.0.1"], ["10.0.0.1"]]
    calls = 0

    async def rebinding(host: str, port: int) -> list[str]:
        nonlocal calls
        calls += 1
        return answers[min(calls - 1, 1)]

    def policy(host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        return None if str(ip) == "127.0.0.1" else blocked_reason(ip)

    async with Fetcher(Settings(), resolver=rebinding, address_policy=policy) as f:
        result = await f.fetch(server.url("/echo", host="rebind.test"))
    assert result.text == "ok"
    assert calls == 1


async def test_guard_can_be_lifted_by_settings(server: Server) -> None:
    async with Fetcher(Settings(allow_private_hosts=True)) as f:
        assert (await f.fetch(server.url("/echo"))).status == 200


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fd00:ec2::254",
        "100.100.100.200",
        "100.64.0.1",
        "192.0.0.8",
        "224.0.0.1",
        "ff02::1",
        "255.255.255.255",
        "::",
        "fe80::1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
        "172.16.5.4",
    ],
)
def test_blocked_addresses(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


# --- bad URLs and secrets ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://example.com/feed", "javascript:alert(1)", "http:///path", "not a url", ""]
)
async def test_bad_urls_give_clear_errors(url: str) -> None:
    async with Fetcher(Settings()) as f:
        with pytest.raises(BadUrlError) as err:
            await f.fetch(url)
    assert err.value.kind == "bad_url"
    assert isinstance(err.value, FetchError)
    assert "http" in str(err.value) or "host" in str(err.value)


async def test_credentials_never_reach_logs_or_messages(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    resolver = static_resolver({"evil.test": ["10.0.0.1"]})
    async with Fetcher(Settings(), resolver=resolver) as f:
        with pytest.raises(BlockedAddressError) as err:
            await f.fetch("http://user:hunter2@evil.test/feed?token=abc123")
    shown = f"{err.value} {err.value.url} {caplog.text}"
    assert "evil.test" in shown
    assert "hunter2" not in shown
    assert "abc123" not in shown


async def test_injected_transport_still_checks_every_hop() -> None:
    """With a caller's transport the guard resolves before each request instead."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://evil.test/"})

    resolver = static_resolver({"public.test": ["93.184.216.34"], "evil.test": ["10.0.0.1"]})
    transport = httpx.MockTransport(handler)
    async with Fetcher(Settings(), transport=transport, resolver=resolver) as f:
        with pytest.raises(BlockedAddressError):
            await f.fetch("http://public.test/feed")
    assert seen == ["http://public.test/feed"]  # the evil hop was never requested


async def test_httpx_request_lines_are_redacted_even_at_debug(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """httpx logs every request's full URL at INFO, which `-v` shows: password and token
    included, before this filter (7 of 7 requests did in the red-team pass)."""
    caplog.set_level(logging.DEBUG)
    async with Fetcher(open_settings()) as f:
        url = server.url("/cp1252").replace("http://", "http://reader:PW-s3cret@")
        result = await f.fetch(url + "?api_key=KEY-s3cret&page=2")
    assert result.status == 200
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert httpx_lines and all("/cp1252?api_key=REDACTED&page=2" in m for m in httpx_lines)
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp")]
    assert ours and not [m for m in ours if "s3cret" in m]  # the test server's log aside
    assert not [r for r in caplog.records if r.name.startswith("httpcore")]  # kept at WARNING


async def test_a_host_that_always_fails_never_overflows_the_backoff() -> None:
    """10.0 * 2 ** (failures - 1) overflowed a float after 1,025 failures in a row (an
    OPML list of 1,200 feeds on one host did it): every later failure was an OverflowError."""
    clock = FakeClock()
    transport = httpx.MockTransport(lambda request: httpx.Response(500))
    resolver = static_resolver({"down.example": ["93.184.216.34"]})
    async with Fetcher(Settings(), transport=transport, resolver=resolver, clock=clock) as f:
        for _ in range(1100):
            with pytest.raises(HttpStatusError):
                await f.fetch("http://down.example/feed.xml")
            clock.now = f.next_allowed("down.example")
        with pytest.raises(HttpStatusError):
            await f.fetch("http://down.example/feed.xml")
        assert f.next_allowed("down.example") - clock.now == 3600  # the default cap
