"""A quick, honest evaluation for notebooks: held-out predictions of a small classifier and the tables behind
precision/recall curves, calibration curves, confusion matrices and the threshold-versus-workload trade-off.

`pipeline.classify.evaluate.evaluate` is the full grouped cross-validation on all the data (about 20 minutes); this
is the same idea on a few thousand rows with smaller features, so a notebook runs in a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.classify.data import duplicate_groups
from pipeline.classify.estimator import PatroliClassifier
from pipeline.config import data_dir as resolve_data_dir
from pipeline.labels import LABELS

#: Small features: enough to show the shape of each curve, fast enough for a notebook.
QUICK_PARAMS: dict[str, Any] = {"calibration_folds": 3, "max_word_features": 3000, "max_char_features": 3000}


def evaluation_data(data_dir: str | Path | None = None, rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Labelled posts to evaluate on: a random `rows`-row subsample of the training data when a data directory is
    given or PATROLI_DATA_DIR is set, else the project's hand-written samples.

    Columns: text, source, one float column per label (1/0, NaN where the source does not annotate the label).
    `frame.attrs["origin"]` says which data it is.
    """
    directory = resolve_data_dir(data_dir)
    if directory is not None and Path(directory).is_dir():
        from pipeline.classify.data import load_training_data

        frame, _ = load_training_data(Path(directory))
        frame = frame.sample(n=min(rows, len(frame)), random_state=seed).reset_index(drop=True)
        frame.attrs["origin"] = f"{len(frame)} random rows of the training data in {directory}"
        return frame
    from pipeline._report_samples import sample_labels

    frame = sample_labels().assign(source="samples")[["text", "source", *LABELS]]
    frame.attrs["origin"] = f"the project's {len(frame)} hand-written sample posts (data/samples)"
    return frame


def _strata(frame: pd.DataFrame, labels: Sequence[str], folds: int) -> np.ndarray:
    """One stratum per (source, label combination); combinations rarer than `folds` rows share one stratum."""
    key = frame["source"].astype(str) + "|" + frame[list(labels)].fillna(-1).astype(int).astype(str).agg("".join, axis=1)
    counts = key.map(key.value_counts())
    return pd.factorize(key.where(counts >= folds, "rare"))[0]


def holdout_predictions(frame: pd.DataFrame, folds: int = 3, seed: int = 0, **params: Any) -> pd.DataFrame:
    """Out-of-fold probabilities: each row scored by a `PatroliClassifier` trained without it (grouped so that
    duplicate texts share a fold, stratified by label combination).

    Returns a DataFrame on `frame`'s index: fold, one probability column per label, and threshold_<label>, the
    threshold the row's fold model chose on its own training data. `params` override `QUICK_PARAMS`.
    """
    labels = [label for label in LABELS if label in frame.columns]
    settings = {**QUICK_PARAMS, **params}
    if "slang" not in settings:
        from pipeline.text import lexicons

        settings["slang"] = lexicons.slang_map(resolve_data_dir(None))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    out = pd.DataFrame(index=frame.index, columns=["fold", *labels, *(f"threshold_{lab}" for lab in labels)],
                       dtype="float64")
    texts = frame["text"].astype(str)
    for fold, (train, test) in enumerate(splitter.split(frame, _strata(frame, labels, folds), duplicate_groups(texts))):
        clf = PatroliClassifier(labels=tuple(labels), random_state=seed, **settings)
        clf.fit(texts.iloc[train].tolist(), frame.iloc[train])
        rows = frame.index[test]
        out.loc[rows, labels] = clf.predict_proba(texts.iloc[test].tolist())
        out.loc[rows, "fold"] = fold
        for label in labels:
            out.loc[rows, f"threshold_{label}"] = clf.thresholds_[label]
    return out.astype({"fold": "int64"})


def _known(truth: pd.DataFrame, held: pd.DataFrame, label: str) -> tuple[np.ndarray, np.ndarray]:
    mask = truth[label].notna().to_numpy()
    return truth[label].to_numpy()[mask].astype(int), held[label].to_numpy(dtype=float)[mask]


