"""Soak: 1,000 digest subscriptions in 24 time zones, a simulated week, 50 SIGKILLs.

The delivery engine runs in a real worker process against a real SQLite file
and the console platform's record. The clock is the one thing simulated: the
harness steps it from event to event — to each slot's due instant, and at
least every minute — and the worker runs one delivery pass per step. At 50
random steps the harness SIGKILLs the worker a few milliseconds into its pass
(mid-claim, mid-post, mid-completion: wherever it happens to be) and starts a
new one; the restart's wall time is added to the simulated clock as downtime.

Reported: slots due, posted once, posted twice (target 0), missed (target 0
but for slots outside the grace period by design), and the delay between a
slot's due time and its completion, p50/p99 (target p99 ≤ 5 s).

Run: python bench/digest_soak.py [--subs 1000] [--days 7] [--kills 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZONES = [
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Sao_Paulo", "Atlantic/Azores",
    "Europe/London", "Europe/Paris", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
    "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok",
    "Asia/Shanghai", "Asia/Seoul", "Australia/Adelaide", "Australia/Sydney",
    "Pacific/Auckland", "UTC",
]  # fmt: skip
START = datetime(2026, 10, 22, 0, 0, tzinfo=UTC)  # the week holds Europe's DST change


# ------------------------------------------------------------------ worker
async def worker(db: str, record: str) -> None:
    from adapters.console.adapter import ConsolePlatform
    from bot.store import Store
    from digests.delivery import DigestDelivery

    store = Store.open(db)
    simulated = {"now": START}
    console = ConsolePlatform(Path(record), stdout=open(os.devnull, "w"))  # noqa: SIM115
    delivery = DigestDelivery(store, {"console": console}, clock=lambda: simulated["now"])
    print("ready", flush=True)
    for line in sys.stdin:
        simulated["now"] = datetime.fromisoformat(line.strip())
        await delivery.deliver_due()
        print("ok", flush=True)


# ------------------------------------------------------------------ harness
def setup(db: str, subs: int, seed: int) -> None:
    from bot.news.ingest import Ingester
    from bot.store import Store
    from digests.schedule import parse_subscription

    rng = random.Random(seed)
    store = Store.open(db)
    asyncio.run(Ingester(store, None).ingest_sample())
    for i in range(subs):
        zone = ZONES[i % len(ZONES)]
        days = rng.choice(["daily", "daily", "weekdays", "mon,wed,fri"])
        times = sorted({f"{rng.randrange(24):02d}:{rng.randrange(60):02d}" for _ in range(1)})
        topics = rng.choice(["everything", "korea", "strike, port", "malaria", "tram"])
        spec = f"{topics} at {', '.join(times)} {zone} {days} always"
        store.outbox.add_subscription(
            "console", "soak", parse_subscription(spec).to_json(), now=START
        )
    store.close()


def due_instants(db: str, end: datetime) -> list[datetime]:
    from bot.store import Store
    from digests.schedule import Schedule, slots_between

    store = Store.open(db)
    out = sorted(
        {
            slot.due
            for sub in store.outbox.subscriptions()
            for slot in slots_between(Schedule.from_json(sub.schedule), START, end)
        }
    )
    store.close()
    return out


class Worker:
    def __init__(self, db: str, record: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", db, record],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def tick(self, now: datetime) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(now.isoformat() + "\n")
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != "ok":
            raise RuntimeError("worker died")

    def kill_during(self, now: datetime, after_s: float) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(now.isoformat() + "\n")
        self.proc.stdin.flush()
        time.sleep(after_s)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subs", type=int, default=1000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="nb-soak-"))
    db = f"sqlite:///{tmp / 'soak.db'}"
    record = str(tmp / "posts.jsonl")
    setup(db, args.subs, args.seed)
    end = START + timedelta(days=args.days)
    events = set(due_instants(db, end))
    minute = START
    while minute < end:  # at least a pass a minute, as the sweep would
        events.add(minute)
        minute += timedelta(minutes=1)
    steps = sorted(events)
    kill_at = set(rng.sample(range(100, len(steps)), args.kills))
    print(f"{args.subs} subscriptions, {len(steps):,} clock steps, {len(kill_at)} kills -> {tmp}")

    t0 = time.perf_counter()
    w = Worker(db, record)
    now = START  # simulated; never goes back
    downtime = timedelta()
    for i, step in enumerate(steps):
        now = max(now, step)
        if i in kill_at:
            w.kill_during(now, rng.uniform(0.0, 0.03))
            restart = time.perf_counter()
            w = Worker(db, record)
            lost = timedelta(seconds=time.perf_counter() - restart)
            downtime += lost
            now += lost  # the restart took this long: the clock moved on meanwhile
        w.tick(now)
    w.tick(now + timedelta(minutes=5))  # let recoveries finish
    offset = downtime
    w.stop()
    wall = time.perf_counter() - t0
    report(db, record, end, offset, wall)


def report(db: str, record: str, end: datetime, downtime: timedelta, wall: float) -> None:
    from bot.store import Store
    from digests.delivery import slot_key
    from digests.schedule import Schedule, slots_between

    store = Store.open(db)
    due = [
        (sub.id, slot)
        for sub in store.outbox.subscriptions()
        for slot in slots_between(Schedule.from_json(sub.schedule), START, end)
    ]
    posts = Counter(json.loads(line)["key"] for line in Path(record).read_text().splitlines())
    rows = {(r.subscription_id, r.slot_key): r for r in store.outbox.entries()}
    once = sum(posts[slot_key(s, slot)] == 1 for s, slot in due)
    twice = sum(posts[slot_key(s, slot)] >= 2 for s, slot in due)
    missed = sum(posts[slot_key(s, slot)] == 0 for s, slot in due)
    by_design = sum(
        1 for s, slot in due if rows.get((s, slot.key)) and rows[(s, slot.key)].status == "missed"
    )
    with store.engine.connect() as conn:
        done = conn.exec_driver_sql(
            "SELECT due, completed_at FROM outbox WHERE status = 'sent'"
        ).fetchall()
    delays = sorted(
        (datetime.fromisoformat(str(c)) - datetime.fromisoformat(str(d))).total_seconds()
        for d, c in done
    )
    p = statistics.quantiles(delays, n=100) if len(delays) > 1 else [0.0] * 99
    print(f"slots due            {len(due):,}")
    print(f"posted once          {once:,}")
    print(f"posted twice or more {twice}")
    print(f"missed               {missed}  (recorded as missed by design: {by_design})")
    print(f"delay after slot     p50 {p[49]:.2f} s, p99 {p[98]:.2f} s, max {delays[-1]:.2f} s")
    print(f"simulated downtime   {downtime.total_seconds():.1f} s over the restarts")
    print(f"wall time            {wall:.0f} s")
    store.close()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        asyncio.run(worker(sys.argv[2], sys.argv[3]))
    else:
        main()
