"""The regular expressions quote extraction scans with, and the mark characters.

Compiled once at import; each is a linear scan over the article (no nested
quantifiers over unbounded text), which keeps extraction fast on long pages.
"""

from __future__ import annotations

import re

from bot.nlp.lexicon import word_pattern
from bot.nlp.quotes.vocab import JOINED_PARTICLES, OPENING_PARTICLES, PARTICLES

UP = "A-ZÀ-ÖØ-Þ"
"""Upper-case Latin letters (ASCII and Latin-1)."""
LO = "a-zß-öø-ÿ"
LETTER = f"{UP}{LO}"

_TOKEN = (
    rf"(?:(?:{JOINED_PARTICLES})-|Mc|Mac|O['’]|D['’])?[{UP}][{LETTER}]*(?:[-'’][{LETTER}]+)*\.?"
    rf"|[{UP}]\.(?:[{UP}]\.)+"
)
CAPSEQ_RE = re.compile(
    rf"(?<![\w’'-])(?:(?:{OPENING_PARTICLES})[ \t]+(?=[{UP}]))?(?:{_TOKEN})"
    rf"(?:[ \t]+(?:(?:{PARTICLES})[ \t]+){{0,2}}(?:{_TOKEN}))*"
)
"""A run of capitalised words, name particles allowed between them (up to two: "von der")
and before them ("de Blasio"): a name candidate."""

CUE_SCAN_RE = re.compile(
    r"(?<![\w’'-])(?:according to|went on|point(?:ed|s|ing)? out|put it|[A-Za-z]+)(?![\w’'-])",
    re.IGNORECASE,
)
"""A plain word scan filtered by the cue set: far faster than a 400-way alternation."""

WORD_RE = word_pattern("’'.-", letters=f"{LETTER}0-9", trailing=True)
"""Latin words keeping their trailing stops and hyphens ("Jr.", "U.S."): where a
speaker's phrase ends is measured with it."""

SENT_END_RE = re.compile(r"([.!?…]+)[\"”’')\]]*(?=\s+[\"“‘'(\[]?[" + UP + r"0-9])|[!?]\s")

# Opening/closing context for straight and curly marks.
DOUBLE_MARKS = re.compile(r"''(?!')|[\"“”]|\n")
SINGLE_MARKS = re.compile(r"[‘’']|\n")
SINGLE_OPEN_BEFORE = ' \t\n(—–-:[“"'
"""Characters after which a single mark may open a quote."""
CONTRACTIONS = re.compile(
    r"['‘](?:em|til|cause|n|tis|twas|bout|round|s|d|ll|re|ve|t|m|\d\d?s?)\b", re.IGNORECASE
)
MARK_CHARS = "\"“”'‘’"
FULL_START = ",:;—–-(\n"
"""Characters before an opening mark that let a full quote start there."""

SUBJECT_PRONOUNS = "he|she|they|it|I|we"
"""Pronouns that can be the speaker of a quote."""
GENDER_PRON_RE = re.compile(r"(?<![\w’'-])(?:[Hh]e|[Ss]he)(?![\w’'-])")
NP_AFTER_RE = re.compile(
    rf"\s*(?:(?P<pron>{SUBJECT_PRONOUNS})\b|(?P<det>(?:the|a|an|his|her|their|its|one|another)"
    r"\s+[^,.;:!?\"“”\n]{1,80}))",
)
"""What follows a cue: a pronoun or a noun phrase (`says he`, `said the senator`)."""
APPOSITIVE_RE = re.compile(r"\s*,\s*(?:who|whose|the|a|an|his|her|their|its)\b", re.I)
"""", who has run a bakery since 2008": narration that describes the speaker."""
DASH_RE = re.compile(r"[ \t]*(?:\n\s*)?(?:[-—–―]+|\n\s*-)\s*")
WORK_NOUN_RE = re.compile(
    r"(?<![\w’'-])(?:book|memoir|autobiography|biography|novel|film|movie|show|series|program|"
    r"programme|podcast|documentary|play|musical|album|song|column|op-ed|essay|ad|spot|"
    r"thriller|drama|comedy|sitcom|manifesto|exhibition|installation|opera|poem|painting|"
    r"titled|entitled|dubbed|slogan|headline|headlined|hashtag|called|named|nicknamed|told|on)"
    r"[ \t]*,?[ \t]*$",
    re.IGNORECASE,
)
"""A noun naming a work right before a quoted phrase: his new book, ''Doomed to Succeed''."""
