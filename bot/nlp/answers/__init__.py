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

Modules, low to high (each imports only those above it):

    weights     every weight and threshold, named (``AnswerWeights``)
    vocab       the answerer's word lists: chat shorthand, question words, paraphrases,
                WordNet synonyms
    patterns    the regexes evidence and people checks match against
    models      ``SourceArticle`` in, ``Answer`` out, ``Turn`` of a thread
    terms       words to search terms (lemma, stem, paraphrases)
    indexed     what is known of one article: ``Indexed``, ``Person``
    people      who an article quotes or reports, and how it describes them
    referents   who "he" or "she" stands for (gender from gender-guesser's names)
    index       reading an article once (or taking its stored analysis), cached
    thread      a thread's articles together (word frequencies, people), cached per thread
    subjects    who a question is about, by name or description
    question    the kind of question and what it wants; whether a line asks at all
    evidence    whether a sentence has what that kind needs
    bm25        Okapi BM25, each question word counted once
    focus       which stories of a digest a question is about
    ranking     scoring sentences, confidence, picking the answer
    answering   ``answer()``
    batch       ``answer_batch()``: JSON Lines of questions (``newsbrief ask --batch``)
"""

from bot.nlp.answers.answering import answer
from bot.nlp.answers.batch import answer_batch
from bot.nlp.answers.index import index_article
from bot.nlp.answers.models import Answer, AnswerSentence, SourceArticle, Turn
from bot.nlp.answers.question import is_question
from bot.nlp.answers.thread import clear_index_cache, keep_article, kept_article
from bot.nlp.answers.weights import WEIGHTS, AnswerWeights

__all__ = [
    "WEIGHTS",
    "Answer",
    "AnswerSentence",
    "AnswerWeights",
    "SourceArticle",
    "Turn",
    "answer",
    "answer_batch",
    "clear_index_cache",
    "index_article",
    "is_question",
    "keep_article",
    "kept_article",
]
