"""Is this the same story? MinHash over shingles, plus title and entity overlap.

A small hand-rolled MinHash rather than ``datasketch``: that library pulls in scipy
for features we do not use, and we need the signature as stable bytes (blake2b, not
Python's salted ``hash``) to store it; the whole thing is ~30 lines. The permutations
run in numpy (exact 61-bit modular arithmetic, the same values as Python integers
give): pure Python took ~5 ms an article, the most of storing one.

Two signals, because they catch different things:

* word 5-shingles of title + lead (MinHash, LSH bands as lookup keys) find copies:
  wire stories run by several outlets, light edits;
* title terms and named entities (capitalised words) find rewrites: two outlets
  telling the same event in their own words share names and title words but
  almost no 5-shingles.

Thresholds were tuned on hand-written pairs in ``tests/test_store.py``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.nlp import lexicon
from bot.nlp.lexicon import light_stem, word_pattern

NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: candidate pairs from a Jaccard of ~0.5
ROWS = NUM_PERM // BANDS
SHINGLE = 5
LEAD_WORDS = 150  # lead length compared; later paragraphs drift between rewrites

KEY_BAND, KEY_TITLE, KEY_ENTITY = 1, 2, 3

JACCARD_SAME = 0.5  # estimated shingle Jaccard from which two texts are copies

_MERSENNE = (1 << 61) - 1
_MAX32 = (1 << 32) - 1


def _perm_params() -> list[tuple[int, int]]:
    out = []
    for i in range(NUM_PERM):
        d = hashlib.blake2b(f"newsbrief-minhash-{i}".encode(), digest_size=16).digest()
        a = int.from_bytes(d[:8], "little") % (_MERSENNE - 1) + 1
        b = int.from_bytes(d[8:], "little") % _MERSENNE
        out.append((a, b))
    return out


_PERMS = _perm_params()

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    _U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class _Tables:
    np: Any  # the numpy module
    m: Any  # 2**61 - 1
    b: Any  # the permutations' b and the two halves of a, a row per permutation
    a_hi: Any
    a_lo: Any
    low29: Any


@functools.cache
def _tables() -> _Tables:
    """numpy and the permutations as arrays, made on first use: numpy takes ~0.1 s to
    import, and a command that only reads the store (``newsbrief brief``) never hashes."""
    import numpy as np

    a = np.array([a for a, _ in _PERMS], dtype=np.uint64)[:, None]
    b = np.array([b for _, b in _PERMS], dtype=np.uint64)[:, None]
    hi, lo = a >> np.uint64(32), a & np.uint64(_MAX32)
    return _Tables(np, np.uint64(_MERSENNE), b, hi, lo, np.uint64((1 << 29) - 1))


_WORD = word_pattern("'’")  # contractions whole; hyphenated words split
_CAP = re.compile(r"\b[A-Z][\w’'-]*[\w]|\b[A-Z]\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;][\"”’)]*\s+|[\"“‘(]|\n\s*)$")

STOPWORDS = lexicon.words("story_stop_words")
# Capitalised words that are not names: sentence openers, titles, days and months.
_NOT_ENTITIES = (
    STOPWORDS
    | lexicon.words("titles", "similarity")
    | lexicon.words("days")
    | lexicon.words("months")
    | lexicon.words("sentence_openers")
)


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def content_terms(text: str) -> set[str]:
    return {light_stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 2}


def entities(text: str) -> set[str]:
    """Capitalised words not at a sentence start, lower-cased: names, places, bodies."""
    found: set[str] = set()
    for m in _CAP.finditer(text):
        if _SENTENCE_START.search(text[max(0, m.start() - 4) : m.start()]):
            continue
        token = m.group(0).lower().replace("’", "'").removesuffix("'s")
        if token in _NOT_ENTITIES or len(token) < 2:
            continue
        found.add(token)
    return found


def _h64(data: str) -> int:
    return int.from_bytes(hashlib.blake2b(data.encode(), digest_size=8).digest(), "little")


def _mod_m(x: _U64) -> _U64:
    """``x % (2**61 - 1)`` for any uint64 ``x``: 2**61 = 1 modulo a Mersenne prime."""
    t = _tables()
    x = (x & t.m) + (x >> t.np.uint64(61))
    return t.np.where(x >= t.m, x - t.m, x)  # type: ignore[no-any-return]


def _permuted(hashes: _U64) -> _U64:
    """``(a * h + b) % 2**61-1`` for every permutation (row) and hash (column), exactly.

    With ``a, h < 2**61`` split at bit 32, every partial product fits 64 bits:
    a*h = hi*2**64 + mid*2**32 + lo, and modulo 2**61-1, 2**64 = 8 and
    mid*2**32 = (mid >> 29) + (mid & (2**29-1))*2**32."""
    t = _tables()
    np = t.np
    h = _mod_m(hashes)[None, :]  # a*h = a*(h mod m) modulo m
    h_hi, h_lo = h >> np.uint64(32), h & np.uint64(_MAX32)
    lo = t.a_lo * h_lo  # < 2**64
    mid = t.a_hi * h_lo + t.a_lo * h_hi  # < 2**62
    hi = t.a_hi * h_hi  # < 2**58
    total = (
        _mod_m(lo)
        + (mid >> np.uint64(29))
        + ((mid & t.low29) << np.uint64(32))
        + (hi << np.uint64(3))
    )  # < 2**63
    return _mod_m(_mod_m(total) + t.b)


def _shingles(tokens: list[str]) -> set[str]:
    if len(tokens) < SHINGLE:
        return {" ".join(tokens)} if tokens else {""}
    return {" ".join(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1)}


def minhash(tokens: list[str]) -> list[int]:
    np = _tables().np
    shingles = _shingles(tokens)
    hashes = np.fromiter((_h64(s) for s in shingles), dtype=np.uint64, count=len(shingles))
    return [int(v) for v in (_permuted(hashes) & np.uint64(_MAX32)).min(axis=1)]


def minhash_reference(tokens: list[str]) -> list[int]:
    """``minhash`` in plain Python integers: what the numpy version must equal."""
    hashes = [_h64(s) for s in _shingles(tokens)]
    return [min(((a * h + b) % _MERSENNE) & _MAX32 for h in hashes) for a, b in _PERMS]


def pack(sig: list[int]) -> bytes:
    return struct.pack(f"<{NUM_PERM}I", *sig)


def unpack(data: bytes) -> list[int]:
    return list(struct.unpack(f"<{NUM_PERM}I", data))


def jaccard_estimate(a: list[int], b: list[int]) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / NUM_PERM


def _key(kind: int, value: str) -> int:
    """A signed 64-bit key (fits BIGINT) for one band, title term or entity."""
    d = hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(d, "little", signed=True)


@dataclass(frozen=True)
class Fingerprint:
    """Everything clustering needs about one article, computed once at ingest."""

    signature: list[int]
    title: frozenset[str]
    entities: frozenset[str]
    lead: frozenset[str]

    def keys(self) -> dict[int, int]:
        """Lookup key -> kind; a shared key makes two articles candidates."""
        return dict(self._keys)

    @functools.cached_property
    def _keys(self) -> dict[int, int]:  # asked for by the story lock, the scan and the store
        out: dict[int, int] = {}
        for band in range(BANDS):
            rows = self.signature[band * ROWS : (band + 1) * ROWS]
            out[_key(KEY_BAND, f"{band}:{','.join(map(str, rows))}")] = KEY_BAND
        for term in self.title:
            out[_key(KEY_TITLE, term)] = KEY_TITLE
        for ent in self.entities:
            out[_key(KEY_ENTITY, ent)] = KEY_ENTITY
        return out

    def features(self) -> dict[str, Any]:
        return {
            "title": sorted(self.title),
            "entities": sorted(self.entities),
            "lead": sorted(self.lead),
        }

    @classmethod
    def load(cls, packed: bytes, features: dict[str, Any]) -> Fingerprint:
        return cls(
            signature=unpack(packed),
            title=frozenset(features.get("title", ())),
            entities=frozenset(features.get("entities", ())),
            lead=frozenset(features.get("lead", ())),
        )


def _lead(text: str) -> str:
    """The text up to its LEAD_WORDS-th word, line breaks kept (they end sentences)."""
    for i, m in enumerate(_WORD.finditer(text)):
        if i == LEAD_WORDS:
            return text[: m.start()]
    return text


def _title_entities(title: str, lead_entities: set[str]) -> set[str]:
    """Names in a headline; in Title Case Headlines only those the lead confirms."""
    found = entities(". " + title)
    ws = _WORD.findall(title)
    if ws and sum(w[0].isupper() for w in ws) / len(ws) > 0.6:
        found &= lead_entities
    return found


@functools.lru_cache(maxsize=256)
def fingerprint(title: str | None, text: str | None) -> Fingerprint:
    """The article's fingerprint; kept for the last few hundred articles, because storing
    one asks up to three times (before the write lock, the story lock of
    ``bot.store.story_locks``, then clustering), and ``Store.upsert_articles`` computes
    a whole batch's before it takes the lock."""
    title = title or ""
    lead_text = _lead(text or "")
    lead_tokens = words(lead_text)
    lead_entities = entities(lead_text)
    return Fingerprint(
        signature=minhash(words(title) + lead_tokens),
        title=frozenset(content_terms(title)),
        entities=frozenset(lead_entities | _title_entities(title, lead_entities)),
        lead=frozenset(light_stem(w) for w in lead_tokens if w not in STOPWORDS and len(w) > 2),
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How sure we are that two articles tell the same story, 0..1."""
    copy = jaccard_estimate(a.signature, b.signature)
    if copy >= JACCARD_SAME:
        return 1.0
    shared_entities = len(a.entities & b.entities)
    rewrite = (
        0.35 * _overlap(a.title, b.title)
        + 0.40 * _jaccard(a.entities, b.entities)
        + 0.25 * _jaccard(a.lead, b.lead)
    )
    if shared_entities < 2:  # same words but no shared names: not enough to merge
        rewrite *= 0.5
    return max(copy, rewrite)


SAME_STORY = 0.30  # similarity from which an article joins a candidate's cluster
