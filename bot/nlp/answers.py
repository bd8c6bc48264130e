"""Answers to follow-up questions, drawn only from the articles a thread covered.

No language model: lexical retrieval over sentences (BM25 over lemma+stem
terms), weighted by the evidence the kind of question needs — "what did X say"
looks for what X said (quotes and reported speech), "when" for dates and times,
"how many" for a number next to the counted noun, "why" for a causal marker
after the thing asked about, "where" for places, "who" for names. People are
found by name or by how the articles describe them ("the union leader", "Kim's
sister", "their boss"). When the best sentence does not cover the question well
enough, or lacks the evidence its kind needs, we say so and offer the links
instead of guessing.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import simplemma

from bot.models import Quote, Sentence
from bot.nlp.quotes import extract_quotes
from bot.nlp.summarize.document import stemmer, stop_words
from bot.nlp.text.article import article_sentences
from bot.nlp.text.clean import clean
from bot.nlp.text.sentences import words

# --------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class SourceArticle:
    id: str
    text: str
    url: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerSentence:
    text: str
    article_id: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    sentences: tuple[AnswerSentence, ...]
    confident: bool
    kind: str
    subject: str | None = None  # the person the question was about, for follow-ups
    links: tuple[tuple[str, str | None], ...] = ()  # (title, url) offered when unsure

    def to_record(self) -> dict[str, Any]:
        """What a thread remembers of an answer, for follow-ups after a restart."""
        return {
            "text": self.text,
            "confident": self.confident,
            "kind": self.kind,
            "subject": self.subject,
            "sentences": [
                {"text": s.text, "article_id": s.article_id, "url": s.url} for s in self.sentences
            ],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Answer:
        return cls(
            text=str(record.get("text", "")),
            sentences=tuple(
                AnswerSentence(str(s["text"]), str(s["article_id"]), s.get("url"))
                for s in record.get("sentences", [])
            ),
            confident=bool(record.get("confident")),
            kind=str(record.get("kind", "other")),
            subject=record.get("subject"),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "answer": self.text,
            "sentences": [
                {"text": s.text, "article_id": s.article_id, "url": s.url} for s in self.sentences
            ],
            "confident": self.confident,
        }


@dataclass(frozen=True, slots=True)
class Turn:
    question: str
    answer: Answer


# ------------------------------------------------------------ vocabulary

# Chat shorthand and dropped apostrophes, expanded before anything else.
_CHAT: dict[str, str] = {
    "ppl": "people",
    "ppls": "people",
    "govt": "government",
    "gov": "government",
    "bc": "because",
    "cos": "because",
    "cuz": "because",
    "coz": "because",
    "abt": "about",
    "tmrw": "tomorrow",
    "yr": "year",
    "yrs": "years",
    "ur": "your",
    "u": "you",
    "r": "are",
    "w/": "with",
    "ceo": "chief executive",
    "cfo": "chief financial officer",
    "pm": "prime minister",
    "couldnt": "could not",
    "didnt": "did not",
    "doesnt": "does not",
    "dont": "do not",
    "wont": "will not",
    "isnt": "is not",
    "wasnt": "was not",
    "werent": "were not",
    "arent": "are not",
    "cant": "cannot",
    "hasnt": "has not",
    "havent": "have not",
    "shouldnt": "should not",
    "wouldnt": "would not",
}
# Phrasal verbs people use where reporters write one word.
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(?:go|going|went|come|coming|came|get|getting|got|move|moving)\s+back\b", re.I
        ),
        "return",
    ),
    (re.compile(r"\bset\s+off\b", re.I), "trigger"),
    (re.compile(r"\bcall(?:ed)?\s+off\b", re.I), "cancel"),
]
_CHAT_RE = re.compile(r"(?<![\w$£€])(" + "|".join(map(re.escape, _CHAT)) + r")(?![\w])", re.I)

# Past forms the lemmatizer leaves alone ("broke" is also an adjective).
_IRREGULAR = {
    "broke": "break",
    "fell": "fall",
    "rose": "rise",
    "won": "win",
    "paid": "pay",
    "sold": "sell",
    "bought": "buy",
    "began": "begin",
    "begun": "begin",
    "held": "hold",
    "spoke": "speak",
    "ran": "run",
}

_KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "say",
        re.compile(
            r"\b(?:what|how)\s+(?:did|does|do|has|have|was|is|were)\s+(?P<who>.+?)\s+"
            r"(?:say|said|saying|tell|told|think|thought|claim|argue|mean|react|respond|"
            r"reply|add|warn|promise|comment|describe|call|joke)\b"
            r"|^\W*(?:and\s+)?(?:did|does|has|have)\s+(?P<who4>[\w’'.\- ]+?)\s+"
            r"(?:say|said|mention|comment|tell|warn|promise)\b"
            r"|\b(?P<who2>[\w’'.\- ]+?)['’]s\s+(?:reaction|response|comments?|words|quote|view)\b"
            r"|\bquote\s+(?:from|by)\s+(?P<who3>.+?)\s*\??$",
            re.IGNORECASE,
        ),
    ),
    (
        "when",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?when\b|\bwhat\s+(?:year|date|day|month|time)\b"
            r"|\bsince\s+when\b|\bhow\s+long\s+ago\b|\bwhich\s+(?:year|day|month)\b"
            r"|\bby\s+when\b|\bwhat\s+time\b",
            re.IGNORECASE,
        ),
    ),
    (
        "how_many",
        re.compile(
            r"\bhow\s+(?:many|much|long|far|big|large|old|high|fast|often|tall|deep|heavy)\b"
            r"|\bwhat\s+(?:(?:was|is|were|are|'s|’s)\s+)?(?:the\s+)?(?:\w+\s+)?"
            r"(?:percentage|share|number|amount|proportion|figure|price|cost|score|scoreline|"
            r"total|margin|size|age|budget|rate|height|level)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "effect",
        re.compile(
            r"\bhow\s+(?:well|effective|successful|good|bad)\b|\bdid\s+(?:it|the\s+\w+)\s+work\b",
            re.I,
        ),
    ),
    (
        "why",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?why\b|\bwhat\s+(?:caused|led\s+to|made)\b|\breason\b"
            r"|\bhow\s+come\b",
            re.I,
        ),
    ),
    ("who", re.compile(r"^\W*(?:and\s+)?(?:so\s+)?(?:who|whom|whose)\b", re.IGNORECASE)),
    (
        "where",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?where\b|\bwhich\s+(?:city|town|country|"
            r"place|street|road)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "yesno",
        re.compile(
            r"^\W*(?:and\s+)?(?:so\s+)?(?:did|does|do|is|are|was|were|has|have|had|can|could|"
            r"will|would|should)\b",
            re.IGNORECASE,
        ),
    ),
]

_QUESTION_WORDS = frozenset(
    "what when why how who whom whose where which did does do is are was were has have had "
    "say said says tell told think thought happen happened the a an about that this and "
    "any anything anyone anybody there many much long often well so come".split()
)
_PRONOUN_SUBJECT = re.compile(r"^(?:he|she|they|him|her|them|it)$", re.IGNORECASE)
_POSSESSIVE_PRONOUN = frozenset("their his her its our my your the a an".split())
_FOLLOW_UP = re.compile(
    r"^\W*(?:and|also|what\s+about|how\s+about|then|so)\b"
    r"|\b(?:he|she|they|him|her|them|their|his|its|that|it|those|these)\b",
    re.IGNORECASE,
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\b|\b(?:19|20)\d\d\b|\b(?:{_DAYS}|yesterday|today|tomorrow|tonight)\b"
    r"|\b(?:last|next|this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)\b"
    r"|\b\d+\s+(?:days?|weeks?|months?|years?)\s+(?:ago|earlier|later)\b|\bat\s+the\s+time\b"
    r"|\b\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)|\b(?:midnight|noon|midday)\b"
    r"|\b(?:morning|evening|afternoon|overnight)\b",
    re.IGNORECASE,
)
# "When was X last ..." is answered by "the first X since 2011" or "last ... in 2012".
_LAST_TIME = re.compile(
    r"\bsince\s+(?:\w+\s+){0,2}(?:19|20)\d\d\b|\blast\s+(?:\w+\s+){0,2}in\s+(?:\w+\s+)?(?:19|20)\d\d",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|"
    "hundreds?|thousands?|millions?|billions?|half|third|quarter|fifth|percent|per\\s+cent"
)
_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(
    r"^(?:[$£€]?\d[\d,.]*\w*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"dozens?|hundreds?|thousands?|millions?|billions?|half|third|quarter)$",
    re.IGNORECASE,
)
_VAGUE_NUMBER = re.compile(r"^(?:dozens|hundreds|thousands|millions|billions)$", re.I)
_MONEY = re.compile(
    r"[$£€]\s?\d|\b\d[\d,.]*\s*(?:million|billion|bn|m)?\s*(?:euros?|dollars?|pounds?|yen|yuan)\b",
    re.IGNORECASE,
)
_MONEY_QUESTION = re.compile(
    r"\bhow\s+much\b.*\b(?:cost|costs|costing|money|pay|paid|spend|spent|worth|price|fund|"
    r"funding|save|saving|budget|earn|earns|raise|raised|lose|lost|get|give|giving|receive)\b"
    r"|\bhow\s+much\s+(?:is|was|are|were|will|would|does|did)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\d\s*(?:%|percent|per\s+cent)|\bby\s+(?:a\s+)?(?:half|third|quarter)", re.I)
_STRONG_CAUSE = re.compile(
    r"\b(?:because|due\s+to|owing\s+to|as\s+a\s+result|caused|led\s+to|blam\w*|reason|"
    r"thanks\s+to|result(?:ed)?\s+(?:of|from)|so\s+that|in\s+order\s+to|after|following|"
    r"amid|when|since|refus\w*|over)\b",
    re.IGNORECASE,
)
_SPEECH_VERBS = (
    "said|says|told|tells|added|asked|insisted|insisting|warned|warns|argued|argues|claimed|"
    "joked|noted|mocked|called|described|hinted|hinting|praised|wrote|tweeted|stated|declared|"
    "announced|admitted|explained|urged|promised|rejected|denied|declined|conceded|estimated|"
    "expects|predicted|confirmed"
)
_SPEECH = re.compile(rf"\b(?:{_SPEECH_VERBS})\b", re.IGNORECASE)
_NAME = r"[A-Z][\w’'-]*\.?(?:\s+[A-Z][\w’'-]*){0,3}"
_NAME_THEN_VERB = re.compile(
    rf"(?P<name>{_NAME})(?:\s*,[^,.;“”\"]{{1,120}},|,)?\s+(?:\w+\s+)?(?:{_SPEECH_VERBS})\b"
)
_VERB_THEN_NAME = re.compile(rf"\b(?:{_SPEECH_VERBS})\s+(?P<name>{_NAME})")
# A sentence whose speaker is a pronoun or a description: "The Castlegate manager said".
_ANAPHORIC_SPEAKER = re.compile(
    r"^(?:[“\"‘'][^”\"’]*[”\"’],?\s*)?"
    r"(?P<np>he|she|they|(?:the|his|her|their)\s+[\w’'\- ]{1,40}?)"
    rf"\s+(?:(?:also|then|later|has|had|\w+ly)\s+)?(?:{_SPEECH_VERBS})\b|[”\"’],?\s+(?P<np2>he|she)\s+(?:{_SPEECH_VERBS})\b",
    re.IGNORECASE,
)
_PLACE = re.compile(
    r"\b(?:in|at|near|outside|from|across|around|on)\s+(?:the\s+)?"
    r"(?P<place>[A-Z][\w’'-]*(?:\s+[A-Z0-9][\w’'-]*)*"
    r"(?:(?:,\s*|\s+and\s+)[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)*)"
)
_PLACE_NOUN = re.compile(
    r"\b(?:centre|center|hall|halls|street|road|station|stadium|square|gate|plant|factory|"
    r"port|harbour|town|village|city|district|county|country|countries|region|border|line|"
    r"site|hospital|school|camp|shelter|based)\b",
    re.IGNORECASE,
)
_NOT_PLACE = re.compile(rf"^(?:{_MONTHS}|{_DAYS}|I|The|A)\b", re.IGNORECASE)
_ORGANISATION = re.compile(
    r"\b(?:Foundation|Company|Institute|University|Securities|Biologics|Authority|Union|"
    r"Council|Bank|Group|Agency|Service|Ministry|Journal|Insight|Inc|Ltd|Corp|Association)\b"
)
_ROLE_WORD = re.compile(
    r"\b(?:chief|executive|director|manager|minister|president|secretary|leader|chairman|"
    r"chair|head|spokes\w+|officer|founder|owner|captain|coach|substitute|striker|player|"
    r"researcher|scientist|professor|analyst|mayor|councillor|company|foundation|"
    r"university|institute|union|authority|council|government|police|firm)\b",
    re.IGNORECASE,
)

# Everyday paraphrases between how people ask and how reporters write. Small
# on purpose: lemmas and stems do the rest, and a general thesaurus would make
# unanswerable questions look answerable.
_PARAPHRASES: dict[str, tuple[str, ...]] = {
    "start": ("begin", "launch", "open"),
    "begin": ("start",),
    "end": ("finish", "close", "stop"),
    "finish": ("end",),
    "build": ("construction", "begin", "construct"),
    "open": ("opening", "start"),
    "cost": ("price", "spend", "billion", "million", "fund"),
    "die": ("death", "dead", "kill"),
    "death": ("die", "dead", "kill"),
    "kill": ("death", "dead", "die"),
    "win": ("won", "beat", "victory", "winner"),
    "lose": ("lost", "defeat"),
    "fan": ("spectator", "supporter", "crowd"),
    "boss": ("chief", "executive", "head", "leader"),
    "leader": ("head", "chief", "secretary", "chair", "general"),
    "head": ("chief", "leader"),
    "owner": ("own", "run"),
    "run": ("own",),
    "researcher": ("study", "scientist", "research"),
    "research": ("study", "scientist", "researcher"),
    "work": ("effective", "efficacy", "cut", "reduce"),
    "cheap": ("cost", "price"),
    "job": ("layoff", "redundancy", "worker", "staff"),
    "layoff": ("cut", "job"),
    "home": ("house", "return"),
    "talk": ("negotiation",),
    "negotiation": ("talk",),
    "card": ("send",),
    "hospital": ("hospitalise",),
    "money": ("fund", "funding", "million", "billion"),
    "evacuate": ("evacuation",),
    "score": ("goal",),
}

# ------------------------------------------------------------ terms and index


@lru_cache(maxsize=65536)
def _term(word: str, language: str = "english") -> str:
    """Lemma, then stem: "broke"/"break", "children"/"child" meet; snowball alone would not."""
    lower = word.lower()
    lower = _IRREGULAR.get(lower, lower)
    if language == "english":
        lower = simplemma.lemmatize(lower, lang="en")
    return str(stemmer(language)(lower))


def _normalise(text: str) -> str:
    """Chat shorthand expanded, curly apostrophes straightened."""
    text = text.replace("’", "'")
    text = _CHAT_RE.sub(lambda m: _CHAT[m.group(1).lower()], text)
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    return text


def _tokens(text: str) -> list[str]:
    """Words without possessive endings; hyphenated compounds also yield their parts."""
    out: list[str] = []
    for w in words(text):
        w = re.sub(r"['’]s$", "", w)
        if "-" in w and not w[0].isdigit():
            out.extend(p for p in w.split("-") if p)
        else:
            out.append(w)
    return out


def _stem_terms(text: str, language: str = "english") -> Counter[str]:
    stops = stop_words(language)
    return Counter(
        _term(w, language)
        for w in _tokens(text)
        if w.lower() not in stops and not (w.isdigit() and len(w) < 4)
    )


def _variants(term: str) -> list[tuple[str, float]]:
    """The term and its everyday paraphrases, with how much a paraphrase counts."""
    out = [(term, 1.0)]
    out.extend((_term(alt), 0.7) for alt in _PARAPHRASES.get(term, ()) if _term(alt) != term)
    return out


@dataclass(slots=True)
class _Person:
    name: str
    desc: dict[str, float] = field(default_factory=dict)  # term -> how closely it describes

    @property
    def surname(self) -> str:
        return self.name.split()[-1]

    def describe(self, text: str, weight: float) -> None:
        for t in _stem_terms(text):
            if self.desc.get(t, 0.0) < weight:
                self.desc[t] = weight


@dataclass(slots=True)
class _Indexed:
    article: SourceArticle
    sentences: list[Sentence]
    terms: list[Counter[str]]
    quotes: list[Quote]
    quote_sentence: dict[int, list[Quote]] = field(default_factory=dict)
    people: dict[str, _Person] = field(default_factory=dict)
    # sentence -> person -> how surely the sentence reports what that person said
    said: dict[int, dict[str, float]] = field(default_factory=dict)
    names: list[set[str]] = field(default_factory=list)  # people mentioned per sentence
    vocab: frozenset[str] = frozenset()  # every term the article uses
    lead: frozenset[str] = frozenset()  # the terms of its first two sentences


@lru_cache(maxsize=512)
def _index_cached(article_id: str, digest: str, text: str, url: str | None) -> _Indexed:
    doc = clean(text)
    sentences = article_sentences(doc)
    quotes = extract_quotes(text, skip=doc.removed)
    idx = _Indexed(
        SourceArticle(id=article_id, text=text, url=url),
        sentences,
        [_stem_terms(s.text) for s in sentences],
        quotes,
    )
    starts = [s.start for s in sentences]
    for q in quotes:
        # A quote belongs to every sentence it overlaps.
        i = max(0, bisect.bisect_right(starts, q.span[0]) - 1)
        while i < len(sentences) and sentences[i].start < q.span[1]:
            if q.span[0] < sentences[i].end:
                idx.quote_sentence.setdefault(i, []).append(q)
            i += 1
    _find_people(idx)
    idx.vocab = frozenset(t for c in idx.terms for t in c)
    idx.lead = frozenset(t for c in idx.terms[:2] for t in c)
    return idx


def _index(article: SourceArticle) -> _Indexed:
    digest = hashlib.blake2b(article.text.encode("utf-8", "replace"), digest_size=16).hexdigest()
    return _index_cached(article.id, digest, article.text, article.url)


# ------------------------------------------------------------ people


def _clean_name(raw: str, known_surnames: set[str]) -> str | None:
    """A capitalised run as a person's (or organisation's) name, or None."""
    stops = stop_words("english")
    toks = raw.split()
    while toks and (toks[0].lower() in stops or toks[0].lower() in _CHAT):
        toks = toks[1:]
    if not toks:
        return None
    if len(toks) == 1 and toks[0] not in known_surnames:
        return None
    if _DATE.fullmatch(toks[-1]):
        return None
    return " ".join(toks)


def _find_people(idx: _Indexed) -> None:
    """Who speaks in the article, how it describes them, and which sentences report them."""
    people = idx.people
    for q in idx.quotes:
        if q.speaker and q.speaker not in people:
            people[q.speaker] = _Person(q.speaker)
    found: list[tuple[int, str]] = []  # reported speech: (sentence, name)
    for _round in range(2):  # full names first, then surnames alone ("Maas said")
        surnames = {p.surname for p in people.values()} | {n.split()[-1] for _, n in found}
        found = []
        for i, s in enumerate(idx.sentences):
            for pattern in (_NAME_THEN_VERB, _VERB_THEN_NAME):
                for m in pattern.finditer(s.text):
                    name = _clean_name(m.group("name"), surnames)
                    if name:
                        found.append((i, name))
    by_surname = {p.surname: p for p in people.values()}
    for i, name in found:
        surname = name.split()[-1]
        if surname not in by_surname:
            by_surname[surname] = people[name] = _Person(name)
        person = by_surname[surname]
        person.describe(name, 1.0)  # "Transport Minister Ruth Adeyemi"
        idx.said.setdefault(i, {})[person.name] = max(
            idx.said.get(i, {}).get(person.name, 0.0), 0.8
        )
    for i, qs in idx.quote_sentence.items():
        for q in qs:
            if q.speaker:
                strength = 0.8 if q.partial else 1.0
                idx.said.setdefault(i, {})[q.speaker] = max(
                    idx.said.get(i, {}).get(q.speaker, 0.0), strength
                )
    # Mentions: who each sentence names, and the words that describe them there.
    idx.names = [set() for _ in idx.sentences]
    starts = [s.start for s in idx.sentences]
    text = idx.article.text
    longer = sorted(people.values(), key=lambda p: -len(p.name))
    for person in people.values():
        person.describe(person.name, 1.0)
        others = [o for o in longer if o is not person and person.surname in o.name.split()]
        for m in re.finditer(rf"\b{re.escape(person.surname)}\b(?![’']s\b)", text):
            if any(_covers(text, o.name, m.start()) for o in others):
                continue  # "Kim" inside "Kim Yo-jong" is someone else
            i = bisect.bisect_right(starts, m.start()) - 1
            if i < 0 or m.start() >= idx.sentences[i].end:
                continue
            sent = idx.sentences[i]
            idx.names[i].add(person.name)
            local = m.start() - sent.start
            name_start = _name_start(sent.text, local)
            before, after = _appositives(sent.text, name_start, local + len(person.surname))
            person.describe(before, 1.0)
            person.describe(after, 1.0)
            person.describe(sent.text, 0.4)
    # "The Castlegate manager said ...", "She declined to say ..." right after a
    # sentence naming someone: that person spoke, and the description is theirs.
    for i in range(1, len(idx.sentences)):
        ana = _ANAPHORIC_SPEAKER.search(idx.sentences[i].text)
        if not ana or idx.names[i] - set(idx.said.get(i, {})):
            continue
        prev = _last_named(idx, i - 1)
        if prev is None:
            continue
        if idx.said.get(i) and prev.name not in idx.said[i]:
            continue  # someone else is already credited with this sentence
        np = ana.group("np") or ana.group("np2") or ""
        if not re.fullmatch(r"he|she|they", np, re.I):
            prev.describe(np, 1.0)
        idx.said.setdefault(i, {})[prev.name] = max(idx.said.get(i, {}).get(prev.name, 0.0), 0.8)
    # A sentence reporting someone also mentions them ("he said" names Tanner).
    for i, who in idx.said.items():
        for name in who:
            idx.names[i].add(name)
            idx.terms[i] = idx.terms[i] + Counter(
                {t: 1 for t in _stem_terms(name) if t not in idx.terms[i]}
            )


def _covers(text: str, name: str, pos: int) -> bool:
    """Whether an occurrence of ``name`` in ``text`` covers position ``pos``."""
    lo = max(0, pos - len(name))
    for m in re.finditer(re.escape(name), text[lo : pos + len(name)]):
        if lo + m.start() <= pos < lo + m.end():
            return True
    return False


def _name_start(sentence: str, pos: int) -> int:
    """Start of the capitalised run that ends in the surname at ``pos``."""
    start = pos
    while True:
        m = re.search(r"([A-Z][\w’'-]*\.?)\s+$", sentence[:start])
        if not m:
            return start
        start = m.start(1)


def _appositives(sentence: str, start: int, end: int) -> tuple[str, str]:
    """Words that describe a name: the role before it and an appositive after it."""
    head = sentence[:start]
    before = re.split(r"[,;:—–(“”\"]", head)[-1]
    tail = sentence[end:]
    if not before.strip() and head.rstrip().endswith(",") and tail.lstrip().startswith(","):
        before = re.split(r"[,;:—–(“”\".]", head.rstrip()[:-1])[-1]  # "Kim's sister, Kim Yo-jong,"
        before = " ".join(before.split()[-6:])
    before = " ".join(before.split()[-8:])
    after = ""
    m = re.match(r"\s*,\s*([^,.;“”\"]{1,160})", tail)
    if m and not _SPEECH.match(m.group(1)):  # "Mark Ellery, said the money ..." is no appositive
        after = " ".join(m.group(1).split()[:15])
    return before, after


def _last_named(idx: _Indexed, i: int) -> _Person | None:
    """The person a sentence ends on: who a following "he" or "the manager" refers to."""
    names = idx.names[i]
    if not names:
        return None
    s = idx.sentences[i].text
    best = max(names, key=lambda n: s.rfind(n.split()[-1]))
    return idx.people.get(best)


def _all_people(indexes: Sequence[_Indexed]) -> dict[str, _Person]:
    out: dict[str, _Person] = {}
    for idx in indexes:
        for name, p in idx.people.items():
            if name not in out:
                out[name] = _Person(name, dict(p.desc))
            else:
                for t, w in p.desc.items():
                    out[name].desc[t] = max(out[name].desc.get(t, 0.0), w)
    return out


def _match_speaker(phrase: str, people: dict[str, _Person]) -> str | None:
    """A person named by the phrase: "Trump", "kim yo-jong", "mr reid"."""
    tokens = {t.lower() for t in _tokens(phrase) if t.lower() not in _POSSESSIVE_PRONOUN} - {
        "mr",
        "mrs",
        "ms",
        "dr",
        "s",
        "of",
        "professor",
        "prof",
    }
    if not tokens:
        return None
    best: tuple[int, int, str] | None = None
    for name in sorted(people):
        sp_tokens = {t.lower() for t in _tokens(name)}
        common = len(tokens & sp_tokens)
        if common == len(tokens) and (best is None or (common, -len(sp_tokens)) > best[:2]):
            best = (common, -len(sp_tokens), name)
    return best[2] if best else None


def _describe_speaker(phrase: str, people: dict[str, _Person]) -> tuple[str, ...]:
    """The person the articles describe with the phrase: "Kim's sister", "the crane operator".

    Each person carries the words around their mentions (the role before the
    name, an appositive after it: "Joe Tanner, a crane operator", "Meridia's
    chief executive, Hendrik Maas"), weighted 1, and the rest of the sentence,
    weighted less. The phrase must match at least two thirds of its words.
    Everyone tied at the top is returned (a digest may hold three chief
    executives): the rest of the question picks among what they said.
    """
    wanted = [
        _term(w)
        for w in _tokens(phrase)
        if w.lower() not in _POSSESSIVE_PRONOUN and w.lower() not in stop_words("english")
    ]
    if not wanted:
        return ()
    scored: list[tuple[float, str]] = []
    for name in sorted(people):
        desc = people[name].desc
        score = 0.0
        matched = 0
        for t in wanted:
            hit = max((desc.get(v, 0.0) * vw for v, vw in _variants(t)), default=0.0)
            score += hit
            matched += hit > 0
        if matched * 3 >= 2 * len(wanted) and score >= 0.7:
            scored.append((score, name))
    scored.sort(key=lambda r: (-r[0], r[1]))
    top = tuple(name for score, name in scored if score >= scored[0][0] - 1e-9) if scored else ()
    return top if len(top) <= 3 else ()


def _recent_subject(history: Sequence[Turn]) -> str | None:
    return next((t.answer.subject for t in reversed(history) if t.answer.subject), None)


def _main_speaker(indexes: Sequence[_Indexed]) -> str | None:
    """The person quoted most: who a bare "he" or "she" most likely means."""
    counts = Counter(q.speaker for idx in indexes for q in idx.quotes if q.speaker)
    return min(counts, key=lambda n: (-counts[n], n)) if counts else None


def _resolve_subject(phrase: str, indexes: Sequence[_Indexed]) -> tuple[str, ...]:
    """Who the phrase means: one person by name, or those a description fits best."""
    people = _all_people(indexes)
    phrase = phrase.strip(" ?.!,")
    named = _match_speaker(phrase, people)
    return (named,) if named else _describe_speaker(phrase, people)


# ------------------------------------------------------------ question analysis


@dataclass(frozen=True, slots=True)
class _Question:
    kind: str
    who: str | None  # the person a "say" question asks about, as written
    focus: str | None  # the counted noun of "how many", as a term
    last: bool  # "when was X last ...": wants "since <date>"
    measure: str | None  # what a number must measure: percent, money, score, duration, ...
    constraint: str | None  # a time the answer must be about: "last year", "in 2019"


def _analyse(question: str) -> _Question:
    """Kind of question, who it asks about (for "say"), and the counted noun (for "how many")."""
    focus = None
    m = re.search(r"\bhow\s+(?:many|much)\s+(?P<noun>[a-z][\w-]*)", question, re.I)
    if m and m.group("noun").lower() not in {
        "is", "are", "was", "were", "will", "would", "did", "does", "do", "has", "have",
        "had", "can", "could", "should", "of", "more", "less", "longer", "money", "the",
    }:  # fmt: skip
        focus = _term(m.group("noun"))
    kind = "other"
    who = None
    for k, pattern in _KIND_PATTERNS:
        m = pattern.search(question)
        if m:
            kind = k
            if kind == "say":
                who = next((g for g in m.groups() if g), None)
                if who:
                    who = re.sub(r"^(?:the|a)\s+", "", who.strip(), flags=re.I)
            break
    return _Question(
        kind=kind,
        who=who,
        focus=focus,
        last=kind == "when" and bool(re.search(r"\blast\b", question, re.I)),
        measure=_measure(question, kind),
        constraint=None if kind == "when" else _constraint(question),
    )


_MEASURES: list[tuple[str, re.Pattern[str]]] = [
    ("percent", re.compile(r"\bwhat\s+(?:\w+\s+){0,3}?(?:share|percentage|proportion|percent)\b")),
    ("score", re.compile(r"\bwhat\s+(?:\w+\s+){0,3}?(?:score|scoreline)\b")),
    ("duration", re.compile(r"\bhow\s+long\b(?!\s+ago)")),
    ("age", re.compile(r"\bhow\s+old\b")),
    ("frequency", re.compile(r"\bhow\s+often\b")),
    ("size", re.compile(r"\bhow\s+(?:high|tall|deep|far|big|large|heavy|fast)\b")),
]
# Words that name the measure rather than the thing measured: matched by evidence.
_MEASURE_WORDS = frozenset(
    "share percentage proportion percent number amount figure price cost score scoreline "
    "total size age rate level height".split()
)
_MEASURE_EVIDENCE: dict[str, re.Pattern[str]] = {
    "percent": _PERCENT,
    "score": re.compile(r"\b\d{1,2}\s?[-–]\s?\d{1,2}\b"),
    "duration": re.compile(
        r"\b(?:\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
        r"[\s-]+(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|generations?|"
        r"kilomet\w+|km|miles?|metres?|meters?)\b|\bsince\s+(?:19|20)\d\d\b",
        re.I,
    ),
    "age": re.compile(r",\s*\d{1,3},|\b\d{1,3}-year-old\b|\baged\s+\d", re.I),
    "frequency": re.compile(
        r"\bevery\b|\b(?:once|twice)\b|\bper\s+(?:day|week|month|year)\b|\ba\s+(?:day|week|"
        r"month|year)\b",
        re.I,
    ),
    "size": re.compile(
        r"\d[\d,.]*[\s-]*(?:metres?|meters?|m|km|kilomet\w+|miles?|feet|ft|tonnes?|kg|mph|"
        r"km/h|percent)\b",
        re.I,
    ),
}
_CONSTRAINT = re.compile(
    r"\b(?:last|next|this)\s+(?:year|week|month|season|summer|winter|spring|autumn)\b"
    r"|\b(?:yesterday|today|tomorrow)\b|\bin\s+(?:19|20)\d\d\b",
    re.IGNORECASE,
)


def _measure(question: str, kind: str) -> str | None:
    if kind not in {"how_many", "other"}:
        return None
    for name, pattern in _MEASURES:
        if pattern.search(question.lower()):
            return name
    return "money" if _MONEY_QUESTION.search(question) else None


def _constraint(question: str) -> str | None:
    m = _CONSTRAINT.search(question)
    return m.group(0).lower() if m else None


# ------------------------------------------------------------ evidence


def _number_near(sentence: str, focus: str | None) -> float:
    """How well the sentence gives a number for the counted noun.

    1.0 for a number within three words of the noun ("cut about 2,400 jobs",
    "prize money of 4.5 million"), 0.5 for a number elsewhere in a sentence
    that has the noun, 0 without a number.
    """
    if not _NUMBER.search(sentence):
        return 0.0
    if focus is None:
        return 1.0 if re.search(r"\d", sentence) else 0.7
    toks = _tokens(sentence)
    wanted = {v for v, _ in _variants(focus)}
    terms = [_term(t) for t in toks]
    if not any(t in wanted for t in terms):
        return 0.0
    for j, t in enumerate(terms):
        if t not in wanted:
            continue
        for k in range(max(0, j - 3), min(len(toks), j + 4)):
            if k != j and _NUMBER_TOKEN.match(toks[k]):
                if re.search(r"\d", toks[k]):
                    return 1.0
                return 0.6 if _VAGUE_NUMBER.match(toks[k]) else 0.8
    return 0.5


def _cause(sentence: str, matched: set[str]) -> float:
    """A causal marker, best after the thing asked about: "X came after Y", "X because Y"."""
    markers = list(_STRONG_CAUSE.finditer(sentence))
    if not markers:
        return 0.2
    first = markers[0].start()
    before = {_term(t) for t in _tokens(sentence[:first])}
    return 1.0 if before & matched else 0.6


def _places(sentence: str) -> float:
    count = 0
    for m in _PLACE.finditer(sentence):
        place = m.group("place")
        if _NOT_PLACE.match(place) or _ORGANISATION.search(place):
            continue
        count += 1 + len(re.findall(r",\s*[A-Z]|\sand\s+[A-Z]", place))
    if count:
        return min(1.0, 0.6 + 0.2 * count)
    return 0.6 if _PLACE_NOUN.search(sentence) else 0.2


def _names_someone(sentence: str, named: bool) -> float:
    if named or re.search(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z][\w’'-]*\s+[A-Z][\w’'-]+", sentence):
        return 1.0
    return 0.6 if _ROLE_WORD.search(sentence) else 0.2


def _evidence(q: _Question, sentence: str, matched: set[str], named: bool) -> float:
    """How much the sentence has what this kind of question needs, 0..1."""
    kind = _kind_evidence(q, sentence, matched, named)
    if q.constraint and q.constraint not in sentence.lower():
        kind *= 0.3  # "who won the cup last year" is not answered by this year's final
    return kind


def _kind_evidence(q: _Question, sentence: str, matched: set[str], named: bool) -> float:
    if q.kind == "when":
        if q.last and _LAST_TIME.search(sentence):
            return 1.0
        return (0.7 if q.last else 1.0) if _DATE.search(sentence) else 0.0
    if q.measure and q.measure != "money":
        if _MEASURE_EVIDENCE[q.measure].search(sentence):
            return 1.0
        if q.measure == "size":  # "how big is the contingency": any amount will do
            return 0.8 * _number_near(sentence, q.focus)
        return 0.1
    if q.kind == "how_many":
        if q.measure == "money" and q.focus is None:
            return 1.0 if _MONEY.search(sentence) else (0.3 if _NUMBER.search(sentence) else 0.0)
        return _number_near(sentence, q.focus)
    if q.kind == "effect":
        return 1.0 if _PERCENT.search(sentence) else 0.3
    if q.kind == "why":
        return _cause(sentence, matched)
    if q.kind == "where":
        return _places(sentence)
    if q.kind == "who":
        return _names_someone(sentence, named)
    return 1.0


# ------------------------------------------------------------ scoring


def _bm25_idf(query: dict[str, float], docs: Sequence[Counter[str]]) -> dict[str, float]:
    n = len(docs)
    df: Counter[str] = Counter()
    keys = {v for t in query for v, _ in _variants(t)}
    for d in docs:
        df.update(d.keys() & keys)
    return {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in keys}


def _concepts(
    query: dict[str, float],
    doc: Counter[str],
    idf: dict[str, float],
    avg: float,
    context: Counter[str] | None = None,
    k1: float = 1.2,
    b: float = 0.75,
) -> tuple[float, dict[str, float]]:
    """Okapi BM25 where each question word counts once, through its best paraphrase.

    Hand-written on purpose: the corpora are a few hundred sentences, built per
    question from cached term counts. Returns the score and, per question
    term, how fully the sentence matched it (1 for the word, 0.7 a paraphrase).
    A word found only in ``context`` (the sentence before) counts a third:
    "The vaccine ... was given to 4,800 children" is still about "the trial".
    """
    length = sum(doc.values())
    norm = k1 * (1 - b + b * length / (avg or 1))
    score = 0.0
    matched: dict[str, float] = {}
    for t, qw in query.items():
        best = 0.0
        how = 0.0
        for v, vw in _variants(t):
            tf = doc.get(v, 0)
            if tf:
                s = vw * idf[v] * tf * (k1 + 1) / (tf + norm)
                if s > best:
                    best, how = s, vw
        if not best and context:
            for v, vw in _variants(t):
                if context.get(v, 0):
                    s = _CONTEXT * vw * idf[v] * (k1 + 1) / (1 + norm)
                    if s > best:
                        best, how = s, _CONTEXT * vw
        if best:
            score += qw * best
            matched[t] = how
    return score, matched


_CONTEXT = 0.35  # how much a word in the previous sentence counts


_MIN_COVERAGE = 0.5  # share of the question's weight a confident answer must match
_MIN_COVERAGE_WITH_EVIDENCE = 0.3  # ... when the sentence has exactly what the kind needs


def answer(
    question: str,
    articles: Sequence[SourceArticle],
    history: Sequence[Turn] = (),
    *,
    max_sentences: int = 2,
) -> Answer:
    """The sentences that answer ``question`` from ``articles`` only."""
    question = " ".join(question.split())
    links = tuple((a.title or a.url or a.id, a.url) for a in articles)
    if not question or not articles:
        return _unsure("Ask me a question about the articles in this thread.", links)
    norm = _normalise(question)
    indexes = [_index(a) for a in articles]
    q = _analyse(norm)
    kind, who = q.kind, q.who
    previous = history[-1] if history else None
    follow_up = bool(previous and _FOLLOW_UP.search(norm))

    subjects: tuple[str, ...] = ()
    pronoun_who = bool(who and _PRONOUN_SUBJECT.match(who.strip()))
    if pronoun_who:
        recent = _recent_subject(history) or _main_speaker(indexes)
        subjects = (recent,) if recent else ()
    elif who:
        subjects = _resolve_subject(who, indexes)
        if not subjects and previous and _FOLLOW_UP.search(who):
            # "their boss": describe with the previous question's words too.
            subjects = _resolve_subject(f"{who} {previous.question}", indexes)
    subject = subjects[0] if len(subjects) == 1 else None
    if kind == "say" and not subjects:
        return _unsure(
            f"I don't know: I can't find {who or 'that person'} quoted in these articles. "
            "Here are the sources:",
            links,
            kind=kind,
        )

    content = " ".join(w for w in _tokens(norm) if w.lower() not in _QUESTION_WORDS)
    terms: dict[str, float] = {t: 1.0 for t in _stem_terms(content)}
    if kind == "say" and who and not pronoun_who:
        for t in _stem_terms(who):
            terms.pop(t, None)  # the subject is matched through what they said, not words
    if follow_up and previous:
        if kind != "say" and previous.answer.subject and not subjects:
            subject = previous.answer.subject
            subjects = (subject,)
        for t in _stem_terms(_normalise(previous.question)):
            terms.setdefault(t, 0.4)
    measures: list[str] = []
    if q.measure:
        for w in _MEASURE_WORDS:
            if terms.pop(_term(w), 0.0) >= 1.0:
                measures.append(_term(w))  # matched by the evidence instead
    if kind == "how_many" and q.focus and q.focus not in terms:
        terms[q.focus] = 1.0

    # In a digest thread, only the stories the question is about answer it (and
    # weigh its words): a look-alike sentence from another story is not an answer.
    focus = _focus_articles(terms, articles, indexes, subjects, previous if follow_up else None)
    flat = [(idx, i) for idx in indexes if id(idx) in focus for i in range(len(idx.sentences))]
    if not flat:
        return _unsure("Those articles have no text I can search.", links)
    docs = [idx.terms[i] for idx, i in flat]
    # Word weights come from the whole thread: a word every story uses says little.
    every = [c for idx in indexes for c in idx.terms]
    idf = _bm25_idf(terms, every)
    avg = sum(sum(d.values()) for d in every) / len(every)
    absent = math.log(1 + (len(every) + 0.5) / 0.5)
    concept_idf = {t: _concept_idf(t, idf, absent) for t in terms}
    concept_idf.update(dict.fromkeys(measures, absent))
    # Coverage is of the question's own words; a bare "how much will that cost?"
    # leans on the previous question's instead.
    main = {t for t, w in terms.items() if w >= 1.0} | set(measures)
    if not main:
        main = set(terms)
    total = sum(concept_idf[t] * min(terms.get(t, 1.0), 1.0) for t in main) or 1.0
    prev_keys = {(s.article_id, s.text) for s in previous.answer.sentences} if previous else set()

    ranked: list[tuple[float, float, float, int]] = []
    for n, (idx, i) in enumerate(flat):
        sentence = idx.sentences[i].text
        context = idx.terms[i - 1] if i else None
        score, matched = _concepts(terms, docs[n], idf, avg, context)
        evidence = _evidence(q, sentence, set(matched), bool(idx.names[i]))
        if measures and evidence >= 0.99:
            # "what was the final score": a scoreline is the score.
            score += sum(concept_idf[m] for m in measures)
            matched.update(dict.fromkeys(measures, 1.0))
        coverage = sum(concept_idf[t] * how for t, how in matched.items() if t in main) / total
        score *= 0.5 + coverage  # a sentence that answers all of it beats a short partial one
        said = idx.said.get(i, {})
        if subjects and (kind == "say" or follow_up or any(p in said for p in subjects)):
            strength = max(said.get(p, 0.0) for p in subjects)
            if strength:
                score += 3.0 + 1.5 * strength
                if kind == "say":
                    coverage = max(coverage, 0.9)
            elif kind == "say":
                score *= 0.2
                coverage *= 0.4
            elif any(p in idx.names[i] for p in subjects):
                score += 0.5
        score *= 0.3 + 0.7 * evidence
        if follow_up and prev_keys:
            near = any(
                (idx.article.id, idx.sentences[j].text) in prev_keys
                for j in range(max(0, i - 1), min(len(idx.sentences), i + 2))
            )
            if near:
                score *= 1.15
        score *= 1.0 + 0.05 / (1 + i)  # reporters put the main facts first
        ranked.append((score, coverage, evidence, n))
    ranked.sort(key=lambda r: (r[0], -r[3]), reverse=True)
    best_score, best_cov, best_ev, best_n = ranked[0]
    needed = _MIN_COVERAGE_WITH_EVIDENCE if best_ev >= 0.99 and kind != "other" else _MIN_COVERAGE
    if best_score <= 0 or best_cov < needed or best_ev < 0.5:
        return _unsure(
            "I don't know: the articles in this thread don't seem to answer that. "
            "Here are the sources:",
            links,
            kind=kind,
            subject=subject,
        )
    picked = [best_n]
    idx0, i0 = flat[best_n]
    if kind == "say":
        # A quote that began a sentence or two earlier: show where it starts
        # (that is where the attribution usually is).
        starts = [
            j
            for qt in idx0.quote_sentence.get(i0, [])
            if qt.speaker in subjects or qt.speaker is None
            for j in range(max(0, i0 - 2), i0)
            if idx0.sentences[j].start <= qt.span[0] < idx0.sentences[j].end
        ]
        if starts and max_sentences > 1:
            first = min(starts)
            picked.append(next(k for k, (ix, j) in enumerate(flat) if ix is idx0 and j == first))
    for score, cov, _ev, n in ranked[1:]:
        if len(picked) >= max_sentences:
            break
        idx1, i1 = flat[n]
        # A second sentence only when it continues the first (same article, next
        # sentence) and scores nearly as well: answers stay short.
        if idx1 is idx0 and abs(i1 - i0) == 1 and score >= 0.8 * best_score and cov >= 0.6:
            picked.append(n)
    picked.sort(key=lambda n: flat[n][1])
    out = tuple(
        AnswerSentence(
            text=flat[n][0].sentences[flat[n][1]].text,
            article_id=flat[n][0].article.id,
            url=flat[n][0].article.url,
        )
        for n in picked
    )
    if subject is None:
        said0 = {p: w for p, w in idx0.said.get(i0, {}).items() if not subjects or p in subjects}
        subject = max(said0, key=lambda k: (said0[k], k)) if said0 else None
    return Answer(
        text=" ".join(s.text for s in out),
        sentences=out,
        confident=True,
        kind=kind,
        subject=subject,
    )


_FOCUS_SHARE = 0.6  # an article within this share of the most relevant one is in focus


def _focus_articles(
    terms: dict[str, float],
    articles: Sequence[SourceArticle],
    indexes: Sequence[_Indexed],
    subjects: Sequence[str],
    previous: Turn | None,
) -> set[int]:
    """The articles (by ``id`` of their index) a question in a multi-article thread is about.

    Each question word counts by how few of the thread's articles use it ("Corvane",
    "Penang" name one story; "people" or "said" name none), so a question is steered
    to its story before its sentences compete with look-alikes from other stories.
    A person asked about, or the previous answer's article on a follow-up, counts too.
    """
    everything = {id(idx) for idx in indexes}
    if len(indexes) < 2:
        return everything
    n = len(indexes)
    relevance: dict[int, float] = {}
    for article, idx in zip(articles, indexes, strict=True):
        lead = idx.lead | _stem_terms(article.title or "").keys()
        score = 0.0
        for t, qw in terms.items():
            best = 0.0
            for v, vw in _variants(t):
                if v in idx.vocab:
                    df = sum(v in other.vocab for other in indexes)
                    about = 2.0 if v in lead else 1.0  # what the story is about
                    best = max(best, about * vw * math.log((n + 1) / df))
            score += min(qw, 1.0) * best
        if subjects and any(p in idx.people for p in subjects):
            score += math.log(n + 1)
        if previous and any(s.article_id == idx.article.id for s in previous.answer.sentences):
            score += math.log(n + 1)
        relevance[id(idx)] = score
    top = max(relevance.values())
    if top <= 0:
        return everything
    return {k for k, v in relevance.items() if v >= _FOCUS_SHARE * top}


def _concept_idf(term: str, idf: dict[str, float], absent: float) -> float:
    """A question word's weight: its own idf, or its paraphrase's if only that is present."""
    own = idf[term]
    if own < absent:
        return own
    present = [idf[v] for v, _ in _variants(term)[1:] if idf[v] < absent]
    return max(present) if present else own


def _unsure(
    message: str,
    links: tuple[tuple[str, str | None], ...],
    *,
    kind: str = "other",
    subject: str | None = None,
) -> Answer:
    return Answer(
        text=message, sentences=(), confident=False, kind=kind, subject=subject, links=links
    )
