"""A real newsbrief process posting digests to a FakeDiscord: one delivery pass, then exit.

Run as ``python tests/discord/digest_worker.py API_URL TOKEN DB_URL NOW_ISO HOLDER [CRASH]``.
The clock is fixed at NOW (the one thing mocked). CRASH is where the process
SIGKILLs itself, around the production code: ``before_post`` (asked to post, dies
first) or ``after_post`` (the message and its thread are on Discord, the outbox
row is still pending).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pydantic import SecretStr

from adapters.discord.adapter import DiscordPlatform
from bot.chat.messages import ChannelRef, Post, ThreadRef
from bot.config import Settings
from bot.store import Store
from digests.delivery import DigestDelivery

CRASH_POINTS = ("before_post", "after_post")


class CrashingDiscord(DiscordPlatform):
    def __init__(self, settings: Settings, store: Store, crash: str | None) -> None:
        super().__init__(settings, store)
        self.crash = crash

    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        if self.crash == "before_post":
            os.kill(os.getpid(), signal.SIGKILL)
        ref = await super().post(channel, post, key=key)
        if self.crash == "after_post":
            os.kill(os.getpid(), signal.SIGKILL)
        return ref


async def main() -> int:
    api, token, url, now_iso, holder = sys.argv[1:6]
    crash = sys.argv[6] if len(sys.argv) > 6 else None
    if crash is not None and crash not in CRASH_POINTS:
        raise SystemExit(f"unknown crash point {crash!r}: use one of {', '.join(CRASH_POINTS)}")
    now = datetime.fromisoformat(now_iso)
    # model_validate: only these values, nothing from the environment or a .env file
    settings = Settings.model_validate({"DISCORD_TOKEN": SecretStr(token), "discord_api_url": api})
    store = Store.open(url)
    discord = CrashingDiscord(settings, store, crash)
    try:
        await discord.login()  # REST is all a digest pass needs
        delivery = DigestDelivery(
            store,
            {"discord": discord},
            clock=lambda: now,
            lease=timedelta(seconds=30),
            holder=holder,
        )
        for r in await delivery.deliver_due():
            print(f"{r.subscription_id} {r.slot_key} {r.outcome}", flush=True)
    finally:
        await discord.stop()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
