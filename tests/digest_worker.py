"""A real newsbrief digest process for the crash tests: one delivery pass, then exit.

Run as ``python tests/digest_worker.py DB_URL RECORD_PATH NOW_ISO [HOLDER]``. The
clock is fixed at NOW (the one thing mocked); crashes come from the injected
fault ``NEWSBRIEF_TEST_FAULT``, which makes this process SIGKILL itself.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.console.adapter import ConsolePlatform
from bot.store import Store
from digests.delivery import DigestDelivery


async def main() -> int:
    url, record, now_iso = sys.argv[1:4]
    holder = sys.argv[4] if len(sys.argv) > 4 else None
    now = datetime.fromisoformat(now_iso)
    store = Store.open(url)
    try:
        console = ConsolePlatform(Path(record), stdout=open("/dev/null", "w"))  # noqa: SIM115
        delivery = DigestDelivery(
            store,
            {"console": console},
            clock=lambda: now,
            lease=timedelta(seconds=30),
            holder=holder,
        )
        results = await delivery.deliver_due()
        for r in results:
            print(f"{r.subscription_id} {r.slot_key} {r.outcome}", flush=True)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
