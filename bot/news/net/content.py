"""Bounded content decoding: gzip and deflate undone a slice at a time.

httpx decodes each network chunk in one go (a 64 KB gzip chunk can expand to ~64 MB,
brotli far more), so the fetcher reads raw bytes and decodes them here, never more
than ``OUT_CHUNK`` bytes per step, and checks its limits between steps.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from bot.news.net.errors import BadResponseError

OUT_CHUNK = 64 * 1024  # most decompressed bytes produced per step, so memory stays bounded


class Identity:
    """No Content-Encoding: the bytes as they came."""

    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data


class ZlibDecoder:
    """gzip/deflate decoding that never produces more than OUT_CHUNK bytes per step
    (zlib's ``max_length``)."""

    def __init__(self, wbits: int, *, fallback_wbits: int | None = None, multi: bool = False):
        self._wbits = wbits
        self._obj = zlib.decompressobj(wbits)
        self._fallback = fallback_wbits  # deflate: zlib-wrapped per RFC, raw in practice
        self._multi = multi  # gzip may hold several members back to back
        self._started = False
        self._done = False

    def _step(self, data: bytes) -> bytes:
        try:
            out = self._obj.decompress(data, OUT_CHUNK)
        except zlib.error:
            if self._fallback is None or self._started:
                raise
            self._wbits, self._fallback = self._fallback, None
            self._obj = zlib.decompressobj(self._wbits)
            out = self._obj.decompress(data, OUT_CHUNK)
        self._started = True
        return out

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while not self._done:
            out = self._step(pending)
            pending = self._obj.unconsumed_tail
            if out:
                yield out
            if self._obj.eof:
                rest = self._obj.unused_data
                if self._multi and rest.strip(b"\x00"):
                    self._obj = zlib.decompressobj(self._wbits)
                    pending = rest
                    continue
                self._done = True  # trailing bytes after the stream are ignored
                return
            if not pending and len(out) < OUT_CHUNK:
                return  # input used up and nothing left buffered inside zlib


def decoder_for(content_encoding: str | None) -> Identity | ZlibDecoder:
    codings = [
        c.strip().lower()
        for c in (content_encoding or "").split(",")
        if c.strip().lower() not in ("", "identity")
    ]
    if not codings:
        return Identity()
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip"):
        return ZlibDecoder(16 + zlib.MAX_WBITS, multi=True)
    if len(codings) == 1 and codings[0] == "deflate":
        return ZlibDecoder(zlib.MAX_WBITS, fallback_wbits=-zlib.MAX_WBITS)
    raise BadResponseError(
        f"the server used a compression we did not ask for and cannot read: {content_encoding}"
    )
