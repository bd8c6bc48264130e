"""Loading what the answerer reads on its first question, before anyone asks one.

The answerer's word data loads lazily: the Snowball stemmer (nltk's import),
simplemma's English dictionary, the WordNet synonyms turned into search terms,
gender-guesser's names. Together that is about a second on the first question a
process answers, which is the first follow-up a user asks after every deploy or
restart. A bot calls ``warm_up()`` once at start-up, off its event loop, so that
first question costs what any other does.

It answers a few questions on an article written for it, so whatever the answerer
loads lazily is loaded, and stays so when a new lazy load is added.
"""

from __future__ import annotations

import time

from bot.nlp.answers.answering import answer
from bot.nlp.answers.models import SourceArticle, Turn

_ARTICLE = SourceArticle(
    id="newsbrief-warm-up",
    title="Council approves new bridge",
    text=(
        "The city council approved a new bridge over the river on Tuesday, after a "
        "two-year debate over its cost.\n\n"
        '"This bridge will connect two neighbourhoods that have been apart for too long," '
        "said Mayor Anna Berg, who proposed the plan in 2024.\n\n"
        "The bridge will cost $40 million and carry 12,000 cyclists a day, according to "
        "the council's transport office. Critics said the money should go to schools "
        "instead, because three of them need repairs."
    ),
)
_QUESTIONS = ("What did the mayor say?", "How much will it cost?", "Why did she propose it?")


def warm_up() -> float:
    """Ask the questions; the seconds it took."""
    start = time.perf_counter()
    history: list[Turn] = []
    for question in _QUESTIONS:
        reply = answer(question, [_ARTICLE], history)
        history.append(Turn(question, reply))
    return time.perf_counter() - start
