"""What an ingest worker has loaded before its first article.

Imported by the fork server (``pool.PRELOAD``) and by nothing else: every worker forks
from it with this loaded, instead of each loading it at its first job. The names an
article gives are counted at ingest (``prepare.stored_analysis``), which needs the
answerer's name patterns and gender-guesser's name list: 0.3 s a worker, paid here once.
"""

from __future__ import annotations

import bot.news.prepare  # noqa: F401  (extraction and analysis: trafilatura, sumy, nltk)
from bot.nlp.answers.referents import gender_of

gender_of("Ann Example")  # loads gender-guesser's name list
