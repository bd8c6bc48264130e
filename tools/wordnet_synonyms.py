"""Write bot/nlp/lexicon/synonyms.txt from WordNet 3.0 (run by hand; never at run time).

The answerer matches a question's words to an article's through their synonyms
("capture" finds "arrest", "college" finds "university"). A general thesaurus
would make unanswerable questions look answerable, so only a word's common
meanings are kept:

* a word's first two senses, and only senses attested in SemCor (WordNet's
  ``tagsense_cnt``): the meanings people mostly mean;
* a synonym shares that sense *and* has it among its own first three senses,
  attested in SemCor too (so "film" gives "movie", but no rare sense brings in
  a word nobody would type);
* single words only, letters only; and the nouns and verbs derived from the
  word in that sense (WordNet's ``+`` pointers between nouns and verbs:
  "repay" and "repayment", "elect" and "election").

Input: the WordNet 3.0 database as Debian's ``wordnet-base`` installs it
(/usr/share/wordnet: index.* and data.* files, Princeton's own format).
Run: python tools/wordnet_synonyms.py [/usr/share/wordnet] > bot/nlp/lexicon/synonyms.txt
     python tools/wordnet_synonyms.py organisations|roles   (the words whose commonest
     sense is a kind of organisation, or of leader, official, spokesperson, head,
     professional or expert: the answers tags of organisations.txt and titles.txt)
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

POS = {"noun": "n", "verb": "v", "adj": "a"}
SENSES = 2  # a word's senses kept, most frequent first
THEIR_SENSES = 3  # a synonym must have the sense among its own first this many
WORD = re.compile(r"[a-z]{3,}")

HEADER = """\
# Synonyms between how people ask and how reporters write ("capture" and "arrest"),
# from WordNet 3.0: each word's common senses only (see tools/wordnet_synonyms.py, which
# writes this file; edit that, not this). Each line: word=synonym,synonym (lower case).
# Read by bot/nlp/answers, where a synonym counts less than the word itself.
# Source: WordNet 3.0, Princeton University (Debian package wordnet-base).
# WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.
# THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO
# REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT
# LIMITATION, PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF
# MERCHANTABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED
# SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS,
# COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS. The name of Princeton University or Princeton
# may not be used in advertising or publicity pertaining to distribution of the software
# and/or database. Title to copyright in this software, database and any associated
# documentation shall at all times remain with Princeton University and LICENSEE agrees
# to preserve same."""


def _index(root: Path, pos: str) -> dict[str, list[tuple[str, int]]]:
    """lemma -> its synset offsets, most frequent sense first, with the tagged-sense count."""
    out: dict[str, list[tuple[str, int]]] = {}
    for line in (root / f"index.{pos}").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        f = line.split()
        lemma, n_synsets, n_ptrs = f[0], int(f[2]), int(f[3])
        tagged = int(f[5 + n_ptrs])
        offsets = f[6 + n_ptrs : 6 + n_ptrs + n_synsets]
        out[lemma] = [(o, tagged) for o in offsets]
    return out


Data = dict[str, tuple[list[str], list[tuple[str, str, int, int]]]]


def _data(root: Path, pos: str) -> Data:
    """offset -> (words, derivations as (target offset, target pos, source no, target no))."""
    out: Data = {}
    for line in (root / f"data.{pos}").read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        f = line.split(" | ")[0].split()
        n_words = int(f[3], 16)
        words = [f[4 + 2 * k].lower() for k in range(n_words)]
        at = 4 + 2 * n_words
        n_ptrs = int(f[at])
        ptrs = []
        for k in range(n_ptrs):
            sym, off, tpos, st = f[at + 1 + 4 * k : at + 5 + 4 * k]
            if sym == "+":
                ptrs.append((off, tpos, int(st[:2], 16), int(st[2:], 16)))
        out[f[0]] = (words, ptrs)
    return out


