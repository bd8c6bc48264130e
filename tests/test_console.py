"""The console adapter and the conversation core, driven the way a person would drive them."""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from adapters.console.adapter import CHANNEL, ConsolePlatform
from bot.chat.conversation import Conversation
from bot.chat.messages import Post
from bot.news.ingest import Ingester
from bot.store import Store


def _run(data_dir: Path, script: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBRIEF_DATA_DIR": str(data_dir), "NEWSBRIEF_DATABASE_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def test_scripted_session_over_stdin(data_dir: Path) -> None:
    script = "\n".join(
        [
            "/help",
            "/newsbrief help",
            "/brief korea",
            "reply 1 what did Kim's sister say?",
            "reply 1 when was North Korea's last nuclear test?",
            "reply 9 hello?",
            "/brief",
            "/nonsense",
            "just chatting",
            "",
        ]
    )
    done = _run(data_dir, script)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert out.count("/newsbrief help      this list") == 2  # help, either way
    assert "[1] Brief: korea" in out
    assert "Trump Teases Another Sit-Down With Kim Jong-un" in out
    assert "no will to improve relations" in out
    assert "September 2017" in out
    assert "There is no post 9" in out
    assert "Tell me what the brief is about" in out
    assert "I don't know the command 'nonsense'. Type /newsbrief help for the list." in out
    assert "I didn't understand" in out
    assert "Traceback" not in out + done.stderr
    # A first run on the sample says nothing but the chat: no warning for a normal start
    # (taking the leader lease, loading the sample).
    assert "WARNING" not in done.stderr and "WARNING" not in out


def test_a_bare_question_asks_about_the_last_brief_or_digest(data_dir: Path) -> None:
    script = "\n".join(
        [
            "what did Kim's sister say?",  # no brief yet: where it would go is said
            "/brief korea",
            "what did Kim's sister say?",
            "/brief strike",
            "how many dockers stopped work?",  # the last brief's thread, not the first's
            "",
        ]
    )
    done = _run(data_dir, script)
    out = done.stdout
    assert done.returncode == 0, done.stderr
    first, rest = out.split("[1] Brief: korea", 1)
    assert "Ask after a brief or digest" in first
    assert "↪ [1] From the articles" in rest and "no will to improve relations" in rest
    assert "↪ [2] From the articles" in rest and "3,600" in rest.split("[2] Brief: strike")[1]
    assert "I didn't understand" not in out


async def test_the_first_brief_at_a_terminal_starts_the_warm_up_once(tmp_path: Path) -> None:
    brief = Post(kind="brief", title="Brief: korea", article_ids=(1,))
    for interactive, expected in ((True, 1), (False, 0)):  # a script's next line is at once
        called: list[None] = []
        console = ConsolePlatform(
            tmp_path / f"posts-{interactive}.jsonl",
            stdin=io.StringIO(),
            stdout=io.StringIO(),
            interactive=interactive,
            on_first_thread=functools.partial(called.append, None),
        )
        await console.post(CHANNEL, Post(kind="help", title="Help"))  # no thread: not yet
        assert called == []
        await console.post(CHANNEL, brief)
        await console.post(CHANNEL, brief)
        assert len(called) == expected


def test_thread_memory_survives_a_restart(data_dir: Path) -> None:
    first = _run(data_dir, "/brief strike\n")
    assert "[1] Brief: strike" in first.stdout
    second = _run(data_dir, "reply 1 how many dockworkers walked out?\n")
    assert second.returncode == 0
    assert "3,600" in second.stdout
    assert "There is no post" not in second.stdout


def test_interactive_terminal(data_dir: Path) -> None:
    env = {**os.environ, "NEWSBRIEF_DATA_DIR": str(data_dir), "NEWSBRIEF_DATABASE_URL": ""}
    child = pexpect.spawn(
        sys.executable, ["-m", "bot.cli", "run"], env=env, encoding="utf-8", timeout=60
    )
    try:
        child.expect("newsbrief console")
        child.expect("> ")
        child.sendline("/brief korea")
        child.expect(r"\[1\] Brief: korea")
        child.expect("> ")
        child.sendline("reply 1 why did the Hanoi summit end?")
        child.expect("sanctions relief")
        child.expect("> ")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


async def test_adapter_in_process_records_posts_for_find_post(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        await Ingester(store, None).ingest_sample()
        out = io.StringIO()
        console = ConsolePlatform(tmp_path / "posts.jsonl", stdin=io.StringIO(), stdout=out)
        conversation = Conversation(store)
        await console.handle_line(conversation, "/brief malaria")
        assert "[1] Brief: malaria" in out.getvalue()
        ref = await console.post(CHANNEL, Post(kind="info", title="hello"), key="slot-1")
        assert ref.id == "2"
        # A new adapter on the same record finds the keyed post (digest crash recovery).
        again = ConsolePlatform(tmp_path / "posts.jsonl", stdin=io.StringIO(), stdout=out)
        assert await again.find_post(CHANNEL, "slot-1") == ref
        assert await again.find_post(CHANNEL, "slot-2") is None
        # Garbage never raises out of the adapter.
        for line in ["/", "reply", "reply x y", "reply 1", "/brief " + "x" * 500, "\x00\x01"]:
            await console.handle_line(conversation, line)
        assert "too long" in out.getvalue()
        # A follow-up far longer than any real question is refused, not chewed on.
        await console.handle_line(conversation, "reply 1 " + "why " * 400)
        assert "under 500 characters" in out.getvalue()
    finally:
        store.close()
