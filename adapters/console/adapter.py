"""The console adapter: a real platform behind the same seam as Slack and Discord.

Every post gets a number; ``reply N question`` answers in that post's thread.
Posts are recorded in a JSON Lines file so that numbers, and the idempotency
keys digests use to avoid double posts, survive a restart.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shlex
import sys
from pathlib import Path
from typing import TextIO

from adapters.console.render import render
from bot.chat.messages import ChannelRef, CommandEvent, Post, ThreadRef, ThreadReplyEvent, User
from bot.chat.platform import EventHandler

CHANNEL = ChannelRef(platform="console", id="console", name="console")
USER = User(id="console", name="you", is_manager=True)  # the console user manages its channel

HELP_HINT = "Type /help for commands, or `reply N your question` to ask about post N."


def _parse(line: str) -> dict[str, str | None] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None  # a line torn by a crash mid-write; the rest stand
    return record if isinstance(record, dict) else None


class ConsolePlatform:
    name = "console"

    def __init__(
        self,
        record_path: Path,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        self._record_path = record_path
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._interactive = self._in.isatty() if interactive is None else interactive
        self._lock = asyncio.Lock()
        self._stopped = asyncio.Event()
        self._records: list[dict[str, str | None]] = self._load()

    # ------------------------------------------------------------- the record
    def _load(self) -> list[dict[str, str | None]]:
        if not self._record_path.exists():
            return []
        with self._record_path.open(encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)  # never read a line another process is writing
            lines = fh.read().splitlines()
        return [r for r in (_parse(line) for line in lines) if r is not None]

    def _append(self, channel: ChannelRef, key: str | None) -> int:
        """Number and record a post; the record is this platform's memory, written first.

        Locked, so that two newsbrief processes sharing a record never hand out one
        number twice (the multi-process digest tests rely on it).
        """
        self._record_path.parent.mkdir(parents=True, exist_ok=True)
        with self._record_path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            self._records = [
                r for r in (_parse(line) for line in fh.read().splitlines()) if r is not None
            ]
            number = len(self._records) + 1
            record: dict[str, str | None] = {"n": str(number), "channel": channel.id, "key": key}
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
            self._records.append(record)
        return number

    # ------------------------------------------------------------- Platform
    async def post(self, channel: ChannelRef, post: Post, *, key: str | None = None) -> ThreadRef:
        async with self._lock:
            number = self._append(channel, key)
            self._print(render(post, number))
            return ThreadRef(platform=self.name, channel_id=channel.id, id=str(number))

    async def reply(self, thread: ThreadRef, post: Post) -> None:
        self._print(render(post).replace("\n", "\n    ").join(("  ↪ ", "")))

    async def respond(self, event: CommandEvent, post: Post) -> None:
        self._print(render(post))

    async def find_post(self, channel: ChannelRef, key: str) -> ThreadRef | None:
        self._records = self._load()  # another process may have posted meanwhile
        for rec in self._records:
            if rec.get("key") == key and rec.get("channel") == channel.id:
                return ThreadRef(self.name, channel.id, str(rec["n"]))
        return None

    async def stop(self) -> None:
        self._stopped.set()

    def _print(self, text: str) -> None:
        self._out.write(text + "\n\n")
        self._out.flush()

    # ------------------------------------------------------------- input loop
    async def start(self, handler: EventHandler) -> None:
        if self._interactive:
            self._print("newsbrief console — " + HELP_HINT)
        loop = asyncio.get_running_loop()
        while not self._stopped.is_set():
            if self._interactive:
                self._out.write("> ")
                self._out.flush()
            line = await loop.run_in_executor(None, self._in.readline)
            if not line:  # end of input
                break
            await self.handle_line(handler, line)

    async def handle_line(self, handler: EventHandler, line: str) -> None:
        line = line.strip()
        if not line or line.startswith("#"):
            return
        if line in {"quit", "exit", "/quit", "/exit"}:
            await self.stop()
            return
        if line.startswith("/"):
            name, _, rest = line[1:].partition(" ")
            event = CommandEvent(CHANNEL, USER, name.lower(), rest.strip())
            await handler.on_command(self, event)
            return
        word, _, rest = line.partition(" ")
        if word.lower() == "reply":
            number, _, question = rest.strip().partition(" ")
            if not number.isdecimal() or not question.strip():
                self._print("To ask about a post, type: reply N your question (e.g. reply 1 why?)")
                return
            thread = ThreadRef(self.name, CHANNEL.id, number)
            known = await handler.on_thread_reply(
                self, ThreadReplyEvent(thread, USER, question.strip())
            )
            if not known:
                self._print(f"There is no post {number} with a thread to reply to. {HELP_HINT}")
            return
        self._print(f"I didn't understand {shlex.quote(line[:60])}. {HELP_HINT}")
