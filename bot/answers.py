"""Answers to follow-up questions, drawn only from the articles a thread covered.

No language model: lexical retrieval over sentences (BM25 with stemming),
boosted by what kind of question it is — "what did X say" looks for X's
quotes, "when" for dates, "how many" for numbers, "why" for causes. When
nothing scores well enough we say so and offer the links instead of guessing.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.models import Quote, Sentence
from bot.quotes import extract_quotes
from bot.summarize.document import stemmer, stop_words
from bot.text.article import article_sentences
from bot.text.clean import clean
from bot.text.sentences import words

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


# ------------------------------------------------------------ question analysis

_KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "say",
        re.compile(
            r"\b(?:what|how)\s+(?:did|does|do|has|have|was|is|were)\s+(?P<who>.+?)\s+"
            r"(?:say|said|saying|tell|told|think|thought|claim|argue|mean|react|respond|"
            r"reply|add|warn|promise|comment|describe|call|joke)\b"
            r"|\b(?P<who2>[\w’'.\- ]+?)['’]s\s+(?:reaction|response|comments?|words|quote|view)\b"
            r"|\bquote\s+(?:from|by)\s+(?P<who3>.+?)\s*\??$",
            re.IGNORECASE,
        ),
    ),
    (
        "when",
        re.compile(
            r"^\W*(?:and\s+)?when\b|\bwhat\s+(?:year|date|day|month|time)\b|\bsince\s+when\b"
            r"|\bhow\s+long\s+ago\b|\bwhich\s+(?:year|day|month)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "how_many",
        re.compile(
            r"\bhow\s+(?:many|much|long|far|big|large|old|high|fast)\b"
            r"|\bwhat\s+(?:percentage|share|number|amount|proportion|figure|price|cost)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "why",
        re.compile(r"^\W*(?:and\s+)?why\b|\bwhat\s+(?:caused|led\s+to)\b|\breason\b", re.I),
    ),
    ("who", re.compile(r"^\W*(?:and\s+)?who\b", re.IGNORECASE)),
    ("where", re.compile(r"^\W*(?:and\s+)?where\b", re.IGNORECASE)),
]

_QUESTION_WORDS = frozenset(
    "what when why how who whom whose where which did does do is are was were has have had "
    "say said says tell told think thought happen happened the a an about that this and "
    "any anything there many much".split()
)
_PRONOUN_SUBJECT = re.compile(r"^(?:he|she|they|him|her|them|it)$", re.IGNORECASE)
_FOLLOW_UP = re.compile(
    r"^\W*(?:and|also|what\s+about|how\s+about|then)\b|\b(?:he|she|they|him|her|them|that|it)\b",
    re.IGNORECASE,
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\b|\b(?:19|20)\d\d\b|\b(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|yesterday|today|tomorrow|tonight)\b|\b(?:last|next|this)\s+"
    r"(?:week|month|year|spring|summer|autumn|fall|winter)\b|\b\d+\s+(?:days?|weeks?|"
    r"months?|years?)\s+(?:ago|earlier|later)\b|\bat\s+the\s+time\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|"
    r"hundreds?|thousands?|millions?|billions?|half|third|quarter|percent|per\s+cent)\b",
    re.IGNORECASE,
)
_CAUSE = re.compile(
    r"\b(?:because|since|due\s+to|owing\s+to|after|as\s+a\s+result|so\s+that|in\s+order\s+to|"
    r"caused|led\s+to|blamed|reason|when|amid|following|thanks\s+to|result(?:ed)?\s+(?:of|from))\b",
    re.IGNORECASE,
)
_SPEECH = re.compile(
    r"\b(?:said|says|told|added|asked|insisted|insisting|warned|argued|claimed|joked|noted|"
    r"mocked|called|described|hinting|praised|wrote|tweeted|stated|declared)\b",
    re.IGNORECASE,
)

# ------------------------------------------------------------ article index


@dataclass(slots=True)
class _Indexed:
    article: SourceArticle
    sentences: list[Sentence]
    terms: list[Counter[str]]
    quotes: list[Quote]
    quote_sentence: dict[int, list[Quote]] = field(default_factory=dict)


def _stem_terms(text: str, language: str = "english") -> Counter[str]:
    stem = stemmer(language)
    stops = stop_words(language)
    return Counter(
        stem(w.lower()) for w in words(text) if w.lower() not in stops and not w.isdigit()
    )


@lru_cache(maxsize=512)
def _index_cached(article_id: str, digest: str, text: str, url: str | None) -> _Indexed:
    article = SourceArticle(id=article_id, text=text, url=url)
    doc = clean(text)
    sentences = article_sentences(doc)
    quotes = extract_quotes(text, skip=doc.removed)
    terms = [_stem_terms(s.text) for s in sentences]
    idx = _Indexed(article, sentences, terms, quotes)
    starts = [s.start for s in sentences]
    for q in quotes:
        # The quote belongs to every sentence it overlaps.
        for i, s in enumerate(sentences):
            if s.start < q.span[1] and q.span[0] < s.end:
                idx.quote_sentence.setdefault(i, []).append(q)
    del starts
    return idx


def _index(article: SourceArticle) -> _Indexed:
    digest = hashlib.blake2b(article.text.encode("utf-8", "replace"), digest_size=16).hexdigest()
    idx = _index_cached(article.id, digest, article.text, article.url)
    if idx.article.title != article.title:
        idx.article = article
    return idx


# ------------------------------------------------------------ subject resolution


def _subject_phrase(question: str) -> tuple[str, str | None]:
    for kind, pattern in _KIND_PATTERNS:
        m = pattern.search(question)
        if m:
            who = None
            if kind == "say":
                who = next((g for g in m.groups() if g), None)
                if who:
                    who = re.sub(r"^(?:the|a)\s+", "", who.strip(), flags=re.I)
            return kind, who
    return "other", None


def _names_in(text: str) -> list[str]:
    return re.findall(r"[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*", text)


def _resolve_subject(phrase: str, indexes: Sequence[_Indexed]) -> str | None:
    """Map "Kim's sister", "the mayor", "Trump" to a speaker name the articles use."""
    phrase = phrase.strip(" ?.!,")
    speakers = {q.speaker for idx in indexes for q in idx.quotes if q.speaker}
    # 1. A relation described in the text: "Kim’s sister, Kim Yo-jong," / "the mayor's
    #    deputy, Ana Ruiz" / "Ana Ruiz, the mayor's deputy".
    rel = re.sub(r"['’]s\b", "['’]s", re.escape(phrase).replace(r"\ ", r"\s+"))
    for idx in indexes:
        text = idx.article.text
        for pattern in (
            rf"(?i:(?:the\s+)?{rel}),?\s+(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*)",
            rf"(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*),\s+(?i:(?:the\s+)?{rel})\b",
        ):
            for m in re.finditer(pattern, text):
                name = m.group("name")
                match = _match_speaker(name, speakers)
                if match:
                    return match
    # 2. The phrase names the person: "Trump", "Kim Yo-jong", "mr smith".
    match = _match_speaker(phrase, speakers)
    if match:
        return match
    return None


def _match_speaker(phrase: str, speakers: set[str]) -> str | None:
    tokens = {t.lower().strip("’'") for t in re.findall(r"[\w’'-]+", phrase)}
    tokens -= {"mr", "mrs", "ms", "dr", "the", "president", "s"}
    if not tokens:
        return None
    best: tuple[int, int, str] | None = None
    for sp in speakers:
        sp_tokens = {t.lower() for t in re.findall(r"[\w’'-]+", sp)}
        common = len(tokens & sp_tokens)
        if common and (best is None or (common, -len(sp_tokens)) > best[:2]):
            best = (common, -len(sp_tokens), sp)
    if best and best[0] >= max(1, len(tokens) - 1):
        return best[2]
    return None


# ------------------------------------------------------------ scoring


def _bm25(
    query: Counter[str], docs: Sequence[Counter[str]], k1: float = 1.2, b: float = 0.75
) -> tuple[list[float], dict[str, float]]:
    """Okapi BM25 over sentences.

    Hand-written on purpose: the corpora are a few hundred sentences, built per
    question from cached term counts; rank-bm25 is unmaintained since 2022 and
    would re-tokenize everything on every call.
    """
    n = len(docs)
    avg = sum(sum(d.values()) for d in docs) / n if n else 0.0
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d) & set(query))
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in query}
    scores = []
    for d in docs:
        length = sum(d.values())
        s = 0.0
        for t, qw in query.items():
            tf = d.get(t, 0)
            if tf:
                s += qw * idf[t] * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / (avg or 1)))
        scores.append(s)
    return scores, idf


_MIN_COVERAGE = 0.45  # share of the question's weight a confident answer must match


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
    indexes = [_index(a) for a in articles]
    kind, who = _subject_phrase(question)

    previous = history[-1] if history else None
    subject: str | None = None
    if who and _PRONOUN_SUBJECT.match(who.strip()):
        subject = previous.answer.subject if previous else None
    elif who:
        subject = _resolve_subject(who, indexes)

    query = _stem_terms(" ".join(w for w in words(question) if w.lower() not in _QUESTION_WORDS))
    if previous and _FOLLOW_UP.search(question):
        for t, c in _stem_terms(previous.question).items():
            if t not in query:
                query[t] = 0.5 * c
        if subject is None and kind != "say":
            subject = previous.answer.subject
    if subject:
        for t in _stem_terms(subject):
            query[t] = max(query.get(t, 0.0), 1.0)

    flat: list[tuple[_Indexed, int]] = [
        (idx, i) for idx in indexes for i in range(len(idx.sentences))
    ]
    if not flat:
        return _unsure("Those articles have no text I can search.", links)
    docs = [idx.terms[i] for idx, i in flat]
    scores, idf = _bm25(query, docs)
    total_weight = sum(idf[t] * w for t, w in query.items()) or 1.0

    ranked: list[tuple[float, float, int]] = []
    for n, (idx, i) in enumerate(flat):
        sentence = idx.sentences[i].text
        matched = sum(idf[t] * w for t, w in query.items() if t in docs[n])
        coverage = matched / total_weight
        boost = 1.0
        fits = True
        if kind == "say" or (subject and kind == "other"):
            said = [q for q in idx.quote_sentence.get(i, []) if subject and q.speaker == subject]
            if said:
                boost += 1.5 + 0.5 * any(not q.partial for q in said)
                coverage = max(coverage, 0.8)
            elif subject and subject.split()[-1] in sentence and _SPEECH.search(sentence):
                boost += 0.8
                coverage = max(coverage, 0.6)
            else:
                fits = kind != "say" or not subject
        elif kind == "when":
            fits = bool(_DATE.search(sentence))
            boost += 0.8 if fits else 0.0
        elif kind == "how_many":
            fits = bool(_NUMBER.search(sentence))
            boost += 0.8 if fits else 0.0
        elif kind == "why":
            boost += 0.5 if _CAUSE.search(sentence) else 0.0
        score = scores[n] * boost + (2.0 * boost if kind == "say" and boost > 2 else 0.0)
        if not fits:
            score *= 0.3
            coverage *= 0.5
        ranked.append((score, coverage, n))
    ranked.sort(key=lambda r: (r[0], -r[2]), reverse=True)
    best_score, best_cov, best_n = ranked[0]
    if best_score <= 0 or best_cov < _MIN_COVERAGE:
        return _unsure(
            "I don't know: the articles in this thread don't seem to answer that. "
            "Here are the sources:",
            links,
            kind=kind,
            subject=subject,
        )
    picked = [best_n]
    for score, cov, n in ranked[1:]:
        if len(picked) >= max_sentences:
            break
        idx0, i0 = flat[best_n]
        idx1, i1 = flat[n]
        # A second sentence only when it continues the first (same article, next
        # sentence) and scores nearly as well: answers stay short.
        if idx1 is idx0 and abs(i1 - i0) == 1 and score >= 0.6 * best_score and cov >= 0.5:
            picked.append(n)
    picked.sort(key=lambda n: (id(flat[n][0]), flat[n][1]))
    out = tuple(
        AnswerSentence(
            text=flat[n][0].sentences[flat[n][1]].text,
            article_id=flat[n][0].article.id,
            url=flat[n][0].article.url,
        )
        for n in picked
    )
    text = " ".join(s.text for s in out)
    return Answer(text=text, sentences=out, confident=True, kind=kind, subject=subject)


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
