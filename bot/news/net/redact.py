"""URLs as they may be shown, logged or stored: never a password, never a token.

The one place for it: fetch errors, log lines (ours and httpx's), ingest reports,
stored article links and every rendered link go through :func:`redact_url`.
Userinfo is dropped; the value of every query parameter whose name looks like a
secret (token, key, api_key, sig, signature, password, auth, session, ...) becomes
``REDACTED``; the rest of the URL stays, so that a link still leads to its page.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

# A parameter is secret when one of its words (split at punctuation and camelCase)
# is here, or its name ends with one of them: "apikey", "X-Amz-Signature", "authToken".
_SECRET_WORDS = frozenset(
    "token key apikey secret sig signature password passwd pwd pass auth authorization "
    "credential credentials session sessionid sid jwt code otp hmac bearer".split()
)
_SECRET_SUFFIXES = ("token", "key", "secret", "sig", "signature", "password", "passwd", "auth")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret_param(name: str) -> bool:
    words = {w.lower() for w in _WORDS.findall(name)}
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    return bool(words & _SECRET_WORDS) or squashed.endswith(_SECRET_SUFFIXES)


def redact_url(url: object) -> str:
    """``url`` (a str or an ``httpx.URL``) without userinfo and with secret parameters blanked.

    Not a URL at all (``javascript:…``, a file name) comes back unchanged but for its
    query's secrets; a URL that cannot be parsed becomes ``<invalid URL>``.
    """
    text = str(url).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    netloc = parts.netloc
    if "@" in netloc or parts.hostname:
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = host + (f":{port}" if port is not None else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_param(k) for k, _ in pairs):
            query = urlencode(
                [(k, REDACTED if is_secret_param(k) else v) for k, v in pairs], quote_via=quote
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# Left as they are in a link's path, query and fragment: RFC 3986's unreserved and
# reserved characters and existing escapes, but not the brackets, parentheses, angle
# brackets, quotes and pipes that end a link in Markdown, Slack's <url|text> or a terminal.
_LINK_SAFE = "/?:@!$&'*+,;=-._~%#"


def web_link(url: str | None) -> str | None:
    """``url`` as a link a person may be shown or a store may keep: http(s) with a host,
    redacted, with every character that could end a link in Markdown or Slack
    percent-encoded; None for anything else (``javascript:``, ``data:``, ``file:``, a guid)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url.strip()):
        return None
    shown = redact_url(url)
    if shown == "<invalid URL>":
        return None
    parts = urlsplit(shown)
    path, query, fragment = (
        quote(p, safe=_LINK_SAFE) for p in (parts.path, parts.query, parts.fragment)
    )
    return urlunsplit((parts.scheme, parts.netloc, path, query, fragment))


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
