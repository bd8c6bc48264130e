"""The console adapter: a real platform behind the same seam as Slack and Discord.

Every post gets a number; ``reply N question`` answers in that post's thread, and a
bare question in the thread of the last brief or digest posted here.
Posts are recorded in a JSON Lines file so that numbers, and the idempotency
keys digests use to avoid double posts, survive a restart.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url

from adapters.console.events import CHANNEL, HELP_HINT, PLATFORM, USER, Hint, Quit, parse_line
from adapters.console.render import render
from bot.chat.messages import ChannelRef, CommandEvent, MentionEvent, Post, ThreadRef, User
from bot.chat.platform import EventHandler

__all__ = ["CHANNEL", "HELP_HINT", "USER", "ConsolePlatform", "record_path"]


def record_path(data_dir: Path, database_url: str) -> Path:
    """Where the console's post record lives: with the database it numbers posts for.

    The store remembers console threads by their post numbers, so the record belongs to
    one database: beside a SQLite file (``newsbrief.db.console-posts.jsonl``), else in the
    data directory under a digest of the database URL (its password left out). The old
    shared ``console-posts.jsonl`` is left alone: which database it served is not known.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(str(url.database))
        return db.with_name(db.name + ".console-posts.jsonl")
    shown = url.render_as_string(hide_password=True)
    digest = hashlib.sha256(shown.encode()).hexdigest()[:12]
    return data_dir / f"console-posts-{digest}.jsonl"


def _parse(line: str) -> dict[str, str | None] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None  # a line torn by a crash mid-write; the rest stand
    return record if isinstance(record, dict) else None


class ConsolePlatform:
    name = PLATFORM

    def __init__(
        self,
        record_path: Path,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        user: User = USER,
        on_first_thread: Callable[[], object] | None = None,
    ) -> None:
        """``on_first_thread``: called once, after the first brief or digest is shown at a
        terminal (the composition root starts the answerer's warm-up there: a question
        may follow, once it is read; a script's next line comes at once)."""
        self._record_path = record_path
        self._user = user  # who types here; the console's own user manages the channel
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._interactive = self._in.isatty() if interactive is None else interactive
        self._lock = asyncio.Lock()
        self._stopped = asyncio.Event()
        self._records: list[dict[str, str | None]] = self._load()
        self._last_thread: str | None = None  # the last brief or digest posted in this run
        self.on_first_thread = on_first_thread

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
            first = post.article_ids and self._last_thread is None
            if post.article_ids:  # a brief or digest: its thread takes questions
                self._last_thread = str(number)
            self._print(render(post, number))
            if first and self._interactive and self.on_first_thread is not None:
                self.on_first_thread()
            return ThreadRef(platform=self.name, channel_id=channel.id, id=str(number))

    async def reply(self, thread: ThreadRef, post: Post) -> None:
        # The thread's number, so that interleaved threads stay apart on one screen.
        self._print(render(post).replace("\n", "\n    ").join((f"  ↪ [{thread.id}] ", "")))

    async def respond(self, event: CommandEvent | MentionEvent, post: Post) -> None:
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
        """Read lines until end of input or ``stop`` (which need not wait for a line)."""
        if self._interactive:
            self._print("newsbrief console — " + HELP_HINT)
        loop = asyncio.get_running_loop()
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            while not self._stopped.is_set():
                if self._interactive:
                    self._out.write("> ")
                    self._out.flush()
                read = loop.run_in_executor(None, self._in.readline)
                await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED)
                if not read.done():
                    break  # stopped while waiting: the reader thread ends with the input
                line = read.result()
                if not line:  # end of input
                    break
                await self.handle_line(handler, line)
        finally:
            stopped.cancel()

    async def handle_line(self, handler: EventHandler, line: str) -> None:
        event = parse_line(line, self._user, self._last_thread)
        if event is None:
            return
        if isinstance(event, Quit):
            await self.stop()
        elif isinstance(event, Hint):
            self._print(event.text)
        elif isinstance(event, CommandEvent):
            await handler.on_command(self, event)
        elif isinstance(event, MentionEvent):
            await handler.on_mention(self, event)
        elif not await handler.on_thread_reply(self, event):
            self._print(
                f"There is no post {event.thread.id} with a thread to reply to. {HELP_HINT}"
            )
