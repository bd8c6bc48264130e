"""The capitalised name mentions of an article, indexed for speaker resolution.

A mention is a run of capitalised words read as a possible person ("Donald
Trump", "Mrs Clinton", "Kim’s"). The index answers what attribution asks: which
mentions start in a stretch, which one ends at an offset, whether one is a
person rather than a place or an organisation, and the fullest form of a name.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

from bot.nlp.quotes.patterns import CAPSEQ_RE
from bot.nlp.quotes.vocab import (
    ABBREVIATIONS,
    BREAK,
    FEMALE_NAMES,
    FEMALE_TITLES,
    MALE_NAMES,
    MALE_TITLES,
    NONPERSON,
    ORG_WORDS,
    PERSON_OK,
    PLACE_OF,
    PLACE_PREPS,
    ROLE_BEFORE,
    TITLES,
)

Gender = Literal["m", "f", ""]
SUFFIXES = frozenset(["jr", "sr", "ii", "iii"])
"""Generational suffixes, dropped from a name ("Donald Trump Jr.")."""
MAX_NAME_TOKENS = 4
"""A longer capitalised run is a headline or an organisation, not a person (particles
such as "da" in "Luiz Inácio Lula da Silva" are not counted)."""


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    tokens: tuple[str, ...]
    possessive: bool
    titled: bool
    gender: Gender  # "" when neither a title nor a first name tells
    subject: bool = False
    org: bool = False  # modifies a role + name: "Rovers" in "Rovers manager Elena Costa"


def _clean_token(tok: str) -> str:
    return tok.rstrip(".") if len(tok) > 2 and not re.fullmatch(r"(?:[A-Z]\.)+", tok) else tok


def _is_suffix(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    return len(short) <= len(long) and long[len(long) - len(short) :] == short


def gender_of_first_name(name: str) -> Gender:
    """The gender a multi-word name's first name tells, or ""."""
    if " " not in name:
        return ""
    first = name.split()[0].lower()
    if first in FEMALE_NAMES:
        return "f"
    if first in MALE_NAMES:
        return "m"
    return ""


def _ends_sentence(tok: str) -> bool:
    """A full stop after a word that is no abbreviation or initial ends the sentence."""
    if not tok.endswith(".") or len(tok) <= 2 or re.fullmatch(r"(?:[A-Z]\.)+", tok):
        return False
    low = tok[:-1].lower()
    return low not in ABBREVIATIONS and low not in TITLES and low not in SUFFIXES


def _possessive_cut(raw: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], bool]:
    """A possessive ends the name: "Kim’s sister" -> "Kim’s"."""
    for idx, (_, tok) in enumerate(raw):
        if tok.endswith(("’s", "'s", "’", "'")) and len(tok) > 2:
            return raw[: idx + 1], True
    return raw, False


