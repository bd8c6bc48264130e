"""sumy runs with BLAS on one thread (the analysis of an ingest), and only while it runs."""

from __future__ import annotations

from typing import Any

import pytest
from threadpoolctl import threadpool_info

import bot.nlp.summarize as summarize
from bot.nlp.analyze import analyze

TEXT = (
    "The harbour board approved a new bridge on Tuesday. The bridge will cost 48 million. "
    "Critics said the plan ignored the ferry workers. The mayor said work starts in May. "
    "Residents asked for a vote on the bridge. The board said a vote would delay it."
)


def _blas_threads() -> list[int]:
    return [int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_lsa_runs_on_one_blas_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[int]] = []
    real = summarize._make

    def recording(*args: Any) -> Any:
        inner = real(*args)

        def run(document: Any, count: int) -> Any:
            seen.append(_blas_threads())
            return inner(document, count)

        return run

    before = _blas_threads()
    assert before, "numpy's BLAS is loaded"
    monkeypatch.setattr(summarize, "_make", recording)
    analysis = analyze(TEXT, algorithm="lsa")
    assert analysis.summary
    assert seen and all(n == [1] * len(before) for n in seen)
    assert _blas_threads() == before  # restored for the rest of the process
