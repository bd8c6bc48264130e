"""Suggestions for ``/brief topic:`` autocomplete: what recent stories are about.

Discord asks on every keystroke and wants an answer within 3 s, so the topics
are computed from the store at most every few minutes, in a thread, and each
keystroke only filters the cached list.

Topics are the names in recent stories' summaries (runs of capitalised words
that do not start a sentence: "Kim Jong-un", "South Korea") and the content
words of their headlines ("tram", "strike"), ranked by how many stories use them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from bot.nlp.lexicon import words
from bot.store import Store

_RUN = re.compile(r"\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
_WORD = re.compile(r"[A-Za-z][\w-]{3,}")
_OPENERS = (".", "!", "?", ":", "“", '"', "\n")
MAX_TOPICS = 200


def _stop() -> frozenset[str]:
    return words("story_stop_words") | words("search_stop_words")


def names_in(text: str) -> set[str]:
    """Runs of capitalised words, split at titles ("President"); a lone capitalised
    word that starts a sentence is just the sentence's first word."""
    titles = words("titles")
    found: set[str] = set()
    for m in _RUN.finditer(text):
        at_start = not text[: m.start()].strip() or text[: m.start()].rstrip().endswith(_OPENERS)
        part: list[str] = []
        for word in [*m.group(0).split(), ""]:
            if word and word.lower() not in titles:
                part.append(word)
                continue
            if part and not (at_start and len(part) == 1):
                found.add(" ".join(part[:4]))
            part, at_start = [], False  # only a run's first part can open a sentence
    return found


def topics_of(headlines: Iterable[str], summaries: Iterable[str]) -> list[str]:
    """Candidate topics, most used first (each story counts once per topic).

    A headline word that is also (part of) a name counts for the name's spelling.
    """
    stop = _stop()
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for text in summaries:
        names = {n for n in names_in(text) if n.lower() not in stop}
        for n in names:
            spelling.setdefault(n.lower(), n)
        counts.update(spelling[n.lower()] for n in names)
    for title in headlines:
        found = {w.lower() for w in _WORD.findall(title)}
        counts.update(spelling.get(w, w) for w in found if w not in stop)
    return [t for t, _ in counts.most_common(MAX_TOPICS)]


def recent_topics(
    store: Store, workspace: str, *, now: datetime | None = None, stories: int = 60
) -> list[str]:
    """From the stories ``workspace`` may read: a guild never sees another's feeds' topics."""
    now = now or datetime.now(UTC)
    hits = store.recent(now - timedelta(hours=48), limit=stories, now=now, workspace=workspace)
    return topics_of((h.headline for h in hits), (s for h in hits for s in h.summary))


def matching(topics: list[str], current: str, limit: int = 25) -> list[str]:
    """Topics with a word starting with ``current``, then those containing it."""
    typed = " ".join(current.lower().split())
    if not typed:
        return topics[:limit]
    starts = [t for t in topics if any(w.startswith(typed) for w in t.lower().split())]
    starts += [t for t in topics if t.lower().startswith(typed) and t not in starts]
    inside = [t for t in topics if typed in t.lower() and t not in starts]
    return (starts + inside)[:limit]


class TopicCache:
    """Each workspace's topic list, refreshed in the background when older than ``ttl`` s."""

    def __init__(
        self,
        store: Store,
        *,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        self._topics: dict[str, tuple[float, list[str]]] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    async def suggest(self, workspace: str, current: str) -> list[str]:
        known = self._topics.get(workspace)
        if known is None:
            await self._refresh(workspace)  # the first keystroke waits once; later ones never
        elif self.clock() - known[0] > self.ttl and workspace not in self._refreshing:
            self._refreshing[workspace] = asyncio.create_task(self._refresh(workspace))
        return matching(self._topics.get(workspace, (0.0, []))[1], current)

    async def _refresh(self, workspace: str) -> None:
        try:
            topics = await asyncio.to_thread(recent_topics, self.store, workspace)
            self._topics[workspace] = (self.clock(), topics)
        finally:
            self._refreshing.pop(workspace, None)