class Names:
    """Capitalised name mentions of an article, indexed for speaker resolution."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.mentions: list[Mention] = []
        self.counts: dict[str, int] = {}
        # Distinct multi-word forms per last / first token, with counts (first-seen order).
        self.full: dict[str, dict[tuple[str, ...], int]] = {}
        self.first_tok: dict[str, dict[tuple[str, ...], int]] = {}
        self.where: dict[tuple[str, ...], list[int]] = {}
        self._forms: dict[tuple[str, ...], list[tuple[tuple[str, ...], list[int]]]] = {}
        self.gender: dict[str, Gender] = {}
        self.speaker_keys: set[str] = set()
        self.places: set[str] = set()
        self.titled_keys: set[str] = set()
        self.person_keys: set[str] = set()
        for m in CAPSEQ_RE.finditer(text):
            chunk: list[tuple[int, str]] = []
            for t in re.finditer(r"\S+", m.group()):
                if t.group().lower() in BREAK:
                    if chunk:
                        self._add(chunk)
                    chunk = []
                else:
                    chunk.append((m.start() + t.start(), t.group()))
                    if _ends_sentence(t.group()):
                        self._add(chunk)  # "…met with Sanders. Lombardi said": two names
                        chunk = []
            if chunk:
                self._add(chunk)
        self.starts = [m.start for m in self.mentions]
        self._read_word_before()
        self._count()

    def _read_word_before(self) -> None:
        """Role words make persons ("striker Kofi Mensah"), place prepositions places."""
        text = self.text
        prev_m: Mention | None = None
        for mt in self.mentions:
            # The word before the mention, by plain string ops (this runs per mention).
            j = mt.start - 1
            if j > 1 and text[j] == " ":
                k = text.rfind(" ", max(0, j - 20), j)
                word = text[k + 1 : j]
                if word in ROLE_BEFORE:
                    # What comes right before the role is an organisation ("Rovers manager").
                    mt.titled = True
                    if prev_m is not None and prev_m.end == k:
                        prev_m.org = True
                elif (
                    len(mt.tokens) == 1
                    and word in PLACE_PREPS
                    and (word != "of" or text[max(0, k - 8) : k].split(" ")[-1] in PLACE_OF)
                ):
                    self.places.add(mt.tokens[0])
            prev_m = mt

    def _count(self) -> None:
        for mt in self.mentions:
            key = mt.tokens[-1]
            if mt.titled:
                self.titled_keys.add(key)
            if (
                len(mt.tokens) >= 2
                and not mt.org
                and not any(w.lower() in ORG_WORDS for w in mt.tokens)
            ):
                self.person_keys.add(key)
                self.person_keys.add(next(w for w in mt.tokens if not w.islower()))
            self.counts[key] = self.counts.get(key, 0) + 1
            if len(mt.tokens) >= 2:
                forms = self.full.setdefault(key, {})
                forms[mt.tokens] = forms.get(mt.tokens, 0) + 1
                self.where.setdefault(mt.tokens, []).append(mt.start)
                firsts = self.first_tok.setdefault(mt.tokens[0], {})
                firsts[mt.tokens] = firsts.get(mt.tokens, 0) + 1
            if mt.gender:
                self.gender.setdefault(" ".join(mt.tokens), mt.gender)
                self.gender.setdefault(key, mt.gender)

    def _add(self, raw: list[tuple[int, str]]) -> None:
        raw, possessive = _possessive_cut(raw)
        toks: list[tuple[int, str]] = []
        titled = False
        gender: Gender = ""
        for off, tok in raw:
            base = tok
            if possessive and (off, tok) == raw[-1]:
                base = re.sub(r"(?:['’]s|['’])$", "", tok)
            low = base.lower().rstrip(".")
            if low in TITLES and not (toks and len(toks) >= 2):
                titled = True
                if low in FEMALE_TITLES:
                    gender = "f"
                elif low in MALE_TITLES:
                    gender = "m"
                toks = []
                continue
            if not toks and low in NONPERSON and low not in PERSON_OK:
                continue
            if low in SUFFIXES:
                continue
            toks.append((off, base))
        while toks and toks[-1][1].lower().rstrip(".") in NONPERSON:
            if len(toks) == 1:
                break
            toks.pop()
        while toks and toks[0][1][:1].islower() and len(toks) > 1 and toks[1][1][:1].islower():
            toks.pop(0)  # "Mayor" dropped from "Mayor de la Cruz" leaves the particles first
        capitalised = sum(1 for _, t in toks if not t.islower())
        if not capitalised or capitalised > MAX_NAME_TOKENS:
            return
        words = tuple(_clean_token(t) for _, t in toks)
        if all(w.lower().rstrip(".") in NONPERSON for w in words):
            return
        if not gender and len(words) >= 2:
            gender = gender_of_first_name(" ".join(words))
        s = toks[0][0]
        e = toks[-1][0] + len(toks[-1][1])
        if e > s and self.text[e - 1] == "." and len(toks[-1][1]) > 2:
            e -= 1
        self.mentions.append(Mention(s, e, words, possessive, titled, gender))

    def at(self, start: int, end: int) -> list[Mention]:
        """Mentions starting inside [start, end)."""
        i = bisect.bisect_left(self.starts, start)
        out: list[Mention] = []
        while i < len(self.mentions) and self.mentions[i].start < end:
            out.append(self.mentions[i])
            i += 1
        return out

    def ending_at(self, end: int) -> Mention | None:
        i = bisect.bisect_right(self.starts, end) - 1
        while i >= 0 and self.mentions[i].start >= end - 200:
            m = self.mentions[i]
            if m.end == end or (m.end < end and self.text[m.end : end].strip() in ("", ".")):
                return m
            if m.end < end - 1:
                return None
            i -= 1
        return None

    def before(self, pos: int) -> int:
        """Index of the last mention starting before pos (-1 if none)."""
        return bisect.bisect_left(self.starts, pos) - 1

    def person_like(self, m: Mention) -> bool:
        if m.org:
            return False
        key = m.tokens[-1]
        if m.titled or m.subject or key in self.speaker_keys:
            return True
        if all(w.isupper() and len(w) > 1 for w in m.tokens):
            return False
        if any(w.lower() in ORG_WORDS for w in m.tokens):
            return False
        if len(m.tokens) >= 2:
            return not any(w.lower().rstrip(".") in NONPERSON for w in m.tokens[1:])
        if key in self.places and key not in self.titled_keys and not self.gender.get(key):
            return False  # "the Port of Kessington", "in Brenmouth"
        return key in self.person_keys

    def canonical(self, m: Mention) -> str:
        """Fullest form of the name the article uses for this mention ("Trump" -> "Donald Trump").

        When several people share the surname ("Bill Clinton", "Hillary Clinton"), a bare
        "Clinton" is the one named most recently before it (the next one named, if none
        was before): reporters name a second Clinton in full when they switch to them.
        A title's gender ("Mrs. Clinton") rules out the others.
        """
        tokens = m.tokens
        groups = self._forms_of(tokens)
        if not groups:
            return " ".join(self._hyphenated_form(tokens))
        if m.gender:
            fitting = [g for g in groups if self._gender_of_form(g[0]) in ("", m.gender)]
            if not fitting:
                return " ".join(tokens)
            groups = fitting
        before = [(max(p for p in g[1] if p < m.start), g[0]) for g in groups if g[1][0] < m.start]
        if before:
            return " ".join(max(before)[1])
        return " ".join(min((g[1][0], g[0]) for g in groups)[1])

    def _forms_of(self, tokens: tuple[str, ...]) -> list[tuple[tuple[str, ...], list[int]]]:
        """The longer forms of a name, one per person, each with where it is mentioned.

        Forms with the same first and last word are one person ("Donald J. Trump",
        "Donald Trump"): the most used of them names the person.
        """
        cached = self._forms.get(tokens)
        if cached is not None:
            return cached
        forms = {
            t: c for t, c in self.full.get(tokens[-1], {}).items()
            if len(t) > len(tokens) and _is_suffix(tokens, t)
        }  # fmt: skip
        people: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        for t in forms:
            people.setdefault((t[0], t[-1]), []).append(t)
        out: list[tuple[tuple[str, ...], list[int]]] = []
        for variants in people.values():
            best = max(variants, key=lambda t: (forms[t], len(t)))
            where = sorted(p for t in variants for p in self.where[t])
            out.append((best, where))
        self._forms[tokens] = out
        return out

    def _gender_of_form(self, form: tuple[str, ...]) -> Gender:
        name = " ".join(form)
        return self.gender.get(name, "") or gender_of_first_name(name)

    def _hyphenated_form(self, tokens: tuple[str, ...]) -> tuple[str, ...]:
        """ "Kim" -> "Kim Jong-un": a family name written first, given name hyphenated."""
        if len(tokens) != 1:
            return tokens
        key = tokens[0]
        firsts = self.first_tok.get(key, {})
        freq = {
            t: c
            for t, c in firsts.items()
            if "-" in "".join(t[1:]) and not self._relative_of(key, t)
        }
        if not freq:
            return tokens
        return max(freq, key=lambda c: (freq[c], len(c)))

    def _relative_of(self, key: str, full: tuple[str, ...]) -> bool:
        """ "Kim’s sister, Kim Yo-jong": the bare "Kim" is someone else, not her."""
        pattern = rf"\b{re.escape(key)}['’]s\b[^.]{{0,40}}?\b{re.escape(' '.join(full))}\b"
        return re.search(pattern, self.text) is not None
