"""Loading what the answerer reads on its first question, before anyone asks one.

The answerer's word data loads lazily: the Snowball stemmer (nltk's import),
simplemma's English dictionary, the WordNet synonyms turned into search terms,
gender-guesser's names. Together that is about a second on the first question a
process answers, which is the first follow-up a user asks after every deploy or
restart. A bot calls ``start_warm_up()`` when a question may come (at start-up when
it serves a platform; the console after its first brief), so that first question
costs what any other does.

It answers a few questions on an article written for it, so whatever the answerer
loads lazily is loaded, and stays so when a new lazy load is added. The answerer
itself is imported in the thread too (~250 ms): start-up does not wait for it.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time

log = logging.getLogger(__name__)

_TITLE = "Council approves new bridge"
_TEXT = (
    "The city council approved a new bridge over the river on Tuesday, after a "
    "two-year debate over its cost.\n\n"
    '"This bridge will connect two neighbourhoods that have been apart for too long," '
    "said Mayor Anna Berg, who proposed the plan in 2024.\n\n"
    "The bridge will cost $40 million and carry 12,000 cyclists a day, according to "
    "the council's transport office. Critics said the money should go to schools "
    "instead, because three of them need repairs."
)
_QUESTIONS = ("What did the mayor say?", "How much will it cost?", "Why did she propose it?")


def warm_up() -> float:
    """Ask the questions; the seconds it took."""
    from bot.nlp.answers import SourceArticle, Turn, answer

    start = time.perf_counter()
    article = SourceArticle(id="newsbrief-warm-up", title=_TITLE, text=_TEXT)
    history: list[Turn] = []
    for question in _QUESTIONS:
        reply = answer(question, [article], history)
        history.append(Turn(question, reply))
    return time.perf_counter() - start


_started: threading.Thread | None = None
_lock = threading.Lock()


def start_warm_up() -> threading.Thread:
    """``warm_up()`` in a daemon thread, once per process, then ``gc.freeze()``.

    ``gc.freeze()`` keeps the collector's full passes from walking the modules and word
    lists loaded by then, which otherwise add 100 ms and more to a reply they happen to
    fall in (bench/answer_speed.py). A daemon thread, so that a run stopping at once
    does not wait for it. Later calls return the same thread."""
    global _started
    with _lock:
        if _started is None:
            _started = threading.Thread(target=_work, name="newsbrief-warm-up", daemon=True)
            _started.start()
        return _started


def _work() -> None:
    try:
        seconds = warm_up()
    except Exception:  # a bug here must not stop the bot: the data loads when asked
        if not sys.is_finalizing():  # not the import machinery going away at exit
            log.exception("warming up the answerer failed")
        return
    gc.collect()
    gc.freeze()
    log.info("answerer warmed up in %.1f s (%d objects frozen)", seconds, gc.get_freeze_count())
