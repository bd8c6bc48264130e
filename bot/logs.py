"""Log output: plain lines for people, or JSON lines (``NEWSBRIEF_LOG_FORMAT=json``) for
a log collector.

Secrets never reach either: ``bot.redact`` scrubs every record as it is made, before
any formatter sees it, so the JSON formatter only serialises what is already clean.
The standard library's ``logging`` is enough for both; a structured-logging library
(structlog) would add a second logging API beside the one every dependency uses.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from bot import redact

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What a LogRecord carries anyway; anything else was passed with ``extra=`` and is kept.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, exception, extras."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            doc["exception"] = redact.redact(record.exc_text)
        if record.stack_info:
            doc["stack"] = redact.redact(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                doc[key] = value if isinstance(value, int | float | bool | None) else str(value)
        return json.dumps(doc, ensure_ascii=False, default=str)


def configure(
    level: int = logging.WARNING,
    fmt: Literal["plain", "json"] = "plain",
    stream: TextIO | None = None,
) -> bool:
    """Set up the root logger, like ``logging.basicConfig``: only when nothing else did
    (a host program, pytest), so that its handlers stay as they are. True if it did."""
    root = logging.getLogger()
    if root.handlers:
        return False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    return True


def configured_format() -> Literal["plain", "json"]:
    """``NEWSBRIEF_LOG_FORMAT`` (environment or .env); plain when the settings don't load,
    so that the error saying why can still be logged."""
    try:
        from bot.config import Settings

        return Settings().log_format
    except Exception:
        return "plain"
