"""Politeness per host as state, not sleeping.

After failures (exponential, capped) or a 429/503 with ``Retry-After``, a host is
refused with ``HostBackoffError`` until its next allowed time; schedulers ask
``next_allowed`` and come back later instead of a fetch blocking for minutes.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bot.news.net.errors import HostBackoffError

log = logging.getLogger("bot.news.net.fetch")  # the fetcher's log, as before the split

MAX_RETRY_AFTER_S = 24 * 3600.0  # a server asking for more than a day is not taken literally


@dataclass
class _HostState:
    failures: int = 0
    next_allowed: float = 0.0  # on the injected monotonic clock


class HostBackoff:
    """Each host's failures and the time from which it may be fetched again."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        base: float,
        cap: float,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._base = base
        self._cap = cap
        self._hosts: dict[str, _HostState] = {}

    def next_allowed(self, host_or_url: str) -> float:
        """Monotonic time (per ``clock``) from which the host may be fetched; past = now."""
        state = self._hosts.get(host_key(host_or_url))
        return state.next_allowed if state else 0.0

    def check(self, host: str, shown_url: str) -> None:
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

    def record_failure(self, host: str, retry_after: float | None = None) -> None:
        state = self._hosts.setdefault(host, _HostState())
        state.failures += 1
        if retry_after is None:
            # The exponent is capped: 2.0 ** 1024 overflows, and a dead host polled for
            # weeks (or an OPML list of 1,200 feeds on it) fails that often.
            delay = min(self._cap, self._base * 2 ** min(state.failures - 1, 32))
        else:
            delay = retry_after
        state.next_allowed = max(state.next_allowed, self._clock() + delay)
        log.info("backing off %s for %.0f s after %d failure(s)", host, delay, state.failures)

    def record_success(self, host: str) -> None:
        self._hosts.pop(host, None)

    def retry_after(self, value: str | None) -> float | None:
        """Seconds from a ``Retry-After`` header (seconds or an HTTP date), at most a day."""
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


def host_key(host_or_url: str) -> str:
    if "://" in host_or_url:
        try:
            return httpx.URL(host_or_url).host
        except httpx.InvalidURL:
            return host_or_url.lower()
    return host_or_url.strip("[]").lower()
