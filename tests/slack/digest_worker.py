"""A real newsbrief digest process on Slack, for the crash test: one delivery pass, then exit.

Run as ``python tests/slack/digest_worker.py DB_URL API_URL BOT_TOKEN NOW_ISO [after_post]``.
The clock is fixed at NOW (the one thing mocked); with ``after_post`` the process
SIGKILLs itself right after ``chat.postMessage`` answered, before the outbox row
is completed — injected around the adapter, not inside it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adapters.slack.adapter import SlackPlatform
from bot.chat.messages import ChannelRef, Post, ThreadRef
from bot.config import Settings
from bot.server import HttpServer
from bot.store import Store
from digests.delivery import DigestDelivery


class CrashingSlack(SlackPlatform):
    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        ref = await super().post(channel, post, key=key)
        os.kill(os.getpid(), signal.SIGKILL)
        return ref


async def main() -> int:
    url, api_url, token, now_iso = sys.argv[1:5]
    crash = sys.argv[5:] == ["after_post"]
    now = datetime.fromisoformat(now_iso)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_api_url=api_url,
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET="unused-here",
    )
    kind = CrashingSlack if crash else SlackPlatform
    slack = kind(settings, server=HttpServer("127.0.0.1", 0))  # posts only: no events
    store = Store.open(url)
    try:
        delivery = DigestDelivery(
            store, {"slack": slack}, clock=lambda: now, lease=timedelta(seconds=30)
        )
        for r in await delivery.deliver_due():
            print(f"{r.subscription_id} {r.slot_key} {r.outcome}", flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
