"""Hostile input (issue 9): the corpus end to end, and the walls it runs into one by one.

Every case of ``tests/fixtures/hostile`` runs through the real CLI against a loopback
server and must come out clean: no traceback, no item lost, no secret in the output,
the logs or the stored articles, no control character, no live link or markup, and
what the case expects (a clear error, a hint, a refusal). ``bench/hostile.py`` prints
the same counts. The unit tests below pin each wall on its own.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.chat import inputs
from bot.chat.messages import Post, PostItem, QuoteLine, SourceLink
from bot.chat.render import escape_markdown, json_line, post_markdown, post_text
from bot.nlp.text.safe import ascii_digits, clean_line, clean_text, from_os, unsafe_count
from bot.redact import RedactingFilter
from bot.urls import has_credentials, redact_url, web_link
from digests.schedule import ScheduleError, parse_subscription
from tests.fixtures.hostile.corpus import CASES
from tests.fixtures.hostile.harness import UNSAFE, Case, Server, run_case

ESC = "\x1b"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    s = Server().start()
    try:
        yield s
    finally:
        s.stop()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case: Case, server: Server, tmp_path: Path) -> None:
    outcome = run_case(case, server, tmp_path / case.name)
    assert outcome.problems == [], "\n".join(outcome.problems)
    assert outcome.tracebacks == outcome.control_chars == outcome.secrets_db == 0


# ------------------------------------------------------------------ the sanitiser
@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (f"Dock strike{ESC}[2K\r{ESC}[31m ends\x07\b\b", "Dock strike ends"),  # CSI, CR, BEL, BS
        (f"Harbour{ESC}]0;pwned\x07 Times{ESC}[2J", "Harbour Times"),  # window title, clear
        (f"{ESC}]8;;http://evil.example/{ESC}\\Maria Lopez{ESC}]8;;{ESC}\\", "Maria Lopez"),
        ("a\x9b31mEvil\x9b0m b", "aEvil b"),  # the 8-bit CSI
        ("Ferry \u202erise\u202c \u2066x\u2069", "Ferry rise x"),  # bidi override, isolate
        ("ko\u200brea\ufeff \u00ad", "korea"),  # zero-width space, BOM, soft hyphen
        ("tags\U000e0041\U000e0042 gone", "tags gone"),  # invisible Unicode tags
        ("Title\nwith\tbreaks\u2028here", "Title with breaks here"),  # one line
        (f"unterminated {ESC}]osc keeps its text", "unterminated osc keeps its text"),
    ],
)
def test_clean_line_removes_what_a_terminal_would_obey(raw: str, line: str) -> None:
    assert clean_line(raw) == line
    assert not UNSAFE.search(clean_text(raw))


def test_clean_text_keeps_paragraphs_tabs_and_real_scripts() -> None:
    text = "First\r\nsecond\rthird\x85fourth\n\n\tindented"
    assert clean_text(text) == "First\nsecond\nthird\nfourth\n\n\tindented"
    # ZWJ (emoji, Indic scripts), ZWNJ (Persian) and the directional marks stay.
    for kept in ("👩\u200d💻", "می\u200cخواهم", "abc\u200fאב"):
        assert clean_text(kept) == kept
    assert unsafe_count(f"a{ESC}b\x9bc\u202ed") == 3


def test_arguments_that_were_not_utf8_are_decoded_with_replacement() -> None:
    assert from_os("k\udcffo") == "k\ufffdo"  # what Python makes of b"k\xffo" in argv
    assert from_os("lone \ud800 surrogate") == "lone  surrogate"
    assert ascii_digits("٤٨h ३ ３") == "48h 3 3"


# ------------------------------------------------------------------ URLs
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@Host.example:8080/a?api_key=T&id=4", "http://host.example:8080/a?api_key=REDACTED&id=4"),
        ("https://x.example/a?token=1&sig=2&password=3&auth=4&key=5", "https://x.example/a?token=REDACTED&sig=REDACTED&password=REDACTED&auth=REDACTED&key=REDACTED"),
        ("https://s3.example/o?X-Amz-Signature=abc&authToken=z&keyword=korea", "https://s3.example/o?X-Amz-Signature=REDACTED&authToken=REDACTED&keyword=korea"),
        ("http://[::1]:80/p?session=1", "http://[::1]:80/p?session=REDACTED"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("http://[::1", "<invalid URL>"),
        # secrets well-known services keep in the path; other paths keep their ids
        ("https://hooks.slack.com/services/T0001/B0002/q8zXv1Lm2Nb3Kc4Jd5He6Gf7", "https://hooks.slack.com/services/T0001/B0002/REDACTED"),
        ("https://discord.com/api/v10/webhooks/112233445566778899/Zx-9_yW?wait=true", "https://discord.com/api/v10/webhooks/112233445566778899/REDACTED?wait=true"),
        ("https://api.telegram.org/bot123456:AAE-xYz_987/sendMessage", "https://api.telegram.org/botREDACTED/sendMessage"),
        ("https://discord.com/channels/1122/3344", "https://discord.com/channels/1122/3344"),
        ("https://news.example/2026/12/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "https://news.example/2026/12/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"),
        # a parameter that is a URL with a secret of its own (a redirector's target)
        ("http://go.example/r?to=http://x.example/p?token=S3CRET&n=2", "http://go.example/r?to=http%3A%2F%2Fx.example%2Fp%3Ftoken%3DREDACTED&n=2"),
        ("http://go.example/r?to=https%3A%2F%2Fu%3Apw%40x.example%2Ff", "http://go.example/r?to=https%3A%2F%2Fx.example%2Ff"),
        ("http://go.example/r?to=https://x.example/feed", "http://go.example/r?to=https://x.example/feed"),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    # What is blanked when shown is what a stored source keeps encrypted (else it is lost).
    assert has_credentials(url) == ("REDACTED" in shown or "@" in url or "%40" in url)


def test_only_http_links_are_shown_and_nothing_can_end_them() -> None:
    for bad in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "sha1:ab", ""):
        assert web_link(bad) is None
    assert web_link("http://h.example/a b") is None  # whitespace: not one link
    link = web_link("http://u:p@h.example/story_(1))[x](javascript:alert(1)?token=t")
    assert (
        link == "http://h.example/story_%281%29%29%5Bx%5D%28javascript:alert%281%29?token=REDACTED"
    )


def test_library_log_lines_lose_their_secrets() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, 'HTTP Request: %s %s "%s"',
        ("GET", "http://u:PW-s3cret@h.example/a?token=TOK-s3cret", "HTTP/1.1 200 OK"), None,
    )  # fmt: skip
    assert RedactingFilter().filter(record)
    assert (
        "s3cret" not in record.getMessage() and "h.example/a?token=REDACTED" in record.getMessage()
    )
    hook = "https://discord.com/api/webhooks/1122334455/WH-s3cret-token"
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, f"feed at {hook} failed", (), None
    )
    assert RedactingFilter().filter(record)
    assert (
        record.getMessage() == "feed at https://discord.com/api/webhooks/1122334455/REDACTED failed"
    )


# ------------------------------------------------------------------ renderers
HOSTILE_POST = Post(
    kind="brief",
    title=f"Brief: harbour{ESC}[2J",
    text="Nothing new\n## Injected heading\n[click](javascript:alert(1))",
    items=(
        PostItem(
            headline="@everyone <!channel> **bold** # Regatta\n## Injected",
            summary=("1. not a list", f"- nor{ESC}]0;x\x07 this"),
            quote=QuoteLine(f"We will{ESC}[1A win", f"{ESC}]8;;http://e/{ESC}\\Lopez"),
            sources=(
                SourceLink("guid", "javascript:alert(1)", "Link Lab"),
                SourceLink("story", "http://h.example/a_(1))[x](javascript:x)", "Site"),
                SourceLink("item", "urn:newsbrief:item:ab", None),
            ),
        ),
    ),
    footer="_underscored_ footer",
)


def test_markdown_escapes_every_metacharacter_and_link() -> None:
    md = post_markdown(HOSTILE_POST)
    assert not UNSAFE.search(md)
    assert "\n## Injected" not in md and "sha1:" not in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # "\[click\](javascript:…" is text
    assert r"\@everyone \<!channel\> \*\*bold\*\*" in md
    assert "- 1\\. not a list" in md and "- \\- nor this" in md
    assert "[Site](http://h.example/a_%281%29%29%5Bx%5D%28javascript:x%29)" in md
    assert "Link Lab" in md and "urn:" not in md  # a link-less source: its name, no link
    assert escape_markdown("AT&T said 3 < 4 & U.S. ok!") == "AT&T said 3 \\< 4 & U.S. ok!"


def test_text_rendering_is_plain_and_links_http_only() -> None:
    text = post_text(HOSTILE_POST, number=3)
    assert not UNSAFE.search(text)
    assert text.startswith("[3] Brief: harbour\n")
    sources = [line for line in text.splitlines() if "↳" in line]
    assert sources == [
        "     ↳ guid (Link Lab)",
        "     ↳ story (Site): http://h.example/a_%281%29%29%5Bx%5D%28javascript:x%29",
        "     ↳ item",
    ]
    assert "“We will win” — Lopez" in text


def test_json_lines_are_valid_and_inert() -> None:
    line = json_line({"t": f"a{ESC}[2J\x9b\u202eb", "s": "lone\udcff"})
    assert "\n" not in line and not UNSAFE.search(line)
    assert json.loads(line) == {"t": f"a{ESC}[2J\x9b\u202eb", "s": "lone"}


# ------------------------------------------------------------------ one validation
def test_topics_and_questions_are_read_one_way() -> None:
    assert inputs.topic("\ufeff ko\u200brea ") == "korea"
    assert inputs.typed("k\udcffo") == "k\ufffdo"
    assert inputs.number("١٢") == 12 and inputs.number("x") is None
    for bad in ("", "   ", "\u200b", "x" * 101, "x" * 5_000_000):
        with pytest.raises(inputs.BadTopicError):
            inputs.topic(bad)
    for bad in ("", "why " * 30_000):
        with pytest.raises(inputs.BadQuestionError):
            inputs.question(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("korea at " + ", ".join(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)),
         "48 times a day"),
        (", ".join(f"t{i}" for i in range(30)) + " at 07:00", "30 topics"),
        ("x" * 5_000_000 + " at 07:00", "too long"),
    ],
)  # fmt: skip
def test_subscriptions_have_limits(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_subscription(text)
    assert parse_subscription("korea at 07:30, 12:00, 18:00").times
