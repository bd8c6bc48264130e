"""``answer()``: from a question and a thread's articles to the sentences that answer it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from bot.nlp.answers.focus import focus_articles
from bot.nlp.answers.index import read_people
from bot.nlp.answers.indexed import Indexed
from bot.nlp.answers.models import Answer, AnswerSentence, SourceArticle, Turn, unsure
from bot.nlp.answers.patterns import FOLLOW_UP, PRONOUN_SUBJECT, WHO_HOLDS
from bot.nlp.answers.question import Question, analyze_question
from bot.nlp.answers.ranking import Asked, confident, corpus, pick, rank
from bot.nlp.answers.referents import gender_of, pronoun_gender, referent
from bot.nlp.answers.subjects import (
    as_written,
    main_speaker,
    named_person,
    recent_subject,
    resolve_subject,
    written_as_name,
)
from bot.nlp.answers.terms import normalise, stem_terms, term, tokens, variants
from bot.nlp.answers.thread import Thread, thread_for
from bot.nlp.answers.vocab import AUXILIARIES, MEASURE_WORDS, QUESTION_WORDS
from bot.nlp.answers.weights import WEIGHTS as W
from bot.nlp.lexicon import stop_words

_NOT_ANSWERED = (
    "I don't know: the articles in this thread don't seem to answer that. Here are the sources:"
)
_NOT_IN_STORY = "I don't know: the story your question seems to be about doesn't say. Here it is:"
_NOT_IN_STORIES = (
    "I don't know: the stories your question seems to be about don't say. Here they are:"
)


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
        return unsure("Ask me a question about the articles in this thread.", links)
    norm = normalise(question)
    thread = thread_for(articles)
    indexes = thread.indexes
    q = analyze_question(norm)
    if _off_topic(norm, thread):
        return unsure(_NOT_ANSWERED, links, kind=q.kind)
    if q.who:
        # "kim jong-un" typed in a chat is the "Kim Jong-un" the articles write: read once.
        named = q.who.strip(" ?.!,")
        q = replace(q, who=as_written(named, _texts_using(named, thread)))
    previous = history[-1] if history else None
    follow_up = bool(previous and _follows(norm))
    subjects, pronoun_who = _subjects(q, norm, history, thread)
    if not subjects and _unheard(q, thread):
        return unsure(_NOT_ANSWERED, links, kind=q.kind)
    terms = _question_terms(norm, q, pronoun_who and bool(subjects), bool(subjects))
    if follow_up and previous and _other_story(terms, articles, thread, previous):
        # "what village does the singer say she grew up in?" after a question on another
        # story of the digest: "she" is the singer, not the last answer's subject.
        follow_up, history = False, ()
        subjects, pronoun_who = _subjects(q, norm, history, thread)
        terms = _question_terms(norm, q, pronoun_who and bool(subjects), bool(subjects))
    if follow_up and previous:
        subjects = _follow_up(previous, q, subjects, terms)
    # "he" or "she": the person the answer is about, for the next follow-up. Not words to
    # match, nor whose sentences count: those favour any sentence naming them.
    who = referent(norm, history, thread.persons, follow_up) if not pronoun_who else None
    subject = subjects[0] if len(subjects) == 1 else None
    if subject is None and not pronoun_who and q.who is None:
        # "who is Mara Quinlan?": not words to match, but whom a "she" next means.
        subject = named_person(norm, thread.persons)
    measures = _measures(q, terms)
    if q.kind == "how_many" and q.focus and q.focus not in terms:
        terms[q.focus] = 1.0
    if not terms and not subjects and not measures:
        # Nothing to match ("why?" out of the blue): every sentence would score 0.
        return unsure(_NOT_ANSWERED, links, kind=q.kind, subject=who)
    asked = Asked(q, terms, measures, subjects, follow_up, _answered(previous))
    # In a digest thread, only the stories the question is about answer it (and
    # weigh its words): a look-alike sentence from another story is not an answer.
    focus = focus_articles(terms, articles, thread, subjects, previous if follow_up else None)
    # Who each sentence names or reports counts only through words to match, people asked
    # about, or a kind that needs a name or a speaker; "how much did it cost?" has none of
    # these and reads every sentence of the digest: its articles' people are not read
    # (only the answer's own, for whom it is about: ``_compose``).
    people = bool(terms or subjects) or q.kind in _PEOPLE_KINDS
    flat = [
        (read_people(idx) if people else idx, i)
        for idx in indexes
        if id(idx) in focus
        for i in range(len(idx.sentences))
    ]
    if not flat:
        return unsure("Those articles have no text I can search.", links)
    found = corpus(asked, thread, flat)
    ranked = rank(asked, found)
    if not confident(asked, found, ranked):
        # In a digest, the stories the question is about are where to read on, not all five.
        closest = tuple(link for link, idx in zip(links, indexes, strict=True) if id(idx) in focus)
        if 0 < len(closest) < len(links):
            message = _NOT_IN_STORY if len(closest) == 1 else _NOT_IN_STORIES
            return unsure(message, closest, kind=q.kind, subject=subject or who)
        return unsure(_NOT_ANSWERED, links, kind=q.kind, subject=subject or who)
    picked = pick(asked, found, ranked, max_sentences)
    return _compose(asked, flat, picked, ranked[0][3], subject or who)


# Kinds whose evidence or answer is a person: a name (``evidence`` reads who each
# sentence names), or who said it (``ranking`` reads who each sentence reports).
_PEOPLE_KINDS = frozenset({"who", "say"})


def _follows(norm: str) -> bool:
    """Whether the question leans on the turn before: "and ...", "he", "it", "that".

    "That", "those" and "these" before a word that is no function word are
    determiners ("all that water"), which point at nothing said before.
    """
    stops = stop_words("english")
    for m in FOLLOW_UP.finditer(norm):
        if m.group(0).lower() in {"that", "those", "these"}:
            after, before = tokens(norm[m.end() :]), tokens(norm[: m.start()])
            asked = bool(before) and before[-1].lower() in AUXILIARIES  # "will that cost"
            if after and after[0].lower() not in stops and not asked:
                continue
        return True
    return False


def _off_topic(norm: str, thread: Thread) -> bool:
    """A question naming things (capitalised, past its first word) none of the articles
    use: "who is the president of France?" under a brief on Korea."""
    stops = stop_words("english")
    named = [
        term(w)
        for w in tokens(norm)[1:]
        if w[:1].isupper() and w.lower() not in QUESTION_WORDS and w.lower() not in stops
    ]
    if not named:
        return False
    vocab = thread.vocab
    return not any(v in vocab for t in named for v, _ in variants(t))


def _subjects(
    q: Question, norm: str, history: Sequence[Turn], thread: Thread
) -> tuple[tuple[str, ...], bool]:
    """The people the question is about, and whether it named them by a pronoun."""
    who = q.who
    if q.kind == "who" and not who:
        role = WHO_HOLDS.match(norm)
        stops = stop_words("english")
        if role and not any(w.lower() in stops for w in role.group("role").split()[1:]):
            # "who is the mayor?": the one person the articles describe so, if there is one
            found = resolve_subject(role.group("role"), thread.people_for(role.group("role")))
            return (found if len(found) == 1 else ()), False
    if who and PRONOUN_SUBJECT.match(who.strip()):
        gender = pronoun_gender(who)
        recent = recent_subject(history, gender) or main_speaker(thread.speakers, gender)
        return ((recent,) if recent else ()), True
    if not who:
        return (), False
    subjects = resolve_subject(who, thread.people_for(who))
    previous = history[-1] if history else None
    if not subjects and previous and FOLLOW_UP.search(who):
        # "their boss": describe with the previous question's words too.
        phrase = f"{who} {previous.question}"
        subjects = resolve_subject(phrase, thread.people_for(phrase))
    return subjects, False


def _texts_using(phrase: str, thread: Thread) -> Iterator[str]:
    """The texts of the thread's articles that use every word of the phrase."""
    words = stem_terms(phrase).keys()
    return (idx.article.text for idx in thread.indexes if words <= idx.findable)


