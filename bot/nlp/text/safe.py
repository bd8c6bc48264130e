"""Text safe to show a person: no terminal controls, no bidi tricks, no invisible splits.

Feeds, pages and people can send any character. A raw ESC clears a screen or
rewrites earlier lines, an OSC sequence sets a window title or hides a link
behind other text, a right-to-left override makes ``evil.exe`` read backwards,
a zero-width space splits a word so that search no longer finds it. Everything
a feed says passes here once at ingest (titles, site names, summaries, quotes,
speakers, text), and every renderer calls it again before it writes.

What goes: whole ANSI escape sequences (CSI, OSC, the 8-bit CSI, two-byte ESC
sequences), then every remaining C0 control but tab and newline, DEL, C1
controls, bidi embeddings, overrides and isolates (U+202A-E, U+2066-9),
invisible separators (zero-width space, word joiner, BOM, soft hyphen, Unicode
tags, interlinear annotation marks) and lone surrogates. What stays: tab,
newline, and the joiners and marks that real scripts need (ZWJ for emoji and
Indic scripts, ZWNJ for Persian, LRM/RLM/ALM, which cannot reorder text).
CR, CR LF, NEL and the Unicode line and paragraph separators become newlines.

Hand-written: the libraries for this (``strip-ansi``, rich's ANSI decoder) only
remove escape sequences, and rich misses BEL-terminated OSC and the 8-bit CSI.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ascii_digits", "clean_line", "clean_text", "from_os", "unsafe_count"]

# CSI (ESC [ or the 8-bit CSI, params, intermediates, a final byte), OSC (ESC ] up to
# BEL or ST), other two-byte ESC sequences. An unterminated OSC loses only its ESC ]:
# the rest is text, and guessing where it ends could swallow an article.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]{0,2048}(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-~]?"
)
_NEWLINES = re.compile("\r\n?|[\x85\u2028\u2029]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_NOT_ESCAPED = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # not from surrogateescape


def _table() -> dict[int, None]:
    drop = [c for c in range(0x20) if c not in (0x09, 0x0A)]
    drop += [0x7F, *range(0x80, 0xA0), 0xAD, 0x180E, 0x200B, 0x2060, 0xFEFF, 0xFFFE, 0xFFFF]
    drop += [*range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0xFFF9, 0xFFFC)]
    drop += [*range(0xD800, 0xE000), *range(0xE0000, 0xE0080)]
    return dict.fromkeys(drop)


_DROP = _table()
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u180e\u200b\u2060\ufeff\ufffe\uffff"
    "\u202a-\u202e\u2066-\u2069\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


def clean_text(text: str) -> str:
    """``text`` without controls, escape sequences, bidi overrides or invisible characters.

    Paragraphs and tabs survive; every kind of line break becomes ``\\n``.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, and it has nothing to remove
    text = _NEWLINES.sub("\n", text)
    if "\x1b" in text or "\x9b" in text or "\x9d" in text:
        text = _ESCAPES.sub("", text)
    return text.translate(_DROP)


def clean_line(text: str) -> str:
    """``clean_text`` on one line: a headline, a site name, a speaker. Whitespace runs,
    newlines included, become one space, so that a title cannot start a new line."""
    return " ".join(clean_text(text).split())


def unsafe_count(text: str) -> int:
    """How many characters ``clean_text`` would remove (escape sequences aside)."""
    return len(_UNSAFE.findall(text))


def from_os(text: str) -> str:
    """An argument or console line that was not UTF-8, decoded with replacement.

    Python keeps undecodable bytes of argv and stdin as lone surrogates
    (surrogateescape); they cannot be stored or printed. The bytes come back as
    U+FFFD, and surrogates from anywhere else are dropped.
    """
    if not _SURROGATES.search(text):
        return text
    raw = _NOT_ESCAPED.sub("", text).encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace")


def ascii_digits(text: str) -> str:
    """Decimal digits of any script (Arabic-Indic ٣, Devanagari ३, full-width ３) as ASCII,
    so that every command reads a number the same way."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
