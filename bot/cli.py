"""The ``newsbrief`` command: the composition root, the one place that knows every package.

Start-up is imports, so this module imports only what building the parser needs
(``--help`` in ~0.1 s): each command imports its own packages where it runs, and the
settings (pydantic) load only once a command needs them. tests/test_startup.py checks
which libraries ``--help`` and ``brief`` load; bench/startup.py times them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from bot import __version__
from bot.chat import inputs
from bot.cli_articles import MAX_ARTICLE_ID, cmd_ask, cmd_extract, cmd_summarize, write_json
from bot.errors import BadInputError, NewsbriefError
from bot.nlp.summarize import ALGORITHMS, DEFAULT_ALGORITHM
from bot.nlp.text.safe import ascii_digits, from_os

if TYPE_CHECKING:
    from bot.config import Settings


def get_settings() -> Settings:
    """The settings, loaded on first use (pydantic-settings takes ~0.1 s to import)."""
    from bot.config import get_settings as load

    return load()


# ---------------------------------------------------------------- helpers
def _count(low: int, high: int) -> Any:
    """An argparse type: a whole number from ``low`` to ``high``, in any script's digits."""

    def parse(text: str) -> int:
        digits = ascii_digits(text.strip())
        short = digits.isdecimal() and digits.isascii() and len(digits.lstrip("0")) <= 9
        if not (short and low <= int(digits) <= high):
            raise argparse.ArgumentTypeError(f"give a whole number from {low} to {high}")
        return int(digits)

    return parse


def _open_store(settings: Settings) -> Any:
    from bot.app import open_store

    return open_store(settings)


def _fetcher(settings: Settings) -> Any:
    from bot.news.net import Fetcher

    return Fetcher(settings)


