"""Discord shard takeover: how long a gateway shard goes unserved when its holder dies
or freezes, with several ``newsbrief run`` instances on one PostgreSQL database.

Starts the fake Discord of tests/discord on loopback and ``--instances`` real
``newsbrief run`` processes against it and one fresh schema. Each round finds the
shard's holder from its lease row (``discord-shard:0``), then either SIGKILLs it (a
replacement starts, so the group stays the same size) or SIGSTOPs it (and SIGCONTs
it once another instance is serving: it must close its old session). The takeover
time is from the signal to the next READY on the fake's gateway from a new session,
that is until the shard answers again; also the IDENTIFYs each takeover cost (one is
the floor) and, for a freeze, whether the woken holder closed its session.

    python bench/shard_takeover.py                       # 5 kills and 5 freezes, TTL 15 s
    python bench/shard_takeover.py --rounds 3 --ttl 6 --renew 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.store import Store  # noqa: E402
from tests.discord.fake import FakeDiscord  # noqa: E402
from tests.pgschema import fresh_schema  # noqa: E402


def holder_pid(engine: Engine) -> int | None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT holder FROM leases WHERE name = 'discord-shard:0' AND expires_at > now()")
        ).first()
    return None if row is None else int(str(row[0]).split(":")[1])


async def until(check: object, timeout: float) -> float:
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not within {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def run(args: argparse.Namespace) -> dict[str, list[float]]:
    fake = await FakeDiscord().start()
    fake.add_guild("Newsroom")
    events = fake.gateway.events

    def sessions() -> list[str]:
        return list(dict.fromkeys(e.session or "" for e in events.items if e.kind == "ready"))

    def identifies() -> int:
        return len([e for e in events.items if e.kind == "identify"])

    procs: dict[int, asyncio.subprocess.Process] = {}
    out: dict[str, list[float]] = {"kill": [], "freeze": [], "identifies": [], "closed": []}
    with (
        fresh_schema(args.database_url, prefix="nb_bench") as (url, engine),
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = {
            **os.environ,
            **fake.env(),
            "NEWSBRIEF_DATA_DIR": str(Path(tmp) / "data"),
            "NEWSBRIEF_DATABASE_URL": url,
            "NEWSBRIEF_HTTP_PORT": "0",
            "NEWSBRIEF_CONSOLE": "0",
            "NEWSBRIEF_LEADER_TTL": str(args.ttl),
            "NEWSBRIEF_LEADER_RENEW": str(args.renew),
        }
        env.pop("NEWSBRIEF_TEST_DATABASE_URL", None)
        Store.open(url).close()  # at head before anyone asks the lease table

        async def start() -> None:
            p = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", "--no-sample", env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            procs[p.pid] = p

        try:
            for _ in range(args.instances):
                await start()
            await until(lambda: holder_pid(engine) is not None and sessions(), 120)
            await asyncio.sleep(args.settle)  # every instance up and standing by
            for k in range(2 * args.rounds):
                mode = "kill" if k % 2 == 0 else "freeze"
                await until(lambda: holder_pid(engine) is not None, 120)
                pid = holder_pid(engine)
                assert pid is not None
                seen, before = len(sessions()), identifies()
                os.kill(pid, signal.SIGKILL if mode == "kill" else signal.SIGSTOP)
                took = await until(lambda s=seen: len(sessions()) > s, 120)  # type: ignore[misc]
                out[mode].append(took)
                out["identifies"].append(identifies() - before)
                if mode == "kill":
                    await procs.pop(pid).wait()
                    await start()
                else:
                    old = sessions()[seen - 1]
                    os.kill(pid, signal.SIGCONT)
                    closed = await until(
                        lambda o=old: any(e.kind == "closed" and e.session == o
                                          for e in events.items), 60)  # type: ignore[misc]  # fmt: skip
                    out["closed"].append(closed)
                print(f"  {mode} {k // 2 + 1}: served again after {took:.1f} s, "
                      f"{out['identifies'][-1]} IDENTIFY", flush=True)  # fmt: skip
                await asyncio.sleep(args.settle)
        finally:
            for p in procs.values():
                if p.returncode is None:
                    p.send_signal(signal.SIGCONT)
                    p.send_signal(signal.SIGTERM)
            for p in procs.values():
                await p.wait()
            await fake.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database-url", default=os.environ.get("NEWSBRIEF_TEST_DATABASE_URL"))
    p.add_argument("--instances", type=int, default=3)
    p.add_argument("--rounds", type=int, default=5, help="kills, and as many freezes")
    p.add_argument("--ttl", type=float, default=15.0)
    p.add_argument("--renew", type=float, default=5.0)
    p.add_argument("--settle", type=float, default=3.0, help="s between rounds")
    args = p.parse_args()
    if not args.database_url:
        p.error("set NEWSBRIEF_TEST_DATABASE_URL or --database-url (PostgreSQL)")
    print(f"discord shard takeover, {args.instances} instances, lease TTL {args.ttl:g} s "
          f"renewed every {args.renew:g} s:", flush=True)  # fmt: skip
    out = asyncio.run(run(args))
    for mode in ("kill", "freeze"):
        t = out[mode]
        sig = "SIGKILL" if mode == "kill" else "SIGSTOP"
        print(f"  after {sig}: p50 {statistics.median(t):.1f} s, max {max(t):.1f} s over {len(t)}")
    print(f"  IDENTIFYs per takeover: max {max(out['identifies'])}; woken holders closed their "
          f"session after SIGCONT in p50 {statistics.median(out['closed']):.1f} s, "
          f"max {max(out['closed']):.1f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
