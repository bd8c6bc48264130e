"""Who "he" and "she" are: antecedents of attributed pronouns, and learned genders.

Computed lazily, once per article: sentence starts, and the gender each name
takes from the pronouns that refer back to it.
"""

from __future__ import annotations

import bisect

from bot.models import Span
from bot.nlp.quotes.names import Gender, Mention, Names, gender_of_first_name
from bot.nlp.quotes.patterns import GENDER_PRON_RE, SENT_END_RE
from bot.nlp.quotes.text import is_abbrev, starts_sentence
from bot.nlp.quotes.vocab import INTRO_WORDS

REACH = 2500
"""How far back (characters) a pronoun looks for its antecedent."""
LEAD_MAX = 200
"""The longest leading phrase before a subject ("At the shop, Tom said")."""


class Pronouns:
    """Resolves pronouns against the name index; quoted stretches are not narration."""

    def __init__(self, names: Names, newlines: list[int], quote_spans: list[Span]) -> None:
        self.names = names
        self.text = names.text
        self.newlines = newlines
        self.quote_spans = quote_spans
        self.quote_starts = [s for s, _ in quote_spans]
        self._sent_starts: list[int] | None = None
        self._learned: dict[str, Gender] | None = None

    def _sentences(self) -> list[int]:
        if self._sent_starts is None:
            text = self.text
            out = [0]
            for m in SENT_END_RE.finditer(text):
                if m.group(1) == "." and is_abbrev(text, m.start()):
                    continue
                out.append(m.end())
            out.extend(i + 1 for i in self.newlines)
            out.sort()
            self._sent_starts = out
        return self._sent_starts

    def _sentence_of(self, pos: int) -> int:
        return bisect.bisect_right(self._sentences(), pos) - 1

    def quoted(self, pos: int) -> bool:
        i = bisect.bisect_right(self.quote_starts, pos) - 1
        return i >= 0 and pos < self.quote_spans[i][1]

    def _subject_position(self, m: Mention) -> bool:
        """At the start of its sentence, or after a leading phrase (`At the shop, Tom said`)."""
        if starts_sentence(self.text, m.start):
            return True
        ss = self._sentences()[self._sentence_of(m.start)]
        lead = self.text[ss : m.start].rstrip()
        if not lead.endswith(",") or len(lead) > LEAD_MAX:
            return False
        fw = lead.split(" ", 1)[0].strip("\"“‘'(").lower()
        return fw in INTRO_WORDS

    def _fits(self, m: Mention, own: int, sent: int, want: str) -> str | None:
        """The canonical name of m if it can be the antecedent, else None."""
        if sent == own and not (not m.possessive and self._subject_position(m)):
            return None
        if self.quoted(m.start) or not self.names.person_like(m):
            return None
        name = self.names.canonical(m)
        if want:
            g = self.gender_of(name)
            if g and g != want:
                return None
        return name

    def _candidate(self, pos: int, want: str, *, learn: bool = False) -> str | None:
        """Hobbs-style antecedent of a pronoun at pos.

        In the pronoun's own sentence only a subject before it counts ("Kim said … and
        she added"); otherwise the nearest earlier sentence with a fitting person wins,
        and within it the leftmost person (the subject usually comes first).
        """
        mentions = self.names.mentions
        own = self._sentence_of(pos)
        lo = max(0, pos - REACH)
        i = self.names.before(pos)
        best: str | None = None
        best_sent = -1
        poss: str | None = None
        poss_sent = -1
        while i >= 0 and mentions[i].start >= lo:
            m = mentions[i]
            i -= 1
            sent = self._sentence_of(m.start)
            if best is not None and sent != best_sent:
                break
            if poss is not None and best is None and sent != poss_sent:
                return poss
            if learn and own - sent > 1:
                break
            name = self._fits(m, own, sent, want)
            if name is None:
                continue
            if m.possessive:
                if poss is None or poss_sent == sent:
                    poss, poss_sent = name, sent
                continue
            best, best_sent = name, sent
            if sent == own:
                break
        if best is None and poss is not None:
            return poss
        return best

    def _learned_genders(self) -> dict[str, Gender]:
        """Gender learned from he/she pronouns that refer back to a name in the text."""
        if self._learned is None:
            self._learned = {}
            votes: dict[str, list[int]] = {}
            for pm in GENDER_PRON_RE.finditer(self.text):
                if self.quoted(pm.start()):
                    continue
                name = self._candidate(pm.start(), "", learn=True)
                if name is None:
                    continue
                v = votes.setdefault(name, [0, 0])
                v[0 if pm.group().lower() == "he" else 1] += 1
            for name, (he, she) in votes.items():
                if he >= 2 * she and he:
                    self._learned[name] = "m"
                elif she >= 2 * he and she:
                    self._learned[name] = "f"
        return self._learned

    def gender_of(self, name: str) -> Gender:
        gender = self.names.gender
        g = gender.get(name, "") or gender_of_first_name(name)
        if g:
            return g
        g = gender.get(name.split()[-1], "")
        if g:
            return g
        return self._learned_genders().get(name, "")

    def antecedent(self, pos: int, pronoun: str, speakers: list[tuple[int, str]]) -> str | None:
        """The person a he/she attribution refers to; the latest fitting speaker if none."""
        want = "m" if pronoun == "he" else "f" if pronoun == "she" else ""
        name = self._candidate(pos, want)
        if name is not None:
            return name
        for p, name in reversed(speakers):
            if p < pos:
                g = self.gender_of(name)
                if not (want and g and g != want):
                    return name
        return None
