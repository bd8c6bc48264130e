"""Answers to follow-up questions, drawn only from the articles a thread covered.

No language model: lexical retrieval over sentences (BM25 with stemming),
boosted by what kind of question it is — "what did X say" looks for X's
quotes, "when" for dates, "how many" for numbers, "why" for causes. When
nothing scores well enough we say so and offer the links instead of guessing.
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

import simplemma

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

# Everyday paraphrases between how people ask and how reporters write. Small
# on purpose: lemmas and stems do the rest, and a general thesaurus would make
# unanswerable questions look answerable.
_PARAPHRASES: dict[str, tuple[str, ...]] = {
    "start": ("begin", "launch", "open"),
    "begin": ("start",),
    "end": ("finish", "close", "stop"),
    "cost": ("price", "spend", "billion", "million", "fund"),
    "die": ("death", "dead", "kill"),
    "kill": ("death", "dead", "die"),
    "win": ("won", "beat", "victory"),
    "lose": ("lost", "defeat"),
    "fan": ("spectator", "supporter", "crowd"),
    "ceo": ("chief", "executive"),
    "boss": ("chief", "executive", "head", "leader"),
    "work": ("effective", "efficacy", "cut", "reduce"),
    "cheap": ("cost", "price"),
    "job": ("layoff", "redundancy", "worker", "staff"),
    "home": ("house", "return"),
}

_ROLE_STOPWORDS = frozenset(["the", "a", "an", "of", "s", "mr", "mrs", "ms", "dr"])

# ------------------------------------------------------------ terms and index


@lru_cache(maxsize=65536)
def _term(word: str, language: str = "english") -> str:
    """Lemma, then stem: "broke"/"break", "children"/"child" meet; snowball alone would not."""
    lower = word.lower()
    if language == "english":
        lower = simplemma.lemmatize(lower, lang="en")
    return str(stemmer(language)(lower))


def _stem_terms(text: str, language: str = "english") -> Counter[str]:
    stops = stop_words(language)
    return Counter(
        _term(w, language) for w in words(text) if w.lower() not in stops and not w.isdigit()
    )


def _expand(query: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = dict(query)
    for t, w in query.items():
        for alt in _PARAPHRASES.get(t, ()):
            key = _term(alt)
            out[key] = max(out.get(key, 0.0), 0.7 * w)
    return out


@dataclass(slots=True)
class _Indexed:
    article: SourceArticle
    sentences: list[Sentence]
    terms: list[Counter[str]]
    quotes: list[Quote]
    quote_sentence: dict[int, list[Quote]] = field(default_factory=dict)


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
    return idx


def _index(article: SourceArticle) -> _Indexed:
    digest = hashlib.blake2b(article.text.encode("utf-8", "replace"), digest_size=16).hexdigest()
    return _index_cached(article.id, digest, article.text, article.url)


# ------------------------------------------------------------ question analysis


def _analyse(question: str) -> tuple[str, str | None, str | None]:
    """Kind of question, who it asks about (for "say"), and the counted noun (for "how many")."""
    focus = None
    m = re.search(r"\bhow\s+(?:many|much)\s+(?P<noun>[a-z][\w-]*)", question, re.I)
    if m and m.group("noun").lower() not in {"is", "are", "was", "were", "will", "did", "does"}:
        focus = m.group("noun")
    for kind, pattern in _KIND_PATTERNS:
        m = pattern.search(question)
        if m:
            who = None
            if kind == "say":
                who = next((g for g in m.groups() if g), None)
                if who:
                    who = re.sub(r"^(?:the|a)\s+", "", who.strip(), flags=re.I)
            return kind, who, focus
    return "other", None, focus


def _speakers(indexes: Sequence[_Indexed]) -> set[str]:
    return {q.speaker for idx in indexes for q in idx.quotes if q.speaker}


def _match_speaker(phrase: str, speakers: set[str]) -> str | None:
    """A speaker named by the phrase: "Trump", "kim yo-jong", "mr reid"."""
    tokens = {t.lower().strip("’'") for t in re.findall(r"[\w’'-]+", phrase)} - _ROLE_STOPWORDS
    if not tokens:
        return None
    best: tuple[int, int, str] | None = None
    for sp in speakers:
        sp_tokens = {t.lower() for t in re.findall(r"[\w’'-]+", sp)}
        common = len(tokens & sp_tokens)
        if common == len(tokens) and (best is None or (common, -len(sp_tokens)) > best[:2]):
            best = (common, -len(sp_tokens), sp)
    return best[2] if best else None


def _describe_speaker(phrase: str, indexes: Sequence[_Indexed], speakers: set[str]) -> str | None:
    """A speaker the articles describe with the phrase: "Kim's sister", "the crane operator".

    Looks at the words right around each mention of a speaker's surname (an
    appositive such as "Kim’s sister, Kim Yo-jong," or "Joe Tanner, a crane
    operator") and picks the speaker whose surroundings hold the phrase best.
    """
    wanted = _expand(dict(_stem_terms(phrase)))
    if not wanted:
        return None
    best: tuple[float, str] | None = None
    for sp in speakers:
        surname = sp.split()[-1]
        found: Counter[str] = Counter()
        for idx in indexes:
            text = idx.article.text
            for m in re.finditer(rf"\b{re.escape(surname)}\b(?![’']s\b)", text):
                lo = max(0, m.start() - 60)
                hi = min(len(text), m.end() + 60)
                window = re.split(r"(?<=[.!?])\s", text[lo:hi])
                found.update(_stem_terms(" ".join(window)))
        hit = sum(min(w, 1.0) for t, w in wanted.items() if t in found)
        need = sum(1.0 for t, w in wanted.items() if w >= 1.0)
        score = hit / need if need else 0.0
        if score >= 0.99 and (best is None or score > best[0]):
            best = (score, sp)
    return best[1] if best else None


def _recent_subject(history: Sequence[Turn]) -> str | None:
    return next((t.answer.subject for t in reversed(history) if t.answer.subject), None)


def _main_speaker(indexes: Sequence[_Indexed]) -> str | None:
    """The person quoted most: who a bare "he" or "she" most likely means."""
    counts = Counter(q.speaker for idx in indexes for q in idx.quotes if q.speaker)
    return counts.most_common(1)[0][0] if counts else None


def _resolve_subject(phrase: str, indexes: Sequence[_Indexed]) -> str | None:
    speakers = _speakers(indexes)
    phrase = phrase.strip(" ?.!,")
    return _match_speaker(phrase, speakers) or _describe_speaker(phrase, indexes, speakers)


# ------------------------------------------------------------ scoring


def _bm25(
    query: dict[str, float], docs: Sequence[Counter[str]], k1: float = 1.2, b: float = 0.75
) -> tuple[list[float], dict[str, float]]:
    """Okapi BM25 over sentences.

    Hand-written on purpose: the corpora are a few hundred sentences, built per
    question from cached term counts; rank-bm25 is unmaintained since 2022 and
    would re-tokenize every sentence on every call.
    """
    n = len(docs)
    avg = sum(sum(d.values()) for d in docs) / n if n else 0.0
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys() & query.keys())
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


_MIN_COVERAGE = 0.5  # share of the question's weight a confident answer must match


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
    kind, who, focus = _analyse(question)
    previous = history[-1] if history else None
    follow_up = bool(previous and _FOLLOW_UP.search(question))

    subject: str | None = None
    if who and _PRONOUN_SUBJECT.match(who.strip()):
        subject = _recent_subject(history) or _main_speaker(indexes)
    elif who:
        subject = _resolve_subject(who, indexes)
    if kind == "say" and subject is None:
        return _unsure(
            f"I don't know: I can't find {who or 'that person'} quoted in these articles. "
            "Here are the sources:",
            links,
            kind=kind,
        )

    content = " ".join(w for w in words(question) if w.lower() not in _QUESTION_WORDS)
    terms: dict[str, float] = dict(_stem_terms(content))
    if kind == "say" and who and not _PRONOUN_SUBJECT.match(who.strip()):
        for t in _stem_terms(who):
            terms.pop(t, None)  # the subject is matched through quotes, not words
    if follow_up and previous:
        if kind != "say" and previous.answer.subject and subject is None:
            subject = previous.answer.subject
        for t, c in _stem_terms(previous.question).items():
            terms.setdefault(t, 0.4 * c)
    query = _expand(terms)
    focus_term = _term(focus) if focus else None

    flat = [(idx, i) for idx in indexes for i in range(len(idx.sentences))]
    if not flat:
        return _unsure("Those articles have no text I can search.", links)
    docs = [idx.terms[i] for idx, i in flat]
    scores, idf = _bm25(query, docs)
    total = sum(idf[t] * w for t, w in query.items() if w >= 1.0) or 1.0

    ranked: list[tuple[float, float, int]] = []
    for n, (idx, i) in enumerate(flat):
        sentence = idx.sentences[i].text
        coverage = sum(idf[t] * min(w, 1.0) for t, w in query.items() if t in docs[n]) / total
        score = scores[n]
        fits = True
        if subject and (kind == "say" or follow_up):
            said = [q for q in idx.quote_sentence.get(i, []) if q.speaker == subject]
            if said:
                whole = any(not q.partial for q in said)
                score += 3.0 + (1.0 if whole else 0.0)
                coverage = max(coverage, 0.9 if kind == "say" else coverage)
            elif re.search(rf"\b{re.escape(subject.split()[-1])}\b", sentence) and _SPEECH.search(
                sentence
            ):
                score += 2.0
                coverage = max(coverage, 0.8 if kind == "say" else coverage)
            elif kind == "say":
                fits = False
        if kind == "when":
            fits = bool(_DATE.search(sentence))
        elif kind == "how_many":
            fits = bool(_NUMBER.search(sentence)) and (
                focus_term is None or focus_term in docs[n] or _has_paraphrase(focus_term, docs[n])
            )
        elif kind == "why" and _CAUSE.search(sentence):
            score *= 1.3
        if not fits:
            score *= 0.2
            coverage *= 0.4
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
    idx0, i0 = flat[best_n]
    for score, cov, n in ranked[1:]:
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
        subject = next((q.speaker for q in idx0.quote_sentence.get(i0, []) if q.speaker), None)
    return Answer(
        text=" ".join(s.text for s in out),
        sentences=out,
        confident=True,
        kind=kind,
        subject=subject,
    )


def _has_paraphrase(term: str, doc: Counter[str]) -> bool:
    return any(_term(alt) in doc for alt in _PARAPHRASES.get(term, ()))


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
