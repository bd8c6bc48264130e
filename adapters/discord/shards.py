"""Gateway shards held through leases: each shard on one instance at a time.

Discord sends every event of a shard to every session identified on it, so two
instances on one shard would answer everything twice. Each shard ``i`` of ``n``
(``NEWSBRIEF_DISCORD_SHARDS``: empty is one shard, ``auto`` what ``/gateway/bot``
recommends, or a number) has a lease ``discord-shard:i`` (``bot.store.leases``, kept
by a ``LeaseKeeper``, the leader's TTL and renewal). The instance holding it runs a
``discord.Client(shard_id=i, shard_count=n)`` for that shard alone; the others stand
by and post over REST only (digests need no gateway). Every instance tries for every
free shard, so one instance may hold them all; another takes a shard over within
the TTL plus a renewal (15 + 5 s by default) when its holder dies or freezes.

A frozen holder that wakes stops at once: its keeper's monotonic check says the
lease is gone before any renewal is tried, ``holds`` is then False, so an interaction
or message still in its socket is ignored, and the keeper's next round closes the
client (``on_change``).

IDENTIFY is never crash-looped (Discord allows 1,000 a day): every IDENTIFY of a
shard, whichever client makes it (discord.py after an op 9, or a new client after the
lease came back), first waits ``IdentifyBackoff``: nothing for the first, and after a
session that did not stay up a minute, 5 s doubling to 5 minutes (at most 288 a day
per shard; discord.py alone re-identifies every 5 s after an invalid session).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from functools import partial

import discord

from bot.health import Readiness
from bot.leader import LeaseKeeper
from bot.store.leases import Lease, Leases

log = logging.getLogger(__name__)

SHARD_LEASE = "discord-shard:"
BASE = 5.0  # s before the second IDENTIFY of an unstable shard, doubling
CAP = 300.0  # s at most between two IDENTIFYs of one shard: 288 a day
IDENTIFY_SPACING = 5.0  # s between two IDENTIFYs of this instance (any shard)
STABLE = 60.0  # s a session must stay up for its next IDENTIFY to wait nothing
# What discord.py raises when retrying cannot help: a refused token, intents the
# portal does not allow. They end the run with the error, as before sharding.
FATAL: tuple[type[BaseException], ...] = (discord.LoginFailure, discord.PrivilegedIntentsRequired)
FATAL_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})

Sleep = Callable[[float], Awaitable[None]]
# Makes a logged-in client for shard i of n (not connected), calling the hooks given.
ClientFactory = Callable[[int, int], Awaitable[discord.Client]]


def shard_of(guild_id: int | None, count: int) -> int:
    """The shard Discord sends a guild's events on (DMs: shard 0)."""
    return 0 if guild_id is None else (guild_id >> 22) % count


