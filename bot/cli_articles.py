"""The commands that read one article: ``summarize`` (and ``--batch``), ``extract``, ``ask``.

Split from ``bot.cli`` (which builds the parser and dispatches here). What they
print is safe: text goes out through the renderers, which clean it
(:mod:`bot.nlp.text.safe`), URLs are shown redacted, JSON goes out through
``bot.chat.render.json_line``. Input text is analysed as given, so that offsets
in the JSON point into the caller's own text.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.chat import inputs
from bot.errors import BadInputError, NewsbriefError
from bot.nlp.text.safe import clean_line, clean_text
from bot.urls import is_http_url, redact_url

if TYPE_CHECKING:  # the settings and the packages each command uses load when it runs
    from bot.config import Settings


def get_settings() -> Settings:
    from bot.config import get_settings as load

    return load()


__all__ = [
    "MAX_INPUT_BYTES",
    "cmd_ask",
    "cmd_extract",
    "cmd_summarize",
    "read_source",
    "write_json",
]

log = logging.getLogger("newsbrief")

MAX_INPUT_BYTES = 8_000_000
MAX_ARTICLE_ID = 2**31 - 1  # article ids are 32-bit on PostgreSQL


def read_source(source: str) -> str:
    """A file's or stdin's text, exactly as given (the offsets of an analysis point into
    it): what is printed from it is cleaned by the renderers instead."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        path = Path(source)
        if path.is_dir():
            raise BadInputError(f"{source} is a directory: give a text file, a URL, or - for stdin")
        if not path.is_file():
            raise BadInputError(f"no such file: {source}")
        with path.open("rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise BadInputError(f"the input is larger than {MAX_INPUT_BYTES:,} bytes")
    from bot.news.decode import decode_body  # charset_normalizer: only for files

    return decode_body(data)


def read_article(source: str) -> tuple[str, str | None]:
    """A file's or stdin's article text and title: a saved web page is read as ``extract``
    reads it (its markup is no article text); anything else as it is (``read_source``)."""
    text = read_source(source)
    from bot.news.feeds.rss import looks_like_html

    if not looks_like_html(text[:4096].encode("utf-8", "replace")):  # its head is enough
        return text, None
    from bot.news.extract import extract_article

    page = extract_article(text, None)
    if not page.ok:
        raise BadInputError(f"{_shown(source)} is a web page with no article: {page.reason}")
    return page.text, page.title


def _shown(source: str) -> str:
    """A command-line source as it may be printed: a URL without userinfo or tokens."""
    return redact_url(source) if is_http_url(source) else clean_line(source)


async def _fetch_page(settings: Settings, url: str) -> tuple[str, str]:
    """A page's text and its final URL, redacted (extraction never needs the password)."""
    from bot.news.net import Fetcher

    fetcher = Fetcher(settings)
    try:
        result = await fetcher.fetch(url)
        return result.text, redact_url(result.final_url)
    finally:
        await fetcher.aclose()


def write_json(out: TextIO, value: Any) -> None:
    from bot.chat.render import json_line

    out.write(json_line(value) + "\n")


# ---------------------------------------------------------------- summarize
def _analysis_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "sentences": args.sentences,
        "quotes": args.quotes,
        "algorithm": args.algorithm,
        "language": args.language,
    }


def cmd_summarize(args: argparse.Namespace, out: TextIO) -> int:
    from bot.chat.render import analysis_markdown, analysis_text
    from bot.nlp.analyze import analyze

    if args.batch:
        return _summarize_batch(args, out)
    title = None
    if is_http_url(args.source):
        import asyncio

        from bot.news.extract import extract_article

        html, final = asyncio.run(_fetch_page(get_settings(), args.source))
        page = extract_article(html, final)
        if not page.ok:
            raise BadInputError(f"{_shown(args.source)} holds no article: {page.reason}")
        text, title = page.text, page.title
    else:
        text, title = read_article(args.source)
    result = analyze(text, title=title, **_analysis_options(args))
    if args.format == "json":
        write_json(out, result.to_json())
    elif args.format == "markdown":
        out.write(analysis_markdown(result) + "\n")
    else:
        out.write(analysis_text(result) + "\n")
    return 0


def _batch_lines(source: str) -> TextIO:
    """JSON Lines as text: a BOM at the start is skipped, bytes that are not UTF-8 replaced."""
    if source == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="replace")
    if Path(source).is_dir():
        raise BadInputError(f"{source} is a directory: give a JSON Lines file, or - for stdin")
    if not Path(source).is_file():
        raise BadInputError(f"no such file: {source}")
    return Path(source).open(encoding="utf-8-sig", errors="replace")


