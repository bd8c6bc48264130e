"""Direct quotes and who said them, found with regular expressions and linear scans.

Modules, low level first (each imports only those above it):

- ``vocab``: the word lists used here, named (data in ``bot/nlp/lexicon``)
- ``patterns``: the compiled regular expressions and mark characters
- ``text``: cues, sentence and paragraph bounds over the whole text
- ``regions``: quote-mark pairing into ``Region``s, interrupted quotes merged
- ``names``: the ``Names`` index of capitalised mentions
- ``pronouns``: antecedents of he/she and learned genders
- ``attribution``: speaker and cue before, after, inside a quote
- ``checks``: partial quotes and marks that hold no speech
- ``scoring``: ``Weights``, scores, ``key_quotes``
- ``extract``: ``extract_quotes``, which runs the steps in order
"""

from __future__ import annotations

from bot.nlp.quotes.extract import extract_quotes
from bot.nlp.quotes.scoring import Weights, key_quotes

__all__ = ["Weights", "extract_quotes", "key_quotes"]
