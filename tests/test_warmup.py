"""A served bot loads the answerer's word data at start-up, not on the first question.

Run in a fresh interpreter: in this test process other tests have loaded it already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, json, sys
from bot.warmup import start_warm_up
from bot.nlp import lexicon
from bot.nlp.answers import referents, terms

before = {"stemmer": lexicon.stemmer.cache_info().currsize,
          "synonyms": terms._synonyms.cache_info().currsize,
          "names": referents._detector.cache_info().currsize}
start_warm_up().join(timeout=120)
after = {"stemmer": lexicon.stemmer.cache_info().currsize,
         "synonyms": terms._synonyms.cache_info().currsize,
         "names": referents._detector.cache_info().currsize}
print(json.dumps({"before": before, "after": after, "frozen": gc.get_freeze_count()}))
"""


def test_warm_up_loads_the_stemmer_synonyms_and_names_then_freezes() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=180
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["before"] == {"stemmer": 0, "synonyms": 0, "names": 0}  # lazy until then
    assert seen["after"] == {"stemmer": 1, "synonyms": 1, "names": 1}
    assert seen["frozen"] > 10_000  # the modules and word lists, out of the collector's way
    assert "warming up the answerer failed" not in done.stderr