def _batch_record(line: str, lineno: int, args: argparse.Namespace) -> dict[str, Any]:
    """One line's result, or its ``{"id", "error"}``, whatever went wrong."""
    from bot.nlp.analyze import analyze

    record_id: Any = lineno
    try:
        item = json.loads(line.lstrip("\ufeff"))
        if isinstance(item, dict):
            record_id = item.get("id", lineno)  # its own id, also on its error
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise BadInputError('each line must be a JSON object with a "text" string')
        title = item.get("title") if isinstance(item.get("title"), str) else None
        result = analyze(item["text"], title=title, **_analysis_options(args))
        return {"id": record_id, **result.to_json()}
    except json.JSONDecodeError as exc:
        return {"id": lineno, "error": f"line {lineno} is not JSON: {exc.msg}"}
    except NewsbriefError as exc:
        return {"id": record_id, "error": str(exc)}
    except Exception as exc:  # one bad line never ends the batch, whatever broke
        log.debug("batch line %d failed", lineno, exc_info=True)
        return {"id": record_id, "error": f"could not summarize line {lineno}: {exc}"}


def _summarize_batch(args: argparse.Namespace, out: TextIO) -> int:
    """JSON Lines in, JSON Lines out; a bad line gets an error record and the rest go on."""
    failed = 0
    with _batch_lines(args.source) as source:
        for lineno, line in enumerate(source, 1):
            if not line.strip():
                continue
            record = _batch_record(line, lineno, args)
            failed += "error" in record
            write_json(out, record)
            out.flush()
    return 1 if failed else 0


# ---------------------------------------------------------------- extract
def _extract_one(source: str, settings: Settings) -> dict[str, Any]:
    import asyncio

    from bot.news.extract import extract_article

    record: dict[str, Any] = {"source": _shown(source)}
    try:
        if is_http_url(source):
            html, base = asyncio.run(_fetch_page(settings, source))
        else:
            html, base = read_source(source), None
        page = extract_article(html, base)
    except NewsbriefError as exc:
        return record | {"status": "failed", "reason": str(exc)}
    record |= {
        "status": page.status,
        "title": page.title,
        "text": page.text,
        "author": page.author,
        "published": page.published.isoformat() if page.published else None,
        "site": page.site,
    }
    if page.reason:
        record["reason"] = page.reason
    return record


def cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    settings = get_settings()
    failed = 0
    for source in args.sources:
        record = _extract_one(source, settings)
        failed += record["status"] == "failed"
        if args.format == "json":
            write_json(out, record)
            continue
        out.write(f"== {record['source']} [{record['status']}]\n")
        if record.get("reason"):
            out.write(f"   reason: {clean_line(record['reason'])}\n")
        for key in ("title", "author", "published", "site"):
            if record.get(key):
                out.write(f"   {key}: {clean_line(record[key])}\n")
        if record.get("text"):
            out.write("\n" + clean_text(record["text"]) + "\n")
        out.write("\n")
    return 1 if failed else 0


# ---------------------------------------------------------------- ask
def _ask_store(args: argparse.Namespace, question: str) -> Any:
    from bot.chat.messages import ThreadRef
    from bot.nlp.answers import SourceArticle, answer

    store = _open_store()
    try:
        if args.article is not None:
            a = store.get_article(args.article) if 1 <= args.article <= MAX_ARTICLE_ID else None
            if a is None or a.text is None:
                raise BadInputError(f"there is no stored article {args.article}")
            arts = [
                SourceArticle.from_analysis(str(a.id), a.text, a.analysis, url=a.url, title=a.title)
            ]
            return answer(question, arts)
        platform, _, rest = args.thread.partition(":")
        channel, _, tid = rest.rpartition(":")
        ref = ThreadRef(platform, channel, tid)
        if store.threads.get(ref) is None:
            raise BadInputError(
                f"there is no thread {args.thread} (use PLATFORM:CHANNEL:THREAD, "
                "e.g. console:console:3)"
            )
        from bot.chat.conversation import Conversation

        return Conversation(store).answer_in_thread(ref, question)
    finally:
        store.close()


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    from bot.chat.render import link_url
    from bot.nlp.answers import SourceArticle, answer

    question = inputs.question(args.question)  # the same limits as a reply in a thread
    if args.file:
        text, title = read_article(args.file)
        result = answer(question, [SourceArticle(id=args.file, text=text, url=None, title=title)])
    else:
        result = _ask_store(args, question)
    if args.format == "json":
        write_json(out, result.to_json())
        return 0
    out.write(clean_text(result.text) + "\n")
    for source in dict.fromkeys(
        link_url(s.url) or clean_line(s.article_id) for s in result.sentences
    ):
        out.write(f"  source: {source}\n")  # each once, however many sentences it gave
    if not result.confident:
        for title, url in result.links:
            shown = link_url(url) or (args.file if title != args.file else None)  # a page's file
            out.write(f"  • {clean_line(title)}{f': {shown}' if shown else ''}\n")
    return 0


def _open_store() -> Any:
    from bot.app import open_store

    return open_store(get_settings())
