"""The ``newsbrief`` command: the composition root, the one place that knows every package."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings, get_settings
from bot.errors import BadInputError, NewsbriefError
from bot.news.decode import decode_body
from bot.news.net import is_http_url
from bot.nlp.summarize import ALGORITHMS, DEFAULT_ALGORITHM
from bot.nlp.text.sentences import SUPPORTED_LANGUAGES

MAX_INPUT_BYTES = 8_000_000


# ---------------------------------------------------------------- helpers
def _read_source(source: str) -> str:
    if source == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        path = Path(source)
        if not path.is_file():
            raise BadInputError(f"no such file: {source}")
        with path.open("rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise BadInputError(f"the input is larger than {MAX_INPUT_BYTES:,} bytes")
    return decode_body(data)


def _open_store(settings: Settings) -> Any:
    from bot.app import open_store

    return open_store(settings)


def _fetcher(settings: Settings) -> Any:
    from bot.news.net import Fetcher

    return Fetcher(settings)


async def _fetch_page(settings: Settings, url: str) -> tuple[str, str]:
    fetcher = _fetcher(settings)
    try:
        result = await fetcher.fetch(url)
        return result.text, result.final_url
    finally:
        await fetcher.aclose()


# ---------------------------------------------------------------- summarize
def _analysis_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "sentences": args.sentences,
        "quotes": args.quotes,
        "algorithm": args.algorithm,
        "language": args.language,
    }


def _cmd_summarize(args: argparse.Namespace, out: TextIO) -> int:
    from bot.chat.render import analysis_markdown, analysis_text
    from bot.nlp.analyze import analyze

    if args.batch:
        return _summarize_batch(args, out)
    title = None
    if is_http_url(args.source):
        from bot.news.extract import extract_article

        html, final = asyncio.run(_fetch_page(get_settings(), args.source))
        page = extract_article(html, final)
        if not page.ok:
            raise BadInputError(f"{args.source} holds no article: {page.reason}")
        text, title = page.text, page.title
    else:
        text = _read_source(args.source)
    result = analyze(text, title=title, **_analysis_options(args))
    if args.format == "json":
        out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    elif args.format == "markdown":
        out.write(analysis_markdown(result) + "\n")
    else:
        out.write(analysis_text(result) + "\n")
    return 0


def _summarize_batch(args: argparse.Namespace, out: TextIO) -> int:
    """JSON Lines in, JSON Lines out; a bad line gets an error record and the rest go on."""
    from bot.nlp.analyze import analyze

    source: TextIO
    if args.source == "-":
        source = sys.stdin
    else:
        source = Path(args.source).open(encoding="utf-8", errors="replace")  # noqa: SIM115
    failed = 0
    with source:
        for lineno, line in enumerate(source, 1):
            if not line.strip():
                continue
            record_id: Any = None
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise BadInputError('each line must be a JSON object with a "text" string')
                record_id = item.get("id", lineno)
                title = item.get("title") if isinstance(item.get("title"), str) else None
                result = analyze(item["text"], title=title, **_analysis_options(args))
                record = {"id": record_id, **result.to_json()}
            except json.JSONDecodeError as exc:
                failed += 1
                record = {"id": lineno, "error": f"line {lineno} is not JSON: {exc.msg}"}
            except NewsbriefError as exc:
                failed += 1
                record = {"id": record_id if record_id is not None else lineno, "error": str(exc)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
    return 1 if failed else 0


# ---------------------------------------------------------------- ingest
def _cmd_ingest(args: argparse.Namespace, out: TextIO) -> int:
    from bot.news.ingest import Ingester, IngestReport
    from bot.news.progress import IngestProgress

    if not args.sources and not args.sample:
        raise BadInputError("give feed or article URLs, files, or --sample")
    settings = get_settings()
    store = _open_store(settings)

    async def go() -> IngestReport:
        fetcher = _fetcher(settings) if args.sources else None
        with IngestProgress(out) as progress:
            ingester = Ingester(store, fetcher, progress=progress.update)
            try:
                report = IngestReport()
                if args.sample:
                    report = await ingester.ingest_sample()
                if args.sources:
                    more = await ingester.ingest(args.sources)
                    report.items += more.items
                    report.feeds += more.feeds
                return report
            finally:
                if fetcher is not None:
                    await fetcher.aclose()

    try:
        report = asyncio.run(go())
    finally:
        store.close()
    IngestProgress.summary(report, out)
    return 1 if report.items and all(i.status == "failed" for i in report.items) else 0


# ---------------------------------------------------------------- brief
def _cmd_brief(args: argparse.Namespace, out: TextIO) -> int:
    from adapters.console.render import render
    from bot.chat.briefs import build_brief, parse_duration
    from bot.chat.render import post_markdown

    since = parse_duration(args.since)
    store = _open_store(get_settings())
    try:
        brief = build_brief(store, args.topic, since=since, limit=args.limit)
    finally:
        store.close()
    if args.format == "json":
        out.write(json.dumps(brief.to_json(), ensure_ascii=False) + "\n")
    elif args.format == "markdown":
        out.write(post_markdown(brief.to_post()) + "\n")
    else:
        out.write(render(brief.to_post()) + "\n")
    return 0


# ---------------------------------------------------------------- extract
def _cmd_extract(args: argparse.Namespace, out: TextIO) -> int:
    from bot.news.extract import extract_article

    settings = get_settings()
    failed = 0
    for source in args.sources:
        record: dict[str, Any] = {"source": source}
        try:
            if is_http_url(source):
                html, base = asyncio.run(_fetch_page(settings, source))
            else:
                html, base = _read_source(source), None
            page = extract_article(html, base)
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
        except NewsbriefError as exc:
            failed += 1
            record |= {"status": "failed", "reason": str(exc)}
        if args.format == "json":
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(f"== {source} [{record['status']}]\n")
            if record.get("reason"):
                out.write(f"   reason: {record['reason']}\n")
            for key in ("title", "author", "published", "site"):
                if record.get(key):
                    out.write(f"   {key}: {record[key]}\n")
            if record.get("text"):
                out.write("\n" + record["text"] + "\n")
            out.write("\n")
    return 1 if failed else 0


# ---------------------------------------------------------------- ask
def _cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    from bot.chat.messages import ThreadRef
    from bot.nlp.answers import SourceArticle, answer

    result = None
    if args.file:
        text = _read_source(args.file)
        result = answer(args.question, [SourceArticle(id=args.file, text=text, url=None)])
    else:
        store = _open_store(get_settings())
        try:
            if args.article is not None:
                a = store.get_article(args.article)
                if a is None or a.text is None:
                    raise BadInputError(f"there is no stored article {args.article}")
                arts = [
                    SourceArticle.from_analysis(
                        str(a.id), a.text, a.analysis, url=a.url, title=a.title
                    )
                ]
                result = answer(args.question, arts)
            else:
                platform, _, rest = args.thread.partition(":")
                channel, _, tid = rest.rpartition(":")
                ref = ThreadRef(platform, channel, tid)
                if store.threads.get(ref) is None:
                    raise BadInputError(
                        f"there is no thread {args.thread} (use PLATFORM:CHANNEL:THREAD, "
                        "e.g. console:console:3)"
                    )
                from bot.chat.conversation import Conversation

                result = Conversation(store).answer_in_thread(ref, args.question)
        finally:
            store.close()
    if args.format == "json":
        out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    else:
        out.write(result.text + "\n")
        for s in result.sentences:
            out.write(f"  source: {s.url or s.article_id}\n")
        if not result.confident:
            for title, url in result.links:
                out.write(f"  • {title}: {url or ''}\n")
    return 0


# ---------------------------------------------------------------- run
def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    from bot.app import run_app

    settings = get_settings()
    if args.console:  # the console as well as the configured platforms
        settings = settings.model_copy(update={"console": True})
    return asyncio.run(run_app(settings, out=out, sample=not args.no_sample))


# ---------------------------------------------------------------- slack (its own block)
def _cmd_slack(args: argparse.Namespace, out: TextIO) -> int:
    """``slack manifest``: the Slack app manifest, for Socket Mode or an HTTPS request URL."""
    from adapters.slack.manifest import render_manifest

    out.write(render_manifest(args.request_url))
    return 0


def _add_slack_parser(sub: Any) -> None:
    sl = sub.add_parser("slack", help="Slack app setup")
    sl_sub = sl.add_subparsers(dest="slack_command", required=True)
    m = sl_sub.add_parser("manifest", help="print the app manifest to create the Slack app from")
    m.add_argument(
        "--request-url",
        metavar="URL",
        help="HTTPS base URL of this server, for HTTP mode (default: Socket Mode)",
    )
    sl.set_defaults(func=_cmd_slack)


# ---------------------------------------------------------------- discord (its own block)
def _cmd_discord(args: argparse.Namespace, out: TextIO) -> int:
    """``discord invite``: the OAuth2 URL that adds the bot, with every permission explained."""
    from adapters.discord.permissions import client_id_from_token, invite_text

    client_id = args.client_id
    if client_id is None:
        token = get_settings().discord_token
        client_id = client_id_from_token(token.get_secret_value()) if token else None
    if not client_id or not str(client_id).isdecimal():
        raise BadInputError(
            "give the application id: newsbrief discord invite --client-id ID "
            "(developer portal → your app → General Information), or set DISCORD_TOKEN"
        )
    out.write(invite_text(str(client_id)) + "\n")
    return 0


def _add_discord_parser(sub: Any) -> None:
    dc = sub.add_parser("discord", help="Discord app setup")
    dc_sub = dc.add_subparsers(dest="discord_command", required=True)
    inv = dc_sub.add_parser("invite", help="print the link that adds the bot to a server")
    inv.add_argument(
        "--client-id", metavar="ID", help="the application id (default: read from the token)"
    )
    dc.set_defaults(func=_cmd_discord)


# ---------------------------------------------------------------- db (deployment)
def _cmd_db(args: argparse.Namespace, out: TextIO) -> int:
    """``db upgrade`` migrates to head under the same lock as ``run``; ``db current`` only reads."""
    from sqlalchemy.exc import OperationalError

    from bot.store import create_store_engine
    from bot.store.migrate import current_revision, head_revision, is_known_revision, migrate

    engine = create_store_engine(get_settings().effective_database_url())
    where = engine.url.render_as_string(hide_password=True)
    head = head_revision()
    try:
        if args.db_command == "upgrade":
            done = migrate(engine)
            if done.changed:
                out.write(
                    f"{where}: upgraded from {done.before or 'empty'} to {done.after} (head)\n"
                )
            else:
                out.write(f"{where}: already at head ({head})\n")
            return 0
        current = current_revision(engine)
    except OperationalError as exc:
        raise NewsbriefError(
            f"cannot reach the database {where} (NEWSBRIEF_DATABASE_URL): {exc.orig or exc}"
        ) from None
    finally:
        engine.dispose()
    if current == head:
        out.write(f"{where}: {current} (head)\n")
        return 0
    if current is not None and not is_known_revision(current):
        out.write(f"{where}: {current} (unknown to this release, whose head is {head})\n")
    else:
        out.write(f"{where}: {current or 'empty'} (head is {head}: run newsbrief db upgrade)\n")
    return 1 if args.check else 0


def _add_db_parser(sub: Any) -> None:
    d = sub.add_parser("db", help="the database's migration level: show it, or upgrade to head")
    d.set_defaults(func=_cmd_db)
    dsub = d.add_subparsers(dest="db_command", required=True)
    dsub.add_parser("upgrade", help="migrate to head (newsbrief run does this at start-up)")
    c = dsub.add_parser("current", help="show the revision, without changing anything")
    c.add_argument("--check", action="store_true", help="exit 1 unless the database is at head")


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbrief",
        description="News digests for Discord and Slack: summaries, key quotes, follow-ups.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("summarize", help="summarize an article and list its key quotes")
    s.add_argument("source", nargs="?", default="-", help="a text file, a URL, or - for stdin")
    s.add_argument("--sentences", type=int, default=3, metavar="N")
    s.add_argument("--quotes", type=int, default=3, metavar="N")
    s.add_argument("--algorithm", default=DEFAULT_ALGORITHM, choices=ALGORITHMS)
    s.add_argument("--language", default="english", help=", ".join(SUPPORTED_LANGUAGES))
    s.add_argument("--format", default="text", choices=("text", "markdown", "json"))
    s.add_argument(
        "--batch", action="store_true", help='JSON Lines in ({"id", "text", "title"?}), out'
    )
    s.set_defaults(func=_cmd_summarize)

    i = sub.add_parser("ingest", help="read feeds, OPML lists and article pages into the store")
    i.add_argument("sources", nargs="*", help="feed or article URLs, or files")
    i.add_argument("--sample", action="store_true", help="load the bundled sample articles")
    i.set_defaults(func=_cmd_ingest)

    b = sub.add_parser("brief", help="a short brief on a topic from stored articles")
    b.add_argument("topic")
    b.add_argument("--since", default="48h", help="how far back: 48h, 7d, 1w")
    b.add_argument("--limit", type=int, default=5)
    b.add_argument("--format", default="text", choices=("text", "markdown", "json"))
    b.set_defaults(func=_cmd_brief)

    e = sub.add_parser("extract", help="show what is extracted from pages (URLs or HTML files)")
    e.add_argument("sources", nargs="+")
    e.add_argument("--format", default="text", choices=("text", "json"))
    e.set_defaults(func=_cmd_extract)

    a = sub.add_parser("ask", help="answer a question from an article or a thread")
    a.add_argument("question")
    where = a.add_mutually_exclusive_group(required=True)
    where.add_argument("--file", help="a text file holding the article")
    where.add_argument("--article", type=int, help="a stored article id")
    where.add_argument("--thread", help="a remembered thread: PLATFORM:CHANNEL:THREAD")
    a.add_argument("--format", default="text", choices=("text", "json"))
    a.set_defaults(func=_cmd_ask)

    r = sub.add_parser("run", help="run the bot (console when no platform token is set)")
    r.add_argument("--no-sample", action="store_true", help="don't load the bundled sample")
    r.add_argument(
        "--console", action="store_true", help="run the console too when a platform is configured"
    )
    r.set_defaults(func=_cmd_run)
    _add_slack_parser(sub)
    _add_discord_parser(sub)
    _add_db_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    stream = out or sys.stdout
    for name in ("sentences", "quotes", "limit"):
        if getattr(args, name, 0) < 0:
            print(f"newsbrief: error: --{name} must be 0 or more", file=sys.stderr)
            return 2
    try:
        code: int = args.func(args, stream)
    except NewsbriefError as exc:
        print(f"newsbrief: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
