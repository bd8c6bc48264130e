"""A background loop's run of failures, told once and waited out with a growing pause.

A database restart or failover is routine: the poller and the digest sweep fail on
every pass until it is back. Each used to log a full traceback a second; now the
first failure is logged with its traceback, the next ones as one line each while the
wait doubles (up to a minute), and the recovery as one line saying how long it took.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

MOST = 60.0  # s: the longest wait between tries, however long the outage


class Outage:
    def __init__(
        self,
        log: logging.Logger,
        what: str,
        *,
        first: float = 1.0,
        most: float = MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.what = log, what
        self.first, self.most = first, most
        self.clock = clock
        self.failures = 0
        self.since: float | None = None
        self.resume_at = 0.0

    def failed(self, exc: BaseException) -> float:
        """Tell the failure; how long to wait before the next try."""
        self.failures += 1
        wait = min(self.most, self.first * 2.0 ** (self.failures - 1))
        now = self.clock()
        self.resume_at = now + wait
        if self.failures == 1:
            self.since = now
            self.log.error("%s failed; trying again in %.0f s", self.what, wait, exc_info=exc)
        else:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            self.log.warning(
                "%s failed again (%d in a row, %s); trying again in %.0f s",
                self.what,
                self.failures,
                reason,
                wait,
            )
        return wait

    def waiting(self) -> bool:
        """Whether the pause after the last failure still runs (for a fixed-period sweep)."""
        return self.failures > 0 and self.clock() < self.resume_at

    def recovered(self) -> None:
        if self.failures and self.since is not None:
            self.log.warning(
                "%s works again, after %d failures over %.0f s",
                self.what,
                self.failures,
                self.clock() - self.since,
            )
        self.failures, self.since = 0, None
