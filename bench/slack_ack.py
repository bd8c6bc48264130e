"""Slack ack latency under load: 200 concurrent slash commands with 100k stored articles.

Fills a SQLite store with synthetic articles dated over the last 30 days (bench/
brief_latency.py's generator, so /brief does real full-text work), starts the fake
Slack of tests/slack on loopback and a real ``newsbrief run`` process against it,
then sends ``--commands`` signed ``/brief TOPIC`` requests at once to newsbrief's
``/slack/events``, each from its own channel (the per-channel send queue is not
what is measured). Reports:

- ack latency (request sent → HTTP 200) p50 and p99; target p99 ≤ 100 ms
  (Slack gives up at 3 s);
- command → brief posted (``chat.postMessage`` received by the fake) p95;
- the same ack p99 over Socket Mode (envelope sent → its ack received), a second
  ``newsbrief run`` with SLACK_APP_TOKEN on the same store.

    python bench/slack_ack.py                    # 100k articles, 200 commands
    python bench/slack_ack.py --articles 10000 --commands 50
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import brief_latency  # noqa: E402

from bot.store import Store  # noqa: E402
from tests.slack.fake_slack import Ack, Call, FakeSlack  # noqa: E402
from tests.slack.rig import SIGNING_SECRET, TEAM, command_fields, signed_headers  # noqa: E402

TARGET_ACK_P99_MS = 100.0
TOPICS = [t for ts in brief_latency.TOPICS.values() for t in ts]


def percentile(values: list[float], p: float) -> float:
    return brief_latency.percentile(values, p)


def fill(db: Path, n: int) -> float:
    brief_latency.NOW = datetime.now(UTC)  # dated up to now, so briefs find stories
    store = Store.open(f"sqlite:///{db}")
    try:
        return brief_latency.fill(store, n)
    finally:
        store.close()


def _env(fake: FakeSlack, data: Path, port: int, socket_mode: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSBRIEF_", "SLACK_"))}
    env |= {
        "NEWSBRIEF_DATA_DIR": str(data),
        "NEWSBRIEF_DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "NEWSBRIEF_SLACK_API_URL": fake.api_url,
        "NEWSBRIEF_HTTP_PORT": str(port),
        "NEWSBRIEF_SECRET_KEY": Fernet.generate_key().decode(),
        "SLACK_BOT_TOKEN": fake.workspaces[TEAM].bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PYTHONPATH": str(ROOT),
    }
    if socket_mode:
        env["SLACK_APP_TOKEN"] = fake.app_token
    return env


async def _newsbrief(env: dict[str, str]) -> asyncio.subprocess.Process:
    log = open(Path(env["NEWSBRIEF_DATA_DIR"]) / "newsbrief.log", "ab")  # noqa: SIM115
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--no-sample",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,  # read afterwards if it failed; a pipe nobody reads would block it
        env=env,
        cwd=str(ROOT),
    )


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=120)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _started(data: Path, ready: Coroutine[Any, Any, object]) -> None:
    """Wait for newsbrief to be up; if it never is, show why (its log)."""
    try:
        await ready
    except AssertionError:
        log = (data / "newsbrief.log").read_text(errors="replace")
        print("newsbrief did not start; its log ends:\n" + log[-3000:], file=sys.stderr)
        raise


def _channels(fake: FakeSlack, n: int, prefix: str) -> list[str]:
    channels = [f"C{prefix}{i:05d}" for i in range(n)]
    for c in channels:
        fake.add_channel(c, TEAM)
    return channels


async def _posted(fake: FakeSlack, channels: list[str], sent_at: dict[str, float]) -> list[float]:
    """Command → first chat.postMessage in its channel, once every channel has one.

    The waits count instead of searching: the fake answers in this process, and a
    predicate that scans every call on every call would delay what it measures."""
    wanted = set(channels)
    seen: set[str] = set()

    def all_posted(call: Call) -> bool:
        if call.method == "chat.postMessage" and call.params.get("channel") in wanted:
            seen.add(str(call.params["channel"]))
        return len(seen) == len(wanted)

    await fake.calls.wait_for(all_posted, timeout=600)
    first: dict[str, float] = {}
    for call in fake.calls_to("chat.postMessage"):
        first.setdefault(str(call.params.get("channel")), call.at)
    return [(first[c] - sent_at[c]) * 1000 for c in channels]


async def http_round(
    fake: FakeSlack, data: Path, n: int, port: int
) -> tuple[list[float], list[float]]:
    proc = await _newsbrief(_env(fake, data, port, socket_mode=False))
    try:
        await _started(data, fake.calls.wait_for(lambda c: c.method == "auth.test", timeout=300))
        channels = _channels(fake, n, "H")
        bodies = []
        for i, channel in enumerate(channels):
            fields = command_fields(
                fake, "/brief", TOPICS[i % len(TOPICS)], user="U0BENCH", team=TEAM, channel=channel
            )
            bodies.append((channel, urlencode(fields)))
        url = f"http://127.0.0.1:{port}/slack/events"
        sent_at: dict[str, float] = {}
        acks: list[float] = []
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def one(channel: str, body: str) -> None:
                headers = {"Content-Type": "application/x-www-form-urlencoded"}
                headers |= signed_headers(body)
                t0 = time.monotonic()
                sent_at[channel] = t0
                async with http.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                acks.append((time.monotonic() - t0) * 1000)

            await asyncio.gather(*(one(c, b) for c, b in bodies))
        posted = await _posted(fake, channels, sent_at)
        return acks, posted
    finally:
        await _stop(proc)


async def socket_round(fake: FakeSlack, data: Path, n: int, port: int) -> list[float]:
    hellos = len(fake.hellos.items)
    proc = await _newsbrief(_env(fake, data, port, socket_mode=True))
    try:
        await _started(
            data, fake.hellos.wait_for(lambda _: len(fake.hellos.items) > hellos, timeout=300)
        )
        channels = _channels(fake, n, "S")
        payloads = [
            command_fields(
                fake, "/brief", TOPICS[i % len(TOPICS)], user="U0BENCH", team=TEAM, channel=c
            )
            for i, c in enumerate(channels)
        ]
        sent: dict[str, float] = {}

        async def push(payload: dict[str, str]) -> None:
            t0 = time.monotonic()
            envelope = await fake.push("slash_commands", payload)
            sent[envelope] = t0

        await asyncio.gather(*(push(p) for p in payloads))
        acked: set[str] = set()

        def all_acked(ack: Ack) -> bool:
            if ack.envelope_id in sent:
                acked.add(ack.envelope_id)
            return len(acked) == len(sent)

        await fake.acks.wait_for(all_acked, timeout=300)
        at = {a.envelope_id: a.at for a in fake.acks.items}
        acks = [(at[e] - t0) * 1000 for e, t0 in sent.items()]
        await _posted(fake, channels, {c: 0.0 for c in channels})  # let it finish its work
        return acks
    finally:
        await _stop(proc)


async def run(articles: int, commands: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        took = fill(data / "bench.db", articles)
        print(f"store: {articles:,} articles in SQLite (filled in {took:.1f} s)", flush=True)
        fake = FakeSlack()
        fake.add_workspace(TEAM, "Bench")
        fake.add_user("U0BENCH", TEAM, "bench")
        await fake.start()
        try:
            port = free_port()
            acks, posted = await http_round(fake, data, commands, port)
            sock = await socket_round(fake, data, commands, port)
        finally:
            await fake.close()
    p99 = percentile(acks, 99)
    print(
        f"HTTP   {commands} concurrent /brief: ack p50 {statistics.median(acks):6.1f} ms  "
        f"p99 {p99:6.1f} ms  max {max(acks):6.1f} ms  "
        f"[{'ok' if p99 <= TARGET_ACK_P99_MS else f'OVER {TARGET_ACK_P99_MS:.0f} ms'}]"
    )
    print(
        f"HTTP   command → brief posted: p50 {statistics.median(posted) / 1000:5.2f} s  "
        f"p95 {percentile(posted, 95) / 1000:5.2f} s  max {max(posted) / 1000:5.2f} s"
    )
    sp99 = percentile(sock, 99)
    print(
        f"Socket {commands} concurrent /brief: ack p50 {statistics.median(sock):6.1f} ms  "
        f"p99 {sp99:6.1f} ms  max {max(sock):6.1f} ms  "
        f"[{'ok' if sp99 <= TARGET_ACK_P99_MS else f'OVER {TARGET_ACK_P99_MS:.0f} ms'}]"
    )
    return 0 if p99 <= TARGET_ACK_P99_MS and sp99 <= TARGET_ACK_P99_MS else 1


def free_port() -> int:
    """A free loopback port (bound, read, released: newsbrief binds it next)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--commands", type=int, default=200)
    args = ap.parse_args(argv)
    return asyncio.run(run(args.articles, args.commands))


if __name__ == "__main__":
    raise SystemExit(main())
