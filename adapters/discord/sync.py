"""Slash commands registered by the leader alone, once per change of the command set.

Discord allows 200 command creates a day per guild, and a bulk overwrite on every
instance start (three instances, every deploy) spends them for nothing. So the sync is
a leader duty (``bot.leader``): at the start of each leader term and every
``EVERY`` seconds it compares the hash of exactly what a sync would send
(``commands.tree_hash``) with the hash last synced for that scope
(``discord_state`` ``commands:<application>:<scope>``), and only when they differ
overwrites the commands and then records the new hash, in a transaction fenced by
the leader epoch. A leader that dies between the two leaves the old hash: the next
leader syncs the same set again (a bulk overwrite is idempotent), which is better
than recording first and losing the sync. A failed request records nothing: the
next round retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import discord
from discord import app_commands
from sqlalchemy.orm import Session

from adapters.discord import state
from adapters.discord.commands import tree_hash
from bot.errors import NewsbriefError
from bot.leader import CurrentLease, Duty
from bot.store.leases import Leases

log = logging.getLogger(__name__)

EVERY = 3600.0  # s between two checks on one leader (each new term checks at once)


def guild_ids(text: str) -> list[int]:
    try:
        return [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise NewsbriefError(
            "NEWSBRIEF_DISCORD_GUILD_IDS must be guild ids separated by commas"
        ) from None


class CommandSync:
    def __init__(
        self,
        tree: app_commands.CommandTree[discord.Client],
        leases: Leases,
        login: Callable[[], Awaitable[None]],
        guilds: str,
    ) -> None:
        self.tree = tree
        self.leases = leases
        self.login = login
        self.scopes: list[int | None] = list(guild_ids(guilds)) or [None]

    def duty(self) -> Duty:
        return Duty("discord-commands", EVERY, self.run)

    async def run(self, current: CurrentLease) -> str:
        """Sync each scope (a development guild, or global) whose command set changed."""
        await self.login()
        app = self.tree.client.application_id
        engine = self.leases.engine
        synced, failed = [], []
        for gid in self.scopes:
            guild = discord.Object(gid) if gid is not None else None
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            digest = tree_hash(self.tree, gid)
            key = f"commands:{app}:{gid if gid is not None else 'global'}"
            if await asyncio.to_thread(state.get, engine, key) == digest:
                continue
            current()  # still the leader (a monotonic check) before spending a request
            try:
                await self.tree.sync(guild=guild)
            except discord.HTTPException:
                log.exception("syncing discord commands for %s failed; the next round retries", key)
                failed.append(key)
                continue
            await asyncio.to_thread(self._record, current, key, digest)
            log.info("discord commands synced for %s", key)
            synced.append(key)
        if not synced and not failed:
            return "discord commands unchanged"
        return f"discord commands synced: {synced or 'none'}; failed: {failed or 'none'}"

    def _record(self, current: CurrentLease, key: str, digest: str) -> None:
        with Session(self.leases.engine) as s, s.begin():
            self.leases.fence(s, current())
            state.record(s, key, digest, datetime.now(UTC))
