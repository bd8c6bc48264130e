"""The Discord adapter's harness for ``tests/platform_contract.py``, through the FakeDiscord.

What a person types in the contract ("/digest subscribe korea at 07:30 Asia/Seoul")
becomes the slash command Discord would deliver: the command, its subcommand and
typed options (topics, at, zone…), sent as INTERACTION_CREATE on the gateway.
What the bot says comes back as ``Seen``: channel messages anchor the thread
whose id is their own id, messages in a thread are replies there, and the
ephemeral answers of an interaction are seen only by whoever ran it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from adapters.discord.adapter import DiscordPlatform
from bot.chat.messages import ChannelRef, ThreadRef, User
from bot.chat.platform import EventHandler
from bot.store import Store
from tests.discord.fake import FakeUser, Visible
from tests.discord.rig import DiscordRig
from tests.fakes.recording import Recorder, Seen

_TIME = re.compile(r"^\d{1,2}:\d{2},?$")
_DAYS = {"daily", "weekdays", "weekends", "mon-fri"}


def slash_options(text: str) -> tuple[str, str | None, dict[str, Any]]:
    """ "/digest subscribe korea at 07:30 Asia/Seoul" → ("digest", "subscribe", {options})."""
    name, _, rest = text.lstrip("/").partition(" ")
    rest = rest.strip()
    if name == "help":
        return "newsbrief", "help", {}
    if name == "brief":
        return "brief", None, {"topic": rest}
    if name == "ask":
        return "ask", None, {"question": rest}
    verb, _, rest = rest.partition(" ")
    rest = rest.strip()
    if name == "feeds":
        key = "url" if verb == "add" else "id"
        return "feeds", verb, ({key: rest} if rest else {})
    if verb == "subscribe":
        return "digest", verb, _subscribe(rest)
    return name, verb or "list", ({"id": rest} if rest else {})


def _subscribe(rest: str) -> dict[str, Any]:
    topics, _, when = rest.partition(" at ")
    words = when.split()
    times: list[str] = []
    options: dict[str, Any] = {"topics": topics.strip()}
    i = 0
    while i < len(words):
        w = words[i]
        if _TIME.match(w):
            times.append(w.rstrip(","))
        elif w == "max" and i + 1 < len(words):
            options["max"] = int(words[i + 1])
            i += 1
        elif w == "always":
            options["always"] = True
        elif w.lower() in _DAYS:
            options["days"] = w.lower()
        else:
            options["zone"] = w
        i += 1
    options["at"] = ", ".join(times)
    return options


class DiscordHarness:
    name = "discord"
    replies_are_addressed = False
    mention_answers_are_private = False

    def __init__(self, rig: DiscordRig) -> None:
        self.rig = rig
        fake = rig.fake
        self.channel = ChannelRef(self.name, str(rig.channel.id), rig.channel.name)
        self.manager = User(str(rig.manager.id), rig.manager.username, is_manager=True)
        self.guest = User(str(rig.guest.id), rig.guest.username, is_manager=False)
        self._people = {self.manager.id: rig.manager, self.guest.id: rig.guest}
        self.seen: Recorder[Seen] = Recorder()
        fake.listeners.append(self._saw)

    @classmethod
    @asynccontextmanager
    async def open(cls, handler: EventHandler, store: Store) -> AsyncIterator[DiscordHarness]:
        async with DiscordRig.open(store, handler) as rig:
            yield cls(rig)

    def _saw(self, v: Visible) -> None:
        if not self.rig.by_bot(v):
            return
        if v.where == "channel":
            ref = ThreadRef(self.name, str(v.channel_id), str(v.message["id"]))
            self.seen.add(Seen("channel", v.text, thread=ref))
        elif v.where == "thread":
            ref = ThreadRef(self.name, str(v.parent_id), str(v.channel_id))
            self.seen.add(Seen("thread", v.text, thread=ref))
        else:
            self.seen.add(Seen("user", v.text, user_id=str(v.user_id)))

    @property
    def platform(self) -> DiscordPlatform:
        return self.rig.bot

    @property
    def running(self) -> asyncio.Task[None]:
        assert self.rig.task is not None
        return self.rig.task

    def _person(self, user: User) -> FakeUser:
        return self._people[user.id]

    async def command(self, user: User, text: str) -> None:
        name, sub, options = slash_options(text)
        await self.rig.fake.slash(self._person(user), self.rig.channel, name, sub, **options)

    async def reply(self, user: User, thread: ThreadRef, text: str) -> None:
        channel = self.rig.fake.world.channels[int(thread.id)]
        await self.rig.fake.say(self._person(user), channel, text)

    async def mention(self, user: User, text: str) -> None:
        await self.rig.fake.say(self._person(user), self.rig.channel, text, mention_bot=True)

    async def foreign_thread(self) -> ThreadRef:
        thread = await self.rig.fake.user_thread(self.rig.guest, self.rig.channel, "lunch")
        return ThreadRef(self.name, str(self.rig.channel.id), str(thread.id))

    async def restart(self) -> None:
        await self.rig.restart()