def synonyms(root: Path) -> dict[str, set[str]]:
    index = {p: _index(root, name) for name, p in POS.items()}
    data = {p: _data(root, name) for name, p in POS.items()}
    out: dict[str, set[str]] = defaultdict(set)
    for p in POS.values():
        for lemma, senses in index[p].items():
            if not WORD.fullmatch(lemma):
                continue
            for rank, (offset, tagged) in enumerate(senses[:SENSES]):
                if rank >= max(tagged, 1):
                    break  # a sense SemCor never saw is no common meaning
                words, ptrs = data[p][offset]
                for w in words:
                    theirs = index[p].get(w, [])[:THEIR_SENSES]
                    common = [o for k, (o, t) in enumerate(theirs) if k < t]
                    if w != lemma and WORD.fullmatch(w) and offset in common:
                        out[lemma].add(w)
                source = words.index(lemma) + 1 if lemma in words else 0
                for toff, tpos, src, tgt in ptrs:
                    if src == source and source and {p, tpos} == {"n", "v"}:
                        w = data[tpos][toff][0][tgt - 1]
                        if w != lemma and WORD.fullmatch(w):
                            out[lemma].add(w)
    return out


def _hyponyms(root: Path, offsets: list[str], depth: int) -> set[str]:
    """Synsets under ``offsets`` (nouns), down to ``depth`` levels, the roots included."""
    raw: dict[str, list[str]] = {}
    for line in (root / "data.noun").read_text(encoding="latin-1").splitlines():
        if not line.startswith(" "):
            f = line.split(" | ")[0].split()
            raw[f[0]] = f
    seen, level = set(offsets), list(offsets)
    for _ in range(depth):
        nxt = []
        for off in level:
            f = raw[off]
            at = 4 + 2 * int(f[3], 16)
            for k in range(int(f[at])):
                sym, target = f[at + 1 + 4 * k], f[at + 2 + 4 * k]
                if sym == "~" and target not in seen:  # kinds, not instances (no "NATO")
                    seen.add(target)
                    nxt.append(target)
        level = nxt
    return seen


def kind_words(root: Path, heads: list[str], depth: int) -> list[str]:
    """Single words one of whose common noun senses (as for synonyms) lies under ``heads``:
    words that name an organisation ("agency", "union") or a role ("spokesman")."""
    index = _index(root, "noun")
    roots = []
    for h in heads:  # "body#2": the second sense of "body"
        word, _, sense = h.partition("#")
        roots.append(index[word][int(sense or 1) - 1][0])
    under = _hyponyms(root, roots, depth)
    return sorted(
        w
        for w, senses in index.items()
        if WORD.fullmatch(w)
        and any(
            off in under for k, (off, tagged) in enumerate(senses[:SENSES]) if k < max(tagged, 1)
        )
    )


# The noun synsets whose hyponyms are organisation words, and role words.
ORGANISATION_HEADS = [
    "organization",
    "institution",
    "company",
    "financial_institution",
    "administrative_unit",
    "body#2",
]
ROLE_HEADS = [
    "leader",
    "official",
    "spokesperson",
    "head",
    "professional",
    "expert",
    "scientist",
    "presiding_officer",
    "military_officer",
]


DEPTH = {"organisations": 5, "roles": 3}  # how far under the heads a kind may lie
KIND_HEADERS = {
    "organisations": "# Words that name a kind of organisation (agency, union, council): a\n"
    "# capitalised phrase holding one is a body, not a person or a place, and the body someone\n"
    "# speaks"
    " for describes them. Words one of whose two commonest senses in WordNet 3.0 lies up to\n"
    "# five levels under: {heads}\n# (tools/wordnet_synonyms.py organisations writes this file).\n"
    "# Read by bot/nlp/answers.",
    "roles": "# Words for a role a person is described by (minister, spokesman, coach, lawyer).\n"
    "# Words one of whose two commonest senses in WordNet 3.0 lies up to three levels under:\n"
    "# {heads}\n# (tools/wordnet_synonyms.py roles writes this file).\n"
    "# Read by bot/nlp/answers.",
}


def main() -> None:
    args = sys.argv[1:]
    kind = args.pop(0) if args and args[0] in {"organisations", "roles"} else "synonyms"
    root = Path(args[0] if args else "/usr/share/wordnet")
    if kind != "synonyms":
        heads = ORGANISATION_HEADS if kind == "organisations" else ROLE_HEADS
        what = KIND_HEADERS[kind].format(heads=", ".join(heads))
        print(what + "\n" + "\n".join(HEADER.splitlines()[4:]))
        print("\n".join(kind_words(root, heads, depth=DEPTH[kind])))
        return
    found = synonyms(root)
    print(HEADER)
    for lemma in sorted(found):
        if found[lemma]:
            print(f"{lemma}={','.join(sorted(found[lemma]))}")


if __name__ == "__main__":
    main()
