"""Grouped, stratified k-fold cross-validation of the whole training procedure (`evaluate`), and the same idea on a
few thousand rows with small features for notebooks (`evaluation_data`, `holdout_predictions`: a minute, not 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.classify.data import duplicate_groups, load_training_data, sample_labels, strata
from pipeline.classify.estimator import PatroliClassifier
from pipeline.classify.metrics import label_metrics
from pipeline.classify.train import training_frame
from pipeline.config import data_dir as resolve_data_dir
from pipeline.labels import LABELS
from pipeline.text import lexicons

#: The labels whose combination (with the source) stratifies the cross-validation folds.
STRATA_LABELS = ("hoax", "hate_speech", "abusive", "sara", "provocation")
#: Small features: enough to show the shape of each curve, fast enough for a notebook.
QUICK_PARAMS: dict[str, Any] = {"calibration_folds": 3, "max_word_features": 3000, "max_char_features": 3000}


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
    splits = list(splitter.split(frame, strata(frame, STRATA_LABELS, folds), duplicate_groups(frame["text"])))
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


def evaluation_data(data_dir: str | Path | None = None, rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Labelled posts to evaluate on: a random `rows`-row subsample of the training data when a data directory is
    given or PATROLI_DATA_DIR is set, else the project's hand-written samples.

    Columns: text, source, one float column per label (1/0, NaN where the source does not annotate the label).
    `frame.attrs["origin"]` says which data it is.
    """
    directory = resolve_data_dir(data_dir)
    if directory is not None and Path(directory).is_dir():
        frame, _ = load_training_data(Path(directory))
        frame = frame.sample(n=min(rows, len(frame)), random_state=seed).reset_index(drop=True)
        frame.attrs["origin"] = f"{len(frame)} random rows of the training data in {directory}"
        return frame
    frame = sample_labels().assign(source="samples")[["text", "source", *LABELS]]
    frame.attrs["origin"] = f"the project's {len(frame)} hand-written sample posts (data/samples)"
    return frame


def holdout_predictions(frame: pd.DataFrame, folds: int = 3, seed: int = 0, **params: Any) -> pd.DataFrame:
    """Out-of-fold probabilities: each row scored by a `PatroliClassifier` trained without it (grouped so that
    duplicate texts share a fold, stratified by label combination).

    Returns a DataFrame on `frame`'s index: fold, one probability column per label, and threshold_<label>, the
    threshold the row's fold model chose on its own training data. `params` override `QUICK_PARAMS`.
    """
    labels = [label for label in LABELS if label in frame.columns]
    settings = {**QUICK_PARAMS, **params, "labels": tuple(labels)}
    slang = settings.pop("slang", None)
    if slang is None:
        slang = lexicons.slang_map(resolve_data_dir(None))
    frame = frame.assign(text=frame["text"].astype(str))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    out = pd.DataFrame(index=frame.index, columns=["fold", *labels, *(f"threshold_{lab}" for lab in labels)],
                       dtype="float64")
    splits = splitter.split(frame, strata(frame, labels, folds), duplicate_groups(frame["text"]))
    for fold, (train, test) in enumerate(splits):
        proba, _, thresholds = _fold(frame, train, test, slang, seed, settings)
        rows = frame.index[test]
        out.loc[rows, labels] = proba
        out.loc[rows, "fold"] = fold
        for label in labels:
            out.loc[rows, f"threshold_{label}"] = thresholds[label]
    return out.astype({"fold": "int64"})