# ---------------------------------------------------------------- ingest
def _cmd_ingest(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

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
    stored = [i for i in report.items if i.status not in {"failed", "problem"}]
    return 1 if report.items and not stored else 0


# ---------------------------------------------------------------- brief
def _cmd_brief(args: argparse.Namespace, out: TextIO) -> int:
    from bot.chat.briefs import DEFAULT_SINCE, build_brief, parse_brief_args, parse_duration
    from bot.chat.render import post_markdown, post_text

    text = " ".join(args.topic)
    if args.since is None:  # "brief strike 7d", as /brief reads it
        topic, since = parse_brief_args(text, DEFAULT_SINCE)
    else:
        topic, since = inputs.topic(text), parse_duration(args.since)
    store = _open_store(get_settings())
    try:
        brief = build_brief(store, topic, since=since, limit=args.limit)
    finally:
        store.close()
    if args.format == "json":
        write_json(out, brief.to_json())
    elif args.format == "markdown":
        out.write(post_markdown(brief.to_post(in_thread=False)) + "\n")
    else:
        out.write(post_text(brief.to_post(in_thread=False)) + "\n")
    return 0


# ---------------------------------------------------------------- run
def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from bot.app import run_app

    if isinstance(sys.stdin, io.TextIOWrapper):  # a console line that is not UTF-8
        sys.stdin.reconfigure(errors="replace")  # must not end the console
    settings = get_settings()
    if args.console or args.no_console:  # the console too, or never (headless)
        settings = settings.model_copy(update={"console": bool(args.console)})
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
    from sqlalchemy.exc import ArgumentError, OperationalError

    from bot.store import create_store_engine
    from bot.store.engine import DatabaseUnreachableError
    from bot.store.migrate import current_revision, head_revision, is_known_revision, migrate

    url = get_settings().effective_database_url()
    try:
        engine = create_store_engine(url)
    except ArgumentError as exc:
        raise DatabaseUnreachableError.of(url, exc) from None
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
        raise DatabaseUnreachableError.of(engine.url, exc) from None
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


# ---------------------------------------------------------------- ask (--batch: its own block)
def _cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    """One question (``cmd_ask``), or ``--batch``: JSON Lines of questions, threads asked in
    order with their history; a bad line gets ``{"id", "error"}`` and the rest go on."""
    if args.batch is None:
        if args.question is None:
            raise BadInputError("give a question, or --batch FILE of questions")
        return cmd_ask(args, out)
    if args.question is not None:
        raise BadInputError("--batch reads its questions from the file: give no question too")
    from bot.cli_articles import _batch_lines, read_article
    from bot.nlp.answers import answer_batch

    def load(path: str) -> str:
        if path == "-":
            raise BadInputError('"-" is no article file here: stdin holds the questions')
        return read_article(path)[0]  # as --file reads it: a saved page is extracted

    failed = 0
    with _batch_lines(args.batch) as lines:
        for record in answer_batch(lines, load, check_question=inputs.question):
            failed += "error" in record
            write_json(out, record)
            out.flush()
    return 1 if failed else 0


# ---------------------------------------------------------------- doctor (its own block)
def _cmd_doctor(args: argparse.Namespace, out: TextIO) -> int:
    """Settings, database, platform tokens, HTTP port, feeds, time zones: a table of what
    is wrong and how to fix it; exit 1 on any problem."""
    import asyncio

    from bot import redact
    from bot.doctor import diagnose, table

    found = asyncio.run(diagnose(feeds=args.feeds))
    try:  # no secret ever reaches the table, even inside an error a server sent back
        from bot.app import secrets_of

        redact.install(secrets_of(get_settings()))
    except Exception:
        pass  # settings that do not load hold no secret to hide; the table says why
    out.write(redact.redact(table(found)))
    return 1 if any(f.status == "problem" for f in found) else 0


def _add_doctor_parser(sub: Any) -> None:
    d = sub.add_parser("doctor", help="check settings, database, tokens, port, feeds, time zones")
    d.add_argument("--feeds", type=int, default=5, metavar="N", help="feeds to fetch (default 5)")
    d.set_defaults(func=_cmd_doctor)


# ---------------------------------------------------------------- parser
class _LanguagesHelp(argparse.HelpFormatter):
    """``--language`` lists the supported languages, read only when the help is shown
    (bot.nlp.text.sentences compiles its patterns on import: ~20 ms)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.dest == "language":
            from bot.nlp.text.sentences import SUPPORTED_LANGUAGES

            return ", ".join(SUPPORTED_LANGUAGES)
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbrief",
        description="News digests for Discord and Slack: summaries, key quotes, follow-ups.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.add_argument("--version", action="version", version=f"newsbrief {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "summarize",
        help="summarize an article and list its key quotes",
        formatter_class=_LanguagesHelp,
    )
    s.add_argument("source", nargs="?", default="-", help="a text file, a URL, or - for stdin")
    s.add_argument("--sentences", type=_count(1, 50), default=3, metavar="N")
    s.add_argument("--quotes", type=_count(0, 50), default=3, metavar="N")
    s.add_argument("--algorithm", default=DEFAULT_ALGORITHM, choices=ALGORITHMS)
    s.add_argument("--language", default="english", help="(the supported languages)")
    s.add_argument("--format", default="text", choices=("text", "markdown", "json"))
    s.add_argument(
        "--batch", action="store_true", help='JSON Lines in ({"id", "text", "title"?}), out'
    )
    s.set_defaults(func=cmd_summarize)

    i = sub.add_parser("ingest", help="read feeds, OPML lists and article pages into the store")
    i.add_argument("sources", nargs="*", help="feed or article URLs, or files")
    i.add_argument("--sample", action="store_true", help="load the bundled sample articles")
    i.set_defaults(func=_cmd_ingest)

    b = sub.add_parser("brief", help="a short brief on a topic from stored articles")
    b.add_argument("topic", nargs="+", help="what it is about, with a span if you like: korea 7d")
    b.add_argument("--since", help="how far back: 48h (the default), 7d, 1w")
    b.add_argument("--limit", type=_count(1, 50), default=5, metavar="N")
    b.add_argument("--format", default="text", choices=("text", "markdown", "json"))
    b.set_defaults(func=_cmd_brief)

    e = sub.add_parser("extract", help="show what is extracted from pages (URLs or HTML files)")
    e.add_argument("sources", nargs="+")
    e.add_argument("--format", default="text", choices=("text", "json"))
    e.set_defaults(func=cmd_extract)

    a = sub.add_parser("ask", help="answer a question from an article or a thread")
    a.add_argument("question", nargs="?", help="the question (none with --batch)")
    where = a.add_mutually_exclusive_group(required=True)
    where.add_argument("--file", help="a text file holding the article")
    where.add_argument("--article", type=_article_id, help="a stored article id")
    where.add_argument("--thread", help="a remembered thread: PLATFORM:CHANNEL:THREAD")
    where.add_argument(
        "--batch",
        metavar="JSONL",
        help='questions as JSON Lines {"id", "thread", "question", "files"} (- for stdin); '
        'answers out as {"id", "answer", "confident", "sources"}',
    )
    a.add_argument("--format", default="text", choices=("text", "json"))
    a.set_defaults(func=_cmd_ask)

    r = sub.add_parser("run", help="run the bot (console when no platform token is set)")
    r.add_argument("--no-sample", action="store_true", help="don't load the bundled sample")
    which = r.add_mutually_exclusive_group()
    which.add_argument(
        "--console", action="store_true", help="run the console too when a platform is configured"
    )
    which.add_argument(
        "--no-console",
        action="store_true",
        help="headless: never the console (as NEWSBRIEF_CONSOLE=0), even with no platform",
    )
    r.set_defaults(func=_cmd_run)
    _add_slack_parser(sub)
    _add_discord_parser(sub)
    _add_db_parser(sub)
    _add_doctor_parser(sub)
    return parser


def _article_id(text: str) -> int:
    """Any whole number: one out of range is simply not a stored article (said later)."""
    digits = ascii_digits(text.strip())
    body = digits.removeprefix("-")
    if not (body.isdecimal() and body.isascii()):
        raise argparse.ArgumentTypeError("give an article id, a whole number like 12")
    return int(digits) if len(body) < 19 else MAX_ARTICLE_ID + 1


def _warn_if_guard_lifted(args: argparse.Namespace) -> None:
    """Say so whenever the SSRF guard is off; ``run`` says it itself, once."""
    if args.command == "run":
        return
    try:
        lifted = get_settings().allow_private_hosts
    except ValueError:
        return  # a bad setting: the command itself reports it
    if lifted:
        where = (
            "in the environment"
            if "NEWSBRIEF_ALLOW_PRIVATE_HOSTS" in os.environ
            else "in ./.env in the working directory"
        )
        print(
            f"newsbrief: warning: NEWSBRIEF_ALLOW_PRIVATE_HOSTS is on ({where}): URLs may "
            "reach private and loopback addresses. Use it only for local tests and demos.",
            file=sys.stderr,
        )


def _quiet_broken_pipe() -> int:
    """The reader went away (``| head``): stop writing, exit quietly (128 + SIGPIPE).
    stdout is pointed at /dev/null so that the interpreter's last flush stays quiet."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 141


def _is_bad_setting(exc: Exception) -> bool:
    """A pydantic ValidationError, without importing pydantic for commands that never
    loaded it (a command that did not load it cannot have raised one)."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(exc, pydantic.ValidationError)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    # Arguments that were not UTF-8 arrive as lone surrogates: decode them with
    # replacement, so that nothing downstream (JSON, the store) meets them.
    args = build_parser().parse_args([from_os(a) for a in (sys.argv[1:] if argv is None else argv)])
    from bot import logs  # plain, or JSON lines with NEWSBRIEF_LOG_FORMAT=json
    from bot.redact import redact_library_logs

    logs.configure(logging.INFO if args.verbose else logging.WARNING, logs.configured_format())
    redact_library_logs()
    _warn_if_guard_lifted(args)
    stream = out or sys.stdout
    try:
        code: int = args.func(args, stream)
        stream.flush()
    except NewsbriefError as exc:
        print(f"newsbrief: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line says so, -v shows where
        if _is_bad_setting(exc):  # a NEWSBRIEF_* setting that does not parse
            from bot.config import setting_problems

            problems = "; ".join(setting_problems(exc))  # type: ignore[arg-type]
            print(f"newsbrief: error: a setting is not valid: {problems}", file=sys.stderr)
            return 2
        if args.verbose:
            traceback.print_exc()
        print(
            f"newsbrief: internal error: {type(exc).__name__}: {exc} (-v shows where)",
            file=sys.stderr,
        )
        return 70  # EX_SOFTWARE
    return code


if __name__ == "__main__":
    sys.exit(main())