def _labels(truth: pd.DataFrame, held: pd.DataFrame, labels: Sequence[str] | None) -> list[str]:
    return list(labels) if labels is not None else [lab for lab in LABELS if lab in truth and lab in held]


def pr_curve_frame(truth: pd.DataFrame, held: pd.DataFrame, labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Precision/recall curve points per label: label, threshold, precision, recall (rows with a known label)."""
    parts = []
    for label in _labels(truth, held, labels):
        y, p = _known(truth, held, label)
        if y.sum() == 0:
            continue
        precision, recall, thresholds = precision_recall_curve(y, p)
        parts.append(pd.DataFrame({"label": label, "threshold": np.r_[thresholds, 1.0],
                                   "precision": precision, "recall": recall}))
    columns = ["label", "threshold", "precision", "recall"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def calibration_frame(truth: pd.DataFrame, held: pd.DataFrame, bins: int = 10,
                      labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Reliability-curve points per label: label, bin, mean_predicted, observed_rate, posts (non-empty bins of
    equal width over [0, 1]). A calibrated model has observed_rate close to mean_predicted."""
    parts = []
    edges = np.linspace(0.0, 1.0, bins + 1)
    for label in _labels(truth, held, labels):
        y, p = _known(truth, held, label)
        which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
        frame = pd.DataFrame({"bin": which, "p": p, "y": y}).groupby("bin").agg(
            mean_predicted=("p", "mean"), observed_rate=("y", "mean"), posts=("y", "size")).reset_index()
        parts.append(frame.assign(label=label))
    columns = ["label", "bin", "mean_predicted", "observed_rate", "posts"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def confusion_frame(truth: pd.DataFrame, held: pd.DataFrame, thresholds: dict[str, float] | None = None,
                    labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Confusion counts per label at a threshold: label, threshold, tp, fp, fn, tn, precision, recall.

    Thresholds: `thresholds[label]` if given, else each row's threshold_<label> from `holdout_predictions` (the
    honest choice: every fold model picked it without seeing the row); `threshold` is then their mean.
    """
    rows = []
    for label in _labels(truth, held, labels):
        mask = truth[label].notna().to_numpy()
        y, p = _known(truth, held, label)
        limit = (np.full(len(p), thresholds[label]) if thresholds and label in thresholds
                 else held[f"threshold_{label}"].to_numpy(dtype=float)[mask])
        pred = p >= limit
        tp, fp = int((pred & (y == 1)).sum()), int((pred & (y == 0)).sum())
        fn, tn = int((~pred & (y == 1)).sum()), int((~pred & (y == 0)).sum())
        rows.append({"label": label, "threshold": float(limit.mean()) if len(limit) else float("nan"),
                     "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                     "precision": tp / (tp + fp) if tp + fp else float("nan"),
                     "recall": tp / (tp + fn) if tp + fn else float("nan")})
    return pd.DataFrame(rows, columns=["label", "threshold", "tp", "fp", "fn", "tn", "precision", "recall"])


def workload_frame(truth: pd.DataFrame, held: pd.DataFrame, thresholds: Sequence[float] | None = None,
                   labels: Sequence[str] | None = None) -> pd.DataFrame:
    """What a threshold costs and buys, per label: label, threshold, flagged_per_1000 (posts an analyst must
    review per 1000 scanned, at this data's base rate), precision, recall."""
    grid = np.round(np.linspace(0.05, 0.95, 19), 2) if thresholds is None else np.asarray(thresholds, dtype=float)
    rows = []
    for label in _labels(truth, held, labels):
        y, p = _known(truth, held, label)
        for t in grid:
            pred = p >= t
            tp = int((pred & (y == 1)).sum())
            rows.append({"label": label, "threshold": float(t),
                         "flagged_per_1000": 1000 * pred.mean() if len(p) else float("nan"),
                         "precision": tp / pred.sum() if pred.sum() else float("nan"),
                         "recall": tp / y.sum() if y.sum() else float("nan")})
    return pd.DataFrame(rows, columns=["label", "threshold", "flagged_per_1000", "precision", "recall"])
