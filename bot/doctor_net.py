"""``newsbrief doctor``'s checks of this machine's network: the HTTP port, and a sample
of the feeds (fetched as the poller would: the same Fetcher, limits and SSRF guard)."""

from __future__ import annotations

import errno
import socket
import urllib.error
import urllib.request

from bot.config import Settings
from bot.doctor import Finding, ok, problem


def http_port_findings(settings: Settings) -> list[Finding]:
    """Free to bind, or already served by a running newsbrief (its /healthz answers)."""
    host, port = settings.http_host, settings.http_port
    where = f"{host}:{port}"
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        return [ok("http port", f"{where} is free")]
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            fix = "set NEWSBRIEF_HTTP_HOST to an address of this machine"
            return [problem("http port", f"cannot listen on {where}: {exc.strerror}", fix)]
    probe = "127.0.0.1" if host in ("0.0.0.0", "") else host
    try:
        with urllib.request.urlopen(f"http://{probe}:{port}/healthz", timeout=3) as r:
            if r.status == 200 and b'"ok"' in r.read():
                return [ok("http port", f"{where} is served by a running newsbrief")]
    except (urllib.error.URLError, OSError, ValueError):
        pass
    return [
        problem(
            "http port",
            f"{where} is in use by another program",
            "stop it, or set NEWSBRIEF_HTTP_PORT to a free port",
        )
    ]


def _sample_urls(settings: Settings, n: int) -> list[tuple[str, str]]:
    """(full URL, shown form) of up to ``n`` feeds: failing ones first, then the rest,
    from the store and from NEWSBRIEF_FEEDS (URLs only; an OPML file is read at run)."""
    from bot.urls import is_http_url, redact_url

    picked: dict[str, str] = {}
    # NEWSBRIEF_FEEDS (bot.news.adding), read by name: doctor also runs on a release
    # whose settings do not have it yet.
    feeds = str(getattr(settings, "feeds", "") or "")
    configured = [u.strip() for u in feeds.split(",") if is_http_url(u.strip())]
    try:
        from bot.store import Store

        # Read only: doctor never migrates (the migrations check says what is due).
        store = Store.open(settings.effective_database_url(), upgrade=False)
        try:
            states = [f for f in store.feeds() if f.kind == "feed"]
        finally:
            store.close()
    except Exception:
        states = []  # the database check reports why
    states.sort(key=lambda f: (f.consecutive_failures == 0, f.url))
    for url in [f.url for f in states] + configured:
        if len(picked) < n:
            picked.setdefault(url, redact_url(url))
    return list(picked.items())


async def feed_findings(settings: Settings, n: int) -> list[Finding]:
    import asyncio

    from bot.news.net import Fetcher, FetchError

    urls = await asyncio.to_thread(_sample_urls, settings, n)
    if not urls:
        return [Finding("feeds", "note", "no feeds yet (NEWSBRIEF_FEEDS, or /feeds add)")]
    # Each feed on its own: a failing path must not make its host's other feeds look broken
    # (the poller's back-off waits after a failure; a check has no next round to wait for).
    fetcher = Fetcher(settings, backoff_base=0.0)
    found: list[Finding] = []
    try:
        for url, shown in urls:
            try:
                result = await fetcher.fetch(url)
                found.append(ok("feed", f"{shown}: HTTP {result.status}"))
            except FetchError as exc:
                found.append(
                    problem(
                        "feed",
                        f"{shown}: {exc}",
                        "check the URL; if it is gone, remove it (/feeds remove, NEWSBRIEF_FEEDS)",
                    )
                )
    finally:
        await fetcher.aclose()
    return found