def _unheard(q: Question, thread: Thread) -> bool:
    """Whether "what did X say?" asks about someone the articles name but neither quote
    nor report: "Police said Marcus Webb attacked him" is about Webb, not his words."""
    if q.kind != "say" or not q.who or not written_as_name(q.who):
        return False
    asked = {w.lower() for w in tokens(q.who)}
    return any(asked <= {w.lower() for w in tokens(name)} for name in thread.persons())


def _other_story(
    terms: dict[str, float], articles: Sequence[SourceArticle], thread: Thread, previous: Turn
) -> bool:
    """Whether the question's own words are about other stories of a digest than the turn
    before: then it starts a new topic, whatever its pronouns.

    Only when it has words of its own (two or more) and the stories the turn before was
    about use none of them: "how much will that cost?" leans on the turn before."""
    own = [t for t, w in terms.items() if w >= 1.0]
    if len(thread.indexes) < 2 or len(own) < 2:
        return False
    answered = {s.article_id for s in previous.answer.sentences}
    if answered:
        before = [idx for idx in thread.indexes if idx.article.id in answered]
    else:
        asked = dict.fromkeys(stem_terms(normalise(previous.question)), 1.0)
        focus = focus_articles(asked, articles, thread, (), None) if asked else set()
        before = [idx for idx in thread.indexes if id(idx) in focus]
    if not before or len(before) == len(thread.indexes):
        return False
    used = {v for t in own for v, _ in variants(t)}
    return all(used.isdisjoint(idx.findable) for idx in before)


