"""Grouped, stratified k-fold cross-validation of the whole training procedure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.classify.data import duplicate_groups
from pipeline.classify.estimator import PatroliClassifier
from pipeline.classify.metrics import label_metrics
from pipeline.classify.train import training_frame
from pipeline.config import data_dir as resolve_data_dir
from pipeline.text import lexicons


def _strata(frame: pd.DataFrame) -> np.ndarray:
    # One stratum per (source, hoax, hate, abusive, sara, provocation) combination keeps every label's rate even.
    cols = ["hoax", "hate_speech", "abusive", "sara", "provocation"]
    key = frame["source"].astype(str) + "|" + frame[cols].fillna(-1).astype(int).astype(str).agg("".join, axis=1)
    return pd.factorize(key)[0]


def _fold(frame: pd.DataFrame, train: np.ndarray, test: np.ndarray, slang: dict[str, str], seed: int,
          params: dict[str, Any]) -> tuple[np.ndarray, list[str], dict[str, float]]:
    clf = PatroliClassifier(slang=slang, random_state=seed, **params)
    clf.fit(frame["text"].iloc[train].tolist(), frame.iloc[train])
    return clf.predict_proba(frame["text"].iloc[test].tolist()), list(clf.labels), clf.thresholds_


def evaluate(data_dir: str | Path | None = None, folds: int = 5, seed: int = 0, n_jobs: int = 1,
             **params: Any) -> dict[str, Any]:
    """Cross-validate: per label precision/recall/F1/ROC-AUC/PR-AUC at the threshold each training fold chose.

    Duplicate texts stay in one fold. For hoax, also the false-flag rate and ROC-AUC against ordinary tweets held
    out from training (the test folds' ibrohim2019 tweets). Returns {"labels": DataFrame, "hoax_vs_tweets": dict,
    "folds": int}.
    """
    frame, hashes = training_frame(data_dir)
    slang = lexicons.slang_map(resolve_data_dir(data_dir))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(frame, _strata(frame), duplicate_groups(frame["text"])))
    fitted = Parallel(n_jobs=n_jobs)(delayed(_fold)(frame, train, test, slang, seed, params) for train, test in splits)
    labels = fitted[0][1]
    proba = np.full((len(frame), len(labels)), np.nan)
    fold_thresholds = np.empty((len(frame), len(labels)))
    for (_, test), (fold_proba, _, thresholds) in zip(splits, fitted, strict=True):
        proba[test] = fold_proba
        fold_thresholds[test] = [thresholds[label] for label in labels]
    rows = []
    for j, label in enumerate(labels):
        known = frame[label].notna().to_numpy()
        y = frame.loc[known, label].to_numpy().astype(int)
        p = proba[known, j]
        rows.append({"label": label, **label_metrics(y, p, fold_thresholds[known, j])})
    table = pd.DataFrame(rows)
    j = labels.index("hoax")
    tweets = (frame["source"] == "ibrohim2019").to_numpy()
    hoaxes = (frame["source"] == "hoax_news2020").to_numpy() & (frame["hoax"] == 1).to_numpy()
    thr = fold_thresholds[:, j]
    y = np.r_[np.ones(hoaxes.sum()), np.zeros(tweets.sum())]
    hoax_vs_tweets = {
        "ordinary_tweets": int(tweets.sum()),
        "false_flag_rate": float(np.mean(proba[tweets, j] >= thr[tweets])),
        "roc_auc_hoax_vs_tweets": float(roc_auc_score(y, np.r_[proba[hoaxes, j], proba[tweets, j]])),
    }
    return {"labels": table, "hoax_vs_tweets": hoax_vs_tweets, "folds": folds, "seed": seed, "data_sha256": hashes}
