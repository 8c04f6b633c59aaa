"""Scoring posts into scan records: the priority formula, flags, evidence and known-claim matches."""

from __future__ import annotations

import gc

import pytest

from pipeline.classify.artifact import load_model
from pipeline.labels import LABELS
from pipeline.priority import priority
from pipeline.scoring import Scorer


def test_priority_formula():
    base = priority({"provocation": 0.9}, ["provocation"])
    assert base > priority({"abusive": 0.9}, ["abusive"])
    assert priority({"sara": 0.9}, ["sara"]) > priority({"hoax": 0.9}, ["hoax"])
    assert priority({"hoax": 0.9}, ["hoax"]) > priority({"hate_speech": 0.9}, ["hate_speech"])
    assert priority({"provocation": 0.9}, ["provocation"]) > priority({"provocation": 0.6},
                                                                                   ["provocation"])
    both = priority({"provocation": 0.9, "hoax": 0.8}, ["provocation", "hoax"])
    assert both > base
    viral = priority({"provocation": 0.9}, ["provocation"], shares=50_000, views=5_000_000,
                            followers=2_000_000)
    assert viral == pytest.approx(2 * base)
    assert base < priority({"provocation": 0.9}, ["provocation"], shares=100) < viral
    assert priority({"abusive": 1.0}, ["abusive"], shares=10**6, views=10**8) < base
    assert priority({"hoax": 0.99}, []) == 0.0
    assert 0 <= priority({lab: 1.0 for lab in LABELS}, LABELS, 10**9, 10**9, 10**9) <= 100


def test_scoring_leaves_the_cycle_collector_as_it_found_it():
    # The collector is paused while a chunk is scored: afterwards it runs again, and a caller's own pause stays.
    scorer = Scorer(load_model())
    texts, reach = ["Sudah sarapan belum?", "Bakar gerejanya!!"], [(None, None, None)] * 2
    assert gc.isenabled()
    found = scorer.assess(texts, reach)
    assert gc.isenabled() and len(found) == 2
    with pytest.raises(TypeError):
        scorer.assess([None], [(None, None, None)])  # type: ignore[list-item]
    assert gc.isenabled()
    gc.disable()
    try:
        assert [a.scores for a in scorer.assess(texts, reach)] == [a.scores for a in found]
        assert not gc.isenabled()
    finally:
        gc.enable()
