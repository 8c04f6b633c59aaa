"""Per-label quality: metrics at a threshold, and the tables behind precision/recall curves, calibration curves,
confusion matrices and the threshold-versus-workload trade-off (truth and held-out predictions as DataFrames)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)

from pipeline.labels import LABELS


def label_metrics(y: np.ndarray, proba: np.ndarray, threshold: float | np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 at `threshold` (one value, or one per row, e.g. each CV fold's own), and the
    threshold-free ROC-AUC and PR-AUC; `threshold` in the result is the mean."""
    y = np.asarray(y, dtype=int)
    pred = (np.asarray(proba) >= threshold).astype(int)
    return {
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y, proba)) if 0 < y.sum() < len(y) else float("nan"),
        "pr_auc": float(average_precision_score(y, proba)) if y.sum() else float("nan"),
        "threshold": float(np.mean(threshold)),
        "positives": int(y.sum()),
        "n": int(len(y)),
    }


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
