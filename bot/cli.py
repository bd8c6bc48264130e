"""The ``newsbrief`` command: the composition root that wires the core together."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.errors import BadInputError, NewsbriefError
from bot.summarize import ALGORITHMS, DEFAULT_ALGORITHM
from bot.text.decode import decode_bytes
from bot.text.sentences import SUPPORTED_LANGUAGES

MAX_INPUT_BYTES = 8_000_000


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
    return decode_bytes(data)


def _analysis_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "sentences": args.sentences,
        "quotes": args.quotes,
        "algorithm": args.algorithm,
        "language": args.language,
    }


def _cmd_summarize(args: argparse.Namespace, out: TextIO) -> int:
    from bot.analyze import analyze
    from bot.render import analysis_markdown, analysis_text

    if args.batch:
        return _summarize_batch(args, out)
    text = _read_source(args.source)
    result = analyze(text, **_analysis_options(args))
    if args.format == "json":
        out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    elif args.format == "markdown":
        out.write(analysis_markdown(result) + "\n")
    else:
        out.write(analysis_text(result) + "\n")
    return 0


def _summarize_batch(args: argparse.Namespace, out: TextIO) -> int:
    """JSON Lines in, JSON Lines out; a bad line gets an error record and the rest go on."""
    from bot.analyze import analyze

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbrief",
        description="News digests for Discord and Slack: summaries, key quotes, follow-ups.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("summarize", help="summarize an article and list its key quotes")
    s.add_argument("source", nargs="?", default="-", help="a text file, or - for stdin")
    s.add_argument("--sentences", type=int, default=3, metavar="N")
    s.add_argument("--quotes", type=int, default=3, metavar="N")
    s.add_argument("--algorithm", default=DEFAULT_ALGORITHM, choices=ALGORITHMS)
    s.add_argument("--language", default="english", help=", ".join(SUPPORTED_LANGUAGES))
    s.add_argument("--format", default="text", choices=("text", "markdown", "json"))
    s.add_argument(
        "--batch",
        action="store_true",
        help='JSON Lines in ({"id", "text", "title"?}), JSON Lines out',
    )
    s.set_defaults(func=_cmd_summarize)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    stream = out or sys.stdout
    if getattr(args, "sentences", 0) < 0 or getattr(args, "quotes", 0) < 0:
        print("newsbrief: error: --sentences and --quotes must be 0 or more", file=sys.stderr)
        return 2
    try:
        code: int = args.func(args, stream)
    except NewsbriefError as exc:
        print(f"newsbrief: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
