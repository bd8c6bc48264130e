"""Bytes to text, the one place: fetched pages and feeds, local files and stdin alike.

A BOM wins, then the HTTP charset, then the document's own declaration, then
UTF-8, then detection; binary data (NUL bytes without a UTF-16 BOM) is refused.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from bot.errors import BadInputError

_META_CHARSET = re.compile(rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.\-]+)["']""")
# Browsers (WHATWG Encoding) read these labels as windows-1252; so do we, so that
# "latin-1" pages with curly quotes (bytes 0x80-0x9F) come out right.
_AS_CP1252 = frozenset({"latin_1", "ascii", "cp1252"})


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return "cp1252" if name in ("iso8859_1", *_AS_CP1252) else name


def declared_charset(data: bytes) -> str | None:
    """The charset a document declares about itself (XML declaration or HTML <meta>)."""
    head = data[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def decode_body(data: bytes, http_charset: str | None = None) -> str:
    """HTTP charset, then the document's own declaration, then UTF-8 or detection.

    One deliberate deviation: a declared Latin-1/windows-1252/ASCII body that is valid
    UTF-8 with non-ASCII bytes is read as UTF-8. Servers mislabel UTF-8 as Latin-1 all
    the time; real windows-1252 text is practically never valid UTF-8.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    candidates = [(_codec_name(http_charset), True), (_codec_name(declared_charset(data)), False)]
    for codec, from_http in candidates:
        if codec is None:
            continue
        if not from_http and codec.startswith(("utf_16", "utf_32")):
            continue  # a declaration we could read in ASCII cannot be UTF-16 (WHATWG too)
        if codec in _AS_CP1252 and not data.isascii():
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                pass
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue  # the declaration is wrong; try the next source
    return _utf8_or_detected(data)


def _utf8_or_detected(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise BadInputError("the input is binary (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is None:
        raise BadInputError("the input is not text in any encoding we recognise")
    return data.decode(best.encoding, errors="replace")
