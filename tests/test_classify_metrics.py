"""The curve, calibration, confusion and workload tables behind the evaluation notebook."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.classify import metrics
from pipeline.classify.calibration import best_f1_threshold, capped_flag_rate, capped_threshold

# Four posts per label with known truth and scores: the tables below are checked by hand.
TRUTH = pd.DataFrame({"hoax": [1.0, 1.0, 0.0, 0.0], "abusive": [1.0, 0.0, 0.0, np.nan]})
HELD = pd.DataFrame({"hoax": [0.9, 0.4, 0.6, 0.1], "abusive": [0.8, 0.3, 0.2, 0.99],
                     "threshold_hoax": [0.5, 0.5, 0.5, 0.5], "threshold_abusive": [0.25, 0.25, 0.25, 0.25]})


def test_confusion_at_fold_thresholds_and_at_given_ones():
    table = metrics.confusion_frame(TRUTH, HELD).set_index("label")
    assert table.loc["hoax", ["tp", "fp", "fn", "tn"]].tolist() == [1, 1, 1, 1]
    # The abusive row with unknown truth (NaN) is left out, though its score would flag it.
    assert table.loc["abusive", ["tp", "fp", "fn", "tn"]].tolist() == [1, 1, 0, 1]
    assert table.loc["abusive", "precision"] == 0.5 and table.loc["abusive", "recall"] == 1.0
    strict = metrics.confusion_frame(TRUTH, HELD, thresholds={"hoax": 0.95}).set_index("label")
    assert strict.loc["hoax", ["tp", "fp", "fn", "tn"]].tolist() == [0, 0, 2, 2]
    assert math.isnan(strict.loc["hoax", "precision"]) and strict.loc["hoax", "threshold"] == 0.95


def test_workload_trades_recall_for_posts_to_review():
    table = metrics.workload_frame(TRUTH, HELD, thresholds=[0.05, 0.5, 0.95], labels=["hoax"])
    assert table["flagged_per_1000"].tolist() == [1000.0, 500.0, 0.0]
    assert table["recall"].tolist() == [1.0, 0.5, 0.0]
    assert table["precision"].iloc[:2].tolist() == [0.5, 0.5] and math.isnan(table["precision"].iloc[2])


def test_pr_curve_and_calibration_points():
    curve = metrics.pr_curve_frame(TRUTH, HELD, labels=["hoax"])
    assert curve["recall"].iloc[0] == 1.0 and curve["recall"].iloc[-1] == 0.0
    assert curve["precision"].between(0, 1).all()
    cal = metrics.calibration_frame(TRUTH, HELD, bins=2, labels=["hoax"])
    # Scores below 0.5: 0.4 (a hoax) and 0.1 (not); above: 0.9 (a hoax) and 0.6 (not).
    assert cal[["bin", "posts"]].values.tolist() == [[0, 2], [1, 2]]
    assert cal["mean_predicted"].tolist() == pytest.approx([0.25, 0.75])
    assert cal["observed_rate"].tolist() == [0.5, 0.5]


def test_threshold_at_best_f1_and_leaning_to_recall():
    # Scores of 10 positives and 90 negatives; F1 peaks at 0.6 and is nearly as high at 0.5 (one more true
    # positive, two more false ones) but clearly lower at 0.4.
    pos = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.5, 0.4])
    neg = np.concatenate([[0.55, 0.52, 0.45, 0.42, 0.41], np.linspace(0.0, 0.3, 85)])
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    p = np.r_[pos, neg]

    def f1_at(t: float) -> float:
        tp, fp = (pos >= t).sum(), (neg >= t).sum()
        return 2 * tp / (2 * tp + fp + (pos < t).sum())

    assert best_f1_threshold(y, p) == 0.6
    assert f1_at(0.5) < f1_at(0.6) and f1_at(0.5) >= 0.95 * f1_at(0.6) > f1_at(0.4)
    assert best_f1_threshold(y, p, tolerance=0.05) == 0.5
    assert best_f1_threshold(y, p, tolerance=0.0) == 0.6
    # Weights count: doubling the weight of the negatives between 0.5 and 0.6 pushes F1 at 0.5 out of reach.
    w = np.where((p > 0.5) & (p < 0.6) & (y == 0), 2.0, 1.0)
    assert best_f1_threshold(y, p, w, tolerance=0.05) == 0.6
    # Leaning to precision: the highest threshold within the tolerance (0.65 keeps F1 within 10%, 0.7 does not).
    assert f1_at(0.7) < 0.9 * f1_at(0.6) <= f1_at(0.65) < f1_at(0.6)
    assert best_f1_threshold(y, p, tolerance=0.1, lean="precision") == 0.65
    assert best_f1_threshold(y, p, tolerance=0.05, lean="precision") == 0.6


def test_a_flag_rate_cap_raises_the_threshold_only_as_far_as_needed():
    # 20 ordinary rows; a 10% cap lets the 2 highest reach the threshold, not the third (0.7).
    scores = np.r_[[0.9, 0.8, 0.7], np.linspace(0.0, 0.3, 17)]
    raised = capped_flag_rate(scores, 0.2, 0.1)
    assert 0.7 < raised <= 0.8
    assert (scores >= raised).sum() == 2
    # A threshold already above the cap's bound, or no rows at all, is left as it is.
    assert capped_flag_rate(scores, 0.85, 0.1) == 0.85
    assert capped_flag_rate(np.array([]), 0.2, 0.0) == 0.2
    # A zero cap puts the threshold above every row, but never above 1 (a model refuses such a threshold).
    assert capped_flag_rate(scores, 0.2, 0.0) > 0.9
    assert capped_flag_rate(np.r_[scores, 1.0], 0.2, 0.0) == 1.0
    # The false-positive cap is the same rule over the negatives alone: the positives' scores do not count.
    y = np.r_[np.ones(5), np.zeros(len(scores))]
    assert capped_threshold(y, np.r_[np.full(5, 0.99), scores], 0.2, 0.1) == raised
