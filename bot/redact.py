"""No secret in any log line: every record is scrubbed as it is made.

slack-sdk logs request and response bodies at debug level (``oauth.v2.access``
answers with the new bot token; Socket Mode envelopes carry a verification
token), so redacting only our own log calls is not enough. A log-record factory
sees every record of every library before any handler does (pytest's too), and
costs nothing for records below the level in force, which are never made.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

from bot.urls import redact_url

MASK = "[redacted]"
# Token shapes: Slack bot/user/refresh tokens, app-level tokens, Socket Mode tickets.
_SHAPES = re.compile(r"\b(?:xox[a-z]|xapp|xoxe(?:\.xox[a-z])?)-[A-Za-z0-9-]{6,}")
_FIELDS = re.compile(
    r"""(?P<k>["']?(?:[a-z_]*token|client_secret|secret|ticket|password)["']?\s*[:=]\s*["']?)"""
    r"""(?P<v>(?!\[redacted\])[^"'\s,&}\]]{6,})""",
    re.I,
)

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for s in known:
        if s in text:
            text = text.replace(s, MASK)
    text = _SHAPES.sub(MASK, text)
    return _FIELDS.sub(lambda m: m.group("k") + MASK, text)


def _scrub(record: logging.LogRecord) -> None:
    message = record.getMessage()
    record.msg, record.args = redact(message), None
    if record.exc_info:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None  # the scrubbed text stands in for it
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install(secrets: Iterable[str | None]) -> None:
    """Scrub these values (and anything token-shaped) from every log record from now on."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 6)
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            _scrub(record)
        except Exception:  # a record that cannot be formatted is dropped to its template
            record.msg, record.args = redact(str(record.msg)), None
        return record

    logging.setLogRecordFactory(factory)


class RedactingFilter(logging.Filter):
    """Redacts every URL in a log record's arguments: httpx logs each request's full URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redacted_arg(v) for k, v in record.args.items()}
        if isinstance(record.msg, str) and "://" in record.msg:
            record.msg = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), record.msg)
        return True


_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")


def _redacted_arg(value: Any) -> Any:
    if type(value).__name__ == "URL" or (isinstance(value, str) and "://" in value):
        return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), str(value))
    return value


def redact_library_logs() -> None:
    """httpx and httpcore log request URLs (httpx at INFO, so ``-v`` shows them): filter
    both, and keep httpcore's connection-level DEBUG chatter out of ``-v``."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
    logging.getLogger("httpcore").setLevel(logging.WARNING)