class IdentifyBackoff:
    """How long one shard's next IDENTIFY waits: see the module docstring."""

    def __init__(
        self,
        *,
        base: float = BASE,
        cap: float = CAP,
        stable: float = STABLE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base, self.cap, self.stable = base, cap, stable
        self._mono = monotonic
        self._last: float | None = None  # the previous IDENTIFY
        self._ready_at: float | None = None  # its READY, if it came
        self._streak = 0  # IDENTIFYs in a row whose session did not last
        self.identifies = 0

    def delay(self) -> float:
        now = self._mono()
        if self._last is None:
            return 0.0
        if self._ready_at is not None and now - self._ready_at >= self.stable:
            self._streak = 0
            return 0.0
        wait = min(self.base * 2.0 ** max(self._streak - 1, 0), self.cap)
        return max(0.0, self._last + wait - now)

    def identifying(self) -> None:
        now = self._mono()
        lasted = self._ready_at is not None and now - self._ready_at >= self.stable
        self._streak = 1 if lasted or self._last is None else self._streak + 1
        self._last, self._ready_at = now, None
        self.identifies += 1

    def ready(self) -> None:
        self._ready_at = self._mono()


class ShardGateways:
    """This instance's shards: a keeper per shard, a client per shard held."""

    def __init__(
        self,
        factory: ClientFactory,
        leases: Leases,
        holder: str,
        count: int,
        *,
        ttl: float,
        renew: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        backoff: Callable[[], IdentifyBackoff] | None = None,
    ) -> None:
        self.factory = factory
        self.count = count
        self.renew = renew
        self._sleep = sleep
        make = backoff or (lambda: IdentifyBackoff(monotonic=monotonic))
        self.backoffs = [make() for _ in range(count)]
        self.keepers = [
            LeaseKeeper(
                leases,
                f"{SHARD_LEASE}{i}",
                holder,
                ttl=ttl,
                renew=renew,
                on_change=partial(self._changed, i),
                monotonic=monotonic,
            )
            for i in range(count)
        ]
        self.clients: dict[int, discord.Client] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.fatal: BaseException | None = None
        self._mono = monotonic
        self._identify = asyncio.Lock()  # this instance's IDENTIFYs, one at a time
        self._identified: float | None = None

    # ------------------------------------------------------------ asking
    def holds(self, shard: int) -> bool:
        """This instance may act on ``shard``'s events now (a monotonic check, no I/O)."""
        return shard in self.clients and self.keepers[shard].held is not None

    def holds_guild(self, guild_id: int | None) -> bool:
        return self.holds(shard_of(guild_id, self.count))

    def held(self) -> list[int]:
        return [i for i in range(self.count) if self.holds(i)]

    def readiness(self) -> Readiness:
        """Ready while every shard held here is connected and answering heartbeats; an
        instance holding none stands by (it posts over REST, and may take one over)."""
        held = self.held()
        of = f"{len(held)} of {self.count} shards held here"
        if not held:
            return Readiness(True, f"standing by ({of})")
        clients = [self.clients[i] for i in held]
        if not all(c.is_ready() and not c.is_closed() for c in clients):
            return Readiness(False, f"connecting to the Discord gateway ({of})")
        latency = max(c.latency for c in clients)
        if not math.isfinite(latency):
            return Readiness(False, f"reconnecting to the Discord gateway ({of})")
        servers = sum(len(c.guilds) for c in clients)
        detail = f"gateway connected, {servers} servers, {latency * 1000:.0f} ms, {of}"
        return Readiness(True, detail)

    # ------------------------------------------------------------ running
    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: keep trying for every shard; a fatal gateway error ends it."""
        try:
            while not stop.is_set():
                await self.step()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.renew)
        finally:
            await self.close()

    async def step(self) -> None:
        """One round of every shard's keeper; a held shard whose client ended restarts."""
        for i, keeper in enumerate(self.keepers):
            task = self._tasks.get(i)
            if keeper.held is not None and (task is None or task.done()):
                # Held since the last round, but its client ended (not fatal) or never
                # logged in: a new one (its IDENTIFY waits the back-off).
                await self._drop(i)
                await self._open(i)
            await keeper.step()
        if self.fatal is not None:
            raise self.fatal

    async def close(self) -> None:
        """Every shard's client closed and its lease released (a clean stop)."""
        for i in list(self.clients):
            await self._drop(i)
        for keeper in self.keepers:
            await keeper.release()

    async def _changed(self, shard: int, lease: Lease | None) -> None:
        if lease is not None:
            await self._open(shard)
        else:
            await self._drop(shard)

    async def _open(self, shard: int) -> None:
        if shard in self.clients:
            return
        try:
            client = await self.factory(shard, self.count)
        except FATAL as exc:
            self.fatal = exc
            return
        except Exception as exc:  # Discord's REST did not answer: the next round tries again
            log.warning("discord shard %d: could not log in: %r", shard, exc)
            return
        backoff = self.backoffs[shard]

        async def before_identify(shard_id: int | None, *, initial: bool = False) -> None:
            async with self._identify:
                wait = max(backoff.delay(), self._spacing())
                if wait > 0:
                    log.info("discord shard %d: waiting %.1f s before IDENTIFY", shard, wait)
                    await self._sleep(wait)
                backoff.identifying()
                self._identified = self._mono()

        async def on_ready() -> None:
            backoff.ready()
            log.info("discord shard %d of %d: ready", shard, self.count)

        client.before_identify_hook = before_identify  # type: ignore[method-assign]
        client.on_ready = on_ready  # type: ignore[attr-defined]
        self.clients[shard] = client
        self._tasks[shard] = asyncio.create_task(self._serve(shard, client), name=f"shard-{shard}")

    def _spacing(self) -> float:
        """Discord takes one IDENTIFY per 5 s from a bot (max_concurrency 1): this
        instance's shards identify that far apart, as AutoShardedClient does."""
        if self._identified is None:
            return 0.0
        return max(0.0, self._identified + IDENTIFY_SPACING - self._mono())

    async def _serve(self, shard: int, client: discord.Client) -> None:
        try:
            await client.connect(reconnect=True)
        except FATAL as exc:
            self.fatal = exc
        except discord.ConnectionClosed as exc:
            if exc.code in FATAL_CLOSE_CODES:
                self.fatal = exc
            else:
                log.warning("discord shard %d: gateway closed (%s)", shard, exc)
        except Exception as exc:  # the next round starts a new client, after the back-off
            log.warning("discord shard %d: gateway ended: %r", shard, exc)

    async def _drop(self, shard: int) -> None:
        client = self.clients.pop(shard, None)
        task = self._tasks.pop(shard, None)
        if client is None:
            return
        log.warning("discord shard %d: gateway closed on this instance", shard)
        with contextlib.suppress(Exception):
            await client.close()
        if task is not None and not task.done():
            # A shard still launching retries after close (discord.py 2.x): end it.
            done, _ = await asyncio.wait({task}, timeout=2)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
