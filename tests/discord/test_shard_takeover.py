"""Two ``newsbrief run`` processes on one PostgreSQL database and one FakeDiscord: the
shard's holder frozen (SIGSTOP) then woken, and killed (SIGKILL). Real processes, with
a lease of 6 s renewed every 2 s (the defaults, 15 s and 5 s, only stretch the waits;
bench/shard_takeover.py measures them): the other takes the shard over within two
lease terms, the woken one drops its gateway, and a command is answered once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from tests.discord.fake import FakeDiscord
from tests.discord.test_gateway import synced
from tests.pgschema import fresh_schema, needs_pg

LEASE_TTL_S, LEASE_RENEW_S = 6.0, 2.0
TAKEOVER_S = 2 * (LEASE_TTL_S + LEASE_RENEW_S)


def holder_pid(engine: Engine) -> int | None:
    """The pid in the shard lease's holder (``host:pid:nonce``), while it is unexpired."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT holder FROM leases WHERE name = 'discord-shard:0' AND expires_at > now()")
        ).first()
    return None if row is None else int(str(row[0]).split(":")[1])


async def start(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "-v",
        "run",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@needs_pg
async def test_the_shard_moves_after_a_freeze_and_a_kill(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    _, channel = fake.add_guild("Newsroom")
    manager = fake.add_user("Mina", manager=True)
    events = fake.gateway.events

    def readies() -> list[str]:
        return [e.session or "" for e in events.items if e.kind == "ready"]

    async def ready_count(n: int, timeout: float) -> float:
        """Seconds until the n-th READY session (a new holder connected)."""
        started = time.monotonic()
        await events.wait_for(lambda _: len(set(readies())) >= n, timeout=timeout)
        return time.monotonic() - started

    procs: list[asyncio.subprocess.Process] = []
    with fresh_schema() as (url, engine):
        env = {
            **os.environ,
            **fake.env(),
            "NEWSBRIEF_DATA_DIR": str(tmp_path / "data"),
            "NEWSBRIEF_DATABASE_URL": url,
            "NEWSBRIEF_HTTP_PORT": "0",
            "NEWSBRIEF_CONSOLE": "0",
            "NEWSBRIEF_LEADER_TTL": str(LEASE_TTL_S),
            "NEWSBRIEF_LEADER_RENEW": str(LEASE_RENEW_S),
        }
        env.pop("NEWSBRIEF_TEST_DATABASE_URL", None)
        try:
            procs.append(await start(env))
            await ready_count(1, 90)
            procs.append(await start(env))
            first = holder_pid(engine)
            assert first == procs[0].pid
            logins = "/api/v10/users/@me"
            await fake.calls.wait_for(
                lambda _: len([c for c in fake.calls.items if c.path == logins]) >= 3, timeout=90
            )  # the second one is up (logged in for REST), standing by

            os.kill(first, signal.SIGSTOP)
            took = await ready_count(2, TAKEOVER_S)
            assert holder_pid(engine) == procs[1].pid
            os.kill(first, signal.SIGCONT)
            old = readies()[0]
            await events.wait_for(lambda e: e.kind == "closed" and e.session == old, timeout=30)
            identifies = [e for e in events.items if e.kind == "identify"]
            assert len(identifies) == 2, identifies  # no retry storm from the woken one

            await fake.calls.wait_for(synced, timeout=60)  # the leader registered the commands
            await fake.slash(manager, channel, "brief", topic="korea")
            await fake.visible.wait_for(lambda v: "Brief: korea" in v.text, timeout=30)
            assert len(fake.visible.matching(lambda v: "Brief: korea" in v.text)) == 1

            os.kill(procs[1].pid, signal.SIGKILL)
            await procs[1].wait()
            took_kill = await ready_count(3, TAKEOVER_S)
            assert holder_pid(engine) == first
            print(f"shard takeover: after SIGSTOP {took:.1f} s, after SIGKILL {took_kill:.1f} s")
        finally:
            for p in procs:
                if p.returncode is None:
                    p.send_signal(signal.SIGCONT)
                    p.send_signal(signal.SIGTERM)
            outs = [await asyncio.wait_for(p.communicate(), timeout=60) for p in procs]
            await fake.close()
        out, err = outs[0]
        logs = out.decode() + err.decode()
        assert procs[0].returncode == 0, logs
        assert "lease discord-shard:0: stepped down" in logs
        assert "Traceback" not in logs