def _follow_up(
    previous: Turn, q: Question, subjects: tuple[str, ...], terms: dict[str, float]
) -> tuple[str, ...]:
    """A follow-up keeps the previous answer's person and leans on the previous question's
    words (added to ``terms``, weighing less); returns the people it is about."""
    carried = previous.answer.subject
    if q.kind != "say" and carried and not subjects and _may_be(previous.question, carried, q):
        subjects = (carried,)
    for t in stem_terms(normalise(previous.question)):
        terms.setdefault(t, W.previous_question)
    return subjects


def _may_be(question: str, person: str, q: Question) -> bool:
    """Whether the follow-up's "he" or "she" can be ``person``: not when the name list
    gives their first name the other gender ("why was he kicked out?" after an answer
    about Lianna)."""
    wanted = pronoun_gender(" ".join(q.words))
    known = gender_of(person)
    return not (wanted and known and wanted != known)


def _answered(previous: Turn | None) -> frozenset[tuple[str, str]]:
    """(article id, text) of the previous answer's sentences."""
    sentences = previous.answer.sentences if previous else ()
    return frozenset((s.article_id, s.text) for s in sentences)


def _question_terms(norm: str, q: Question, pronoun_who: bool, found: bool) -> dict[str, float]:
    """The question's own search terms, each weighing 1 (names more: they pick the story)."""
    content = [w for w in tokens(norm) if w.lower() not in QUESTION_WORDS]
    terms: dict[str, float] = {t: 1.0 for t in stem_terms(" ".join(content))}
    for w in content[1:] if content and content[0] == tokens(norm)[0] else content:
        if w[:1].isupper() and term(w) in terms:
            terms[term(w)] = W.entity
    if q.kind == "name":
        for w in _NAMING:
            terms.pop(term(w), None)  # "what's the project called": how it asks, not what about
    if q.kind == "say" and q.who and found and not pronoun_who:
        for t in stem_terms(q.who):
            terms.pop(t, None)  # the subject is matched through what they said, not words
    return terms


_NAMING = ("called", "name", "named")


def _measures(q: Question, terms: dict[str, float]) -> tuple[str, ...]:
    """Measure words ("score", "share") taken out of ``terms``: evidence matches them."""
    measures: list[str] = []
    if q.measure:
        for w in MEASURE_WORDS:
            if terms.pop(term(w), 0.0) >= 1.0:
                measures.append(term(w))
    return tuple(measures)


def _compose(
    asked: Asked, flat: list[tuple[Indexed, int]], picked: list[int], best: int, subject: str | None
) -> Answer:
    """The picked sentences as an answer, and who it is about when the question didn't say."""
    out = tuple(
        AnswerSentence(
            text=flat[n][0].sentences[flat[n][1]].text,
            article_id=flat[n][0].article.id,
            url=flat[n][0].article.url,
        )
        for n in picked
    )
    if subject is None:
        idx, i = flat[best]
        read_people(idx)  # not read when the question needed no one's (see ``answer``)
        said = {
            p: w
            for p, w in idx.said.get(i, {}).items()
            if not asked.subjects or p in asked.subjects
        }
        subject = max(said, key=lambda k: (said[k], k)) if said else None
    return Answer(
        text=" ".join(s.text for s in out),
        sentences=out,
        confident=True,
        kind=asked.question.kind,
        subject=subject,
    )
