"""What an ingest says happened: one row per item, and where the time went.

One bad source never stops a batch: every item ends as a row of the report (new,
updated, duplicate, no_article, not_modified or failed with a reason), and a feed
that parsed with problems (broken XML, repeated ids) gets a "problem" row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.store import UpsertStatus

ItemStatus = Literal[UpsertStatus, "no_article", "not_modified", "failed", "problem"]
# "problem": a feed that parsed, but not cleanly (its items have rows of their own).

# The stages an article goes through, as IngestReport.seconds counts them.
Stage = Literal["fetch", "extract", "analyse", "store"]


@dataclass(slots=True)
class ItemResult:
    source: str
    status: ItemStatus
    title: str | None = None
    reason: str | None = None
    article_id: int | None = None


@dataclass(slots=True)
class IngestReport:
    items: list[ItemResult] = field(default_factory=list)
    feeds: int = 0
    # Seconds spent per stage, summed over the articles (stages overlap: fetches run
    # at once, extraction and analysis in several processes, writes in batches whose
    # time is shared out among their articles). For benches and the logs.
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> Counter[str]:
        return Counter(i.status for i in self.items)

    @property
    def fetched(self) -> int:
        return sum(1 for i in self.items if i.status not in {"failed", "not_modified", "problem"})

    def spent(self, stage: Stage, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


ProgressFn = Callable[[ItemResult], None]


def without_source(reason: str | None, source: str) -> str | None:
    """A reason that does not repeat the source its report line already shows."""
    if reason and source and reason.startswith(source):
        return reason[len(source) :].lstrip(" :") or reason
    return reason
