"""What people type, read one way: the CLI, the console, Slack and Discord share these checks.

A topic or a question arrives as an argument, a console line or a slash command.
Each is read here: bytes that were not UTF-8 become U+FFFD, a BOM, zero-width
spaces and control characters go (:mod:`bot.nlp.text.safe`), so a zero-width space
cannot split a topic and a BOM cannot hide a command; then one set of limits with
one set of messages. Numbers accept any script's digits (٣, ३, ３), everywhere.
"""

from __future__ import annotations

import unicodedata

from bot.errors import NewsbriefError
from bot.nlp.text.safe import ascii_digits, clean_line, clean_text, from_os

MAX_TOPIC_CHARS = 100
MAX_QUESTION_CHARS = 500  # answering time grows with the question; no real question is longer

__all__ = [
    "MAX_QUESTION_CHARS",
    "MAX_TOPIC_CHARS",
    "BadQuestionError",
    "BadTopicError",
    "number",
    "question",
    "topic",
    "typed",
]


class BadTopicError(NewsbriefError):
    pass


class BadQuestionError(NewsbriefError):
    pass


def typed(text: str) -> str:
    """A line as a person meant it: decoded, NFC, without BOM, invisible or control
    characters, trimmed. Newlines and tabs stay (a multi-line Slack message)."""
    return clean_text(unicodedata.normalize("NFC", from_os(text))).strip()


def topic(text: str) -> str:
    """A brief's or a digest's topic: one line, not empty, under MAX_TOPIC_CHARS."""
    if len(text) > 4 * MAX_TOPIC_CHARS:  # refuse a huge one before reading it
        raise BadTopicError(f"That topic is too long: keep it under {MAX_TOPIC_CHARS} characters")
    words = clean_line(typed(text))
    if not words:
        raise BadTopicError("Tell me what the brief is about, for example: /brief korea")
    if len(words) > MAX_TOPIC_CHARS:
        raise BadTopicError(f"That topic is too long: keep it under {MAX_TOPIC_CHARS} characters")
    return words


def question(text: str) -> str:
    """A follow-up question: not empty, under MAX_QUESTION_CHARS; refused in constant time
    when it is huge (a 120 KB question used to keep the answerer busy for a minute)."""
    too_long = BadQuestionError(
        f"That question is too long for me: keep it under {MAX_QUESTION_CHARS} characters, "
        "e.g. “what did the minister say about the cost?”"
    )
    if len(text) > 4 * MAX_QUESTION_CHARS:
        raise too_long
    asked = " ".join(typed(text).split())
    if not asked:
        raise BadQuestionError("Ask me a question, e.g. “what did the minister say?”")
    if len(asked) > MAX_QUESTION_CHARS:
        raise too_long
    return asked


def number(text: str) -> int | None:
    """A whole number typed in any script's digits, or None if it is not one."""
    digits = ascii_digits(typed(text))
    return int(digits) if digits.isdecimal() and digits.isascii() and len(digits) < 19 else None
