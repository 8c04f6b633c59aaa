"""The notebook evaluation helpers: held-out predictions and the curve / confusion / workload tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline import report
from pipeline.labels import LABELS

# Four posts per label with known truth and scores: the tables below are checked by hand.
TRUTH = pd.DataFrame({"hoax": [1.0, 1.0, 0.0, 0.0], "abusive": [1.0, 0.0, 0.0, np.nan]})
HELD = pd.DataFrame({"hoax": [0.9, 0.4, 0.6, 0.1], "abusive": [0.8, 0.3, 0.2, 0.99],
                     "threshold_hoax": [0.5, 0.5, 0.5, 0.5], "threshold_abusive": [0.25, 0.25, 0.25, 0.25]})


def test_confusion_at_fold_thresholds_and_at_given_ones():
    table = report.confusion_frame(TRUTH, HELD).set_index("label")
    assert table.loc["hoax", ["tp", "fp", "fn", "tn"]].tolist() == [1, 1, 1, 1]
    # The abusive row with unknown truth (NaN) is left out, though its score would flag it.
    assert table.loc["abusive", ["tp", "fp", "fn", "tn"]].tolist() == [1, 1, 0, 1]
    assert table.loc["abusive", "precision"] == 0.5 and table.loc["abusive", "recall"] == 1.0
    strict = report.confusion_frame(TRUTH, HELD, thresholds={"hoax": 0.95}).set_index("label")
    assert strict.loc["hoax", ["tp", "fp", "fn", "tn"]].tolist() == [0, 0, 2, 2]
    assert math.isnan(strict.loc["hoax", "precision"]) and strict.loc["hoax", "threshold"] == 0.95


def test_workload_trades_recall_for_posts_to_review():
    table = report.workload_frame(TRUTH, HELD, thresholds=[0.05, 0.5, 0.95], labels=["hoax"])
    assert table["flagged_per_1000"].tolist() == [1000.0, 500.0, 0.0]
    assert table["recall"].tolist() == [1.0, 0.5, 0.0]
    assert table["precision"].iloc[:2].tolist() == [0.5, 0.5] and math.isnan(table["precision"].iloc[2])


def test_pr_curve_and_calibration_points():
    curve = report.pr_curve_frame(TRUTH, HELD, labels=["hoax"])
    assert curve["recall"].iloc[0] == 1.0 and curve["recall"].iloc[-1] == 0.0
    assert curve["precision"].between(0, 1).all()
    cal = report.calibration_frame(TRUTH, HELD, bins=2, labels=["hoax"])
    # Scores below 0.5: 0.4 (a hoax) and 0.1 (not); above: 0.9 (a hoax) and 0.6 (not).
    assert cal[["bin", "posts"]].values.tolist() == [[0, 2], [1, 2]]
    assert cal["mean_predicted"].tolist() == pytest.approx([0.25, 0.75])
    assert cal["observed_rate"].tolist() == [0.5, 0.5]


def test_holdout_predictions_on_the_samples():
    data = report.evaluation_data(data_dir="/nonexistent")
    assert data.attrs["origin"].startswith("the project's") and len(data) == 139
    held = report.holdout_predictions(data, folds=3)
    assert held.index.equals(data.index) and sorted(held["fold"].unique()) == [0, 1, 2]
    assert held[list(LABELS)].notna().all().all() and held[list(LABELS)].stack().between(0, 1).all()
    # Every fold model chose its own thresholds: three distinct values per label.
    assert held.groupby("fold")["threshold_hoax"].nunique().eq(1).all()
    assert held["threshold_hoax"].nunique() == 3
    # Even models trained on ~90 hand-written posts rank unseen harmful posts above ordinary ones.
    curve = report.pr_curve_frame(data, held, labels=["hate_speech"])
    precision_at_half_recall = curve.loc[curve["recall"] >= 0.5, "precision"].max()
    assert precision_at_half_recall > 2 * data["hate_speech"].mean()


def test_evaluation_data_subsamples_the_training_data(tmp_path):
    ibrohim, hoax = tmp_path / "ibrohim2019", tmp_path / "hoax_news2020"
    ibrohim.mkdir()
    hoax.mkdir()
    columns = ["Tweet", "HS", "Abusive", "HS_Individual", "HS_Group", "HS_Religion", "HS_Race", "HS_Physical",
               "HS_Gender", "HS_Other", "HS_Weak", "HS_Moderate", "HS_Strong"]
    rows = [[f"tweet nomor {i}", i % 2, i % 3 == 0, 0, 0, i % 4 == 0, 0, 0, 0, 0, 0, 0, i % 5 == 0]
            for i in range(30)]
    pd.DataFrame(rows, columns=columns).astype({c: int for c in columns[1:]}).to_csv(
        ibrohim / "re_dataset.csv", index=False, encoding="latin-1")
    pd.DataFrame({"judul": [f"judul {i}" for i in range(20)], "narasi": ["isi"] * 20,
                  "label": [i % 2 for i in range(20)]}).to_csv(hoax / "data_latih.csv", index=False)
    data = report.evaluation_data(tmp_path, rows=25, seed=1)
    assert len(data) == 25 and data.attrs["origin"].startswith("25 random rows")
    assert set(data["source"]) <= {"ibrohim2019", "hoax_news2020"}
    assert data.loc[data["source"] == "hoax_news2020", "abusive"].isna().all()
    assert data.equals(report.evaluation_data(tmp_path, rows=25, seed=1))
