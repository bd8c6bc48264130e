"""What `newsbrief ingest` shows: a progress bar on a terminal, plain lines otherwise.

Titles and reasons come from feeds: each is cleaned again here (a second wall behind
ingest) and escaped for rich, whose markup (``[link=…]``) would otherwise turn a
headline into a hidden hyperlink.
"""

from __future__ import annotations

from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
)
from rich.table import Table

from bot.news.ingest import IngestReport, ItemResult
from bot.nlp.text.safe import clean_line

_ORDER = ("new", "updated", "duplicate", "not_modified", "no_article", "failed", "problem")


def item_line(item: ItemResult) -> str:
    """One report line: ``status: title <source> — reason``, the source shown once."""
    source = clean_line(item.source)
    title = clean_line(item.title or "")
    head = f"{title} <{source}>" if title and title != source else source
    reason = f" — {clean_line(item.reason)}" if item.reason else ""
    return f"{item.status}: {head}{reason}"


class IngestProgress:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._done = 0

    def __enter__(self) -> IngestProgress:
        if self.tty:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("ingesting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=Console(file=self.out),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=None)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress:
            self._progress.stop()

    def update(self, item: ItemResult) -> None:
        self._done += 1
        if self._progress is not None and self._task is not None:
            label = escape(clean_line(item.title or item.source)[:50])
            self._progress.update(self._task, completed=self._done, description=label)
        else:
            self.out.write(item_line(item) + "\n")
            self.out.flush()

    @staticmethod
    def summary(report: IngestReport, out: TextIO) -> None:
        counts = report.counts()
        if out.isatty():
            table = Table(title="newsbrief ingest")
            table.add_column("fetched", justify="right")
            for key in _ORDER:
                table.add_column(key.replace("_", " "), justify="right")
            table.add_row(str(report.fetched), *(str(counts.get(k, 0)) for k in _ORDER))
            console = Console(file=out)
            console.print(table)
            failed = [i for i in report.items if i.status in {"failed", "no_article", "problem"}]
            if failed:
                reasons = Table(title="not stored as articles, or stored with a problem")
                reasons.add_column("source")
                reasons.add_column("reason")
                for i in failed:
                    reasons.add_row(
                        escape(clean_line(i.source)), escape(clean_line(i.reason or ""))
                    )
                console.print(reasons)
            return
        parts = ", ".join(f"{k.replace('_', ' ')} {counts.get(k, 0)}" for k in _ORDER)
        out.write(f"fetched {report.fetched}: {parts} (feeds {report.feeds})\n")
