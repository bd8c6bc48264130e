"""A real newsbrief digest process for the crash tests: one delivery pass, then exit.

Run as ``python tests/digest_worker.py DB_URL RECORD_PATH NOW_ISO [HOLDER [CRASH]]``.
The clock is fixed at NOW (the one thing mocked). CRASH is where this process
SIGKILLs itself, injected around the production code rather than inside it:

- ``before_post``: the platform is asked to post, and the process dies first;
- ``after_post``: the post went out, the outbox row is still pending;
- ``after_complete``: the outbox row says "sent", the thread is not remembered yet.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import sessionmaker

from adapters.console.adapter import ConsolePlatform
from bot.chat.messages import ChannelRef, Post, ThreadRef
from bot.store import OutboxStatus, Store
from bot.store.outbox import DigestOutbox
from digests.delivery import DigestDelivery

CRASH_POINTS = ("before_post", "after_post", "after_complete")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingConsole(ConsolePlatform):
    """The console, dying just before or just after a post."""

    def __init__(self, record: Path, crash: str | None) -> None:
        super().__init__(record, stdout=open(os.devnull, "w"))  # noqa: SIM115
        self.crash = crash

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        if self.crash == "before_post":
            die()
        ref = await super().post(channel, post, key=key)
        if self.crash == "after_post":
            die()
        return ref


class CrashingOutbox(DigestOutbox):
    """The outbox, dying once a slot is completed as sent."""

    def __init__(self, store: Store, crash: str | None) -> None:
        super().__init__(sessionmaker(store.engine))
        self.crash = crash

    def complete_slot(
        self,
        outbox_id: int,
        holder: str,
        status: OutboxStatus,
        *,
        message_ref: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        done = super().complete_slot(outbox_id, holder, status, message_ref=message_ref, now=now)
        if self.crash == "after_complete" and status == "sent":
            die()
        return done


async def main() -> int:
    url, record, now_iso = sys.argv[1:4]
    holder = sys.argv[4] if len(sys.argv) > 4 else None
    crash = sys.argv[5] if len(sys.argv) > 5 else None
    if crash is not None and crash not in CRASH_POINTS:
        raise SystemExit(f"unknown crash point {crash!r}: use one of {', '.join(CRASH_POINTS)}")
    now = datetime.fromisoformat(now_iso)
    store = Store.open(url)
    try:
        store.outbox = CrashingOutbox(store, crash)
        delivery = DigestDelivery(
            store,
            {"console": CrashingConsole(Path(record), crash)},
            clock=lambda: now,
            lease=timedelta(seconds=30),
            holder=holder,
        )
        results = await delivery.deliver_due()
        for r in results:
            print(f"{r.subscription_id} {r.slot_key} {r.outcome}", flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
