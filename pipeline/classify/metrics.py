"""Per-label quality metrics at a threshold."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score


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
