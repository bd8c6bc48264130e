"""Bytes to text for user-supplied files and pages, refusing binary data."""

from __future__ import annotations

import charset_normalizer

from bot.errors import BadInputError


def decode_bytes(data: bytes, *, declared: str | None = None) -> str:
    """Decode UTF-8 (with or without BOM), a declared charset, or a detected one."""
    if b"\x00" in data[:8192]:
        raise BadInputError("the input is binary (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is None:
        raise BadInputError("the input is not text in any encoding we recognise")
    return data.decode(best.encoding, errors="replace")
