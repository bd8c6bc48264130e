"""A digest's idempotency key on Discord: a nonce for retries, an invisible marker for later.

The nonce (with ``enforce_nonce``) makes Discord drop a repeated send, but only for
a few minutes, and Discord does not return it when messages are read back. So the
key also travels inside the message as a marker nobody sees: the nonce spelled in
zero-width characters between two invisible separators, at the end of the
content. Discord keeps zero-width characters (bots use them for blank field
names), and ``find_post`` reads the marker back from the channel's recent
messages by the bot, after a restart and long after the nonce window.
"""

from __future__ import annotations

import hashlib
import re

NONCE_CHARS = 24  # Discord accepts nonces of up to 25 characters
_DIGITS = "\u200b\u200c\u200d\u2060"  # zero-width space, non-joiner, joiner, word joiner
_FRAME = "\u2063"  # invisible separator
_MARKER = re.compile(f"{_FRAME}([{_DIGITS}]{{{NONCE_CHARS * 2}}}){_FRAME}")


def nonce_for(key: str) -> str:
    """24 hex characters from the key: the same key always gives the same nonce."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=NONCE_CHARS // 2).hexdigest()


def marker_for(key: str) -> str:
    """The key's nonce in base 4, each digit a zero-width character, framed."""
    digits = []
    for ch in nonce_for(key):
        n = int(ch, 16)
        digits.append(_DIGITS[n >> 2] + _DIGITS[n & 3])
    return _FRAME + "".join(digits) + _FRAME


def read_marker(text: str) -> str | None:
    """The nonce hidden in ``text`` by ``marker_for``, or None."""
    m = _MARKER.search(text)
    if m is None:
        return None
    body = m.group(1)
    return "".join(
        f"{_DIGITS.index(body[i]) * 4 + _DIGITS.index(body[i + 1]):x}"
        for i in range(0, len(body), 2)
    )


def strip_marker(text: str) -> str:
    return _MARKER.sub("", text)
