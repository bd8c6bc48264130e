"""Many questions at once, as JSON Lines: the evaluation interface (``newsbrief ask --batch``).

Each line is ``{"id", "thread", "question", "files": [paths]}``. Questions that share
a ``thread`` are asked in order in one conversation, each with the turns before it
as its history, the way follow-ups arrive in a chat thread. Each line gives
``{"id", "answer", "confident", "sources"}``; a line that cannot be answered gives
``{"id", "error"}`` and the rest go on.

Pure: reading a file is the caller's ``load`` (the CLI's, with its size limit and
decoding), so this module touches neither the disk nor the network.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bot.nlp.answers.answering import answer
from bot.nlp.answers.models import Answer, SourceArticle, Turn

log = logging.getLogger(__name__)

Record = dict[str, Any]


class BatchLineError(ValueError):
    """A line that is not a question record: its message is the error given back."""


def answer_batch(
    lines: Iterable[str],
    load: Callable[[str], str],
    *,
    check_question: Callable[[str], str] = lambda q: q,
) -> Iterator[Record]:
    """One result record for every non-blank line, in order."""
    threads: dict[str, list[Turn]] = {}
    texts: dict[str, str] = {}

    def article(path: str) -> SourceArticle:
        if path not in texts:
            texts[path] = load(path)
        # No title: a file's name is no headline (and must not steer a digest's questions).
        return SourceArticle(id=path, text=texts[path], url=None)

    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record_id: Any = lineno
        try:
            item = _parse(line)
            record_id = item.get("id", lineno)
            question, files, thread = _fields(item)
            question = check_question(question)
            history = threads.setdefault(thread, []) if thread is not None else []
            result = answer(question, [article(p) for p in files], history)
            history.append(Turn(question, result))
            yield {"id": record_id, **result_record(result)}
        except Exception as exc:  # one bad line never ends the batch, whatever broke
            log.debug("batch line %d failed", lineno, exc_info=True)
            yield {"id": record_id, "error": f"line {lineno}: {exc}"}


def result_record(result: Answer) -> Record:
    """An answer as the batch writes it: its text, whether it is sure, where it came from."""
    if result.confident:
        sources = [s.url or s.article_id for s in result.sentences]
    else:
        sources = [url or title for title, url in result.links]
    return {
        "answer": result.text,
        "confident": result.confident,
        "sources": list(dict.fromkeys(sources)),
    }


def _parse(line: str) -> dict[str, Any]:
    try:
        item = json.loads(line.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise BatchLineError(f"not JSON: {exc.msg}") from None
    if not isinstance(item, dict):
        raise BatchLineError("each line must be a JSON object")
    return item


def _fields(item: dict[str, Any]) -> tuple[str, list[str], str | None]:
    """The question, the article files and the thread of a record, checked."""
    question, files, thread = item.get("question"), item.get("files"), item.get("thread")
    if not isinstance(question, str):
        raise BatchLineError('"question" must be a string')
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise BatchLineError('"files" must be a non-empty list of file paths')
    if thread is not None and not isinstance(thread, str | int):
        raise BatchLineError('"thread" must be a string or a number')
    return question, files, None if thread is None else str(thread)
