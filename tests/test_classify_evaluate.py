"""Quick held-out evaluation for notebooks: evaluation data and out-of-fold predictions."""

from __future__ import annotations

import pandas as pd

from pipeline.classify import evaluate, metrics
from pipeline.labels import LABELS


def test_holdout_predictions_on_the_samples():
    data = evaluate.evaluation_data(data_dir="/nonexistent")
    assert data.attrs["origin"].startswith("the project's") and len(data) == 139
    held = evaluate.holdout_predictions(data, folds=3)
    assert held.index.equals(data.index) and sorted(held["fold"].unique()) == [0, 1, 2]
    assert held[list(LABELS)].notna().all().all() and held[list(LABELS)].stack().between(0, 1).all()
    # Every fold model chose its own thresholds: three distinct values per label.
    assert held.groupby("fold")["threshold_hoax"].nunique().eq(1).all()
    assert held["threshold_hoax"].nunique() == 3
    # Even models trained on ~90 hand-written posts rank unseen harmful posts above ordinary ones.
    curve = metrics.pr_curve_frame(data, held, labels=["hate_speech"])
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
    pd.DataFrame({"judul": [f"judul {i}" for i in range(20)], "narasi": ["isi"] * 20, "tanggal": ["17-Aug-20"] * 20,
                  "label": [i % 2 for i in range(20)]}).to_csv(hoax / "data_latih.csv", index=False)
    data = evaluate.evaluation_data(tmp_path, rows=25, seed=1)
    assert len(data) == 25 and data.attrs["origin"].startswith("25 random rows")
    assert set(data["source"]) <= {"ibrohim2019", "hoax_news2020"}
    assert data.loc[data["source"] == "hoax_news2020", "abusive"].isna().all()
    assert data.equals(evaluate.evaluation_data(tmp_path, rows=25, seed=1))
