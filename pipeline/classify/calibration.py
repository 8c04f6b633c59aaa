"""Platt calibration of decision values and threshold choice on out-of-fold predictions."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve


def fit_platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Sigmoid parameters (a, b) so that 1 / (1 + exp(-(a*d + b))) is calibrated, with Platt's target smoothing."""
    y = np.asarray(y, dtype=float)
    d = np.asarray(decision, dtype=float)
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    target = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = 1.0, 0.0
    # Newton iterations on the log-loss with smoothed targets (as in Platt 1999 / Lin et al. 2007).
    for _ in range(100):
        p = _sigmoid(a * d + b)
        w = np.maximum(p * (1 - p), 1e-12)
        g = np.array([np.sum((p - target) * d), np.sum(p - target)])
        h = np.array([[np.sum(w * d * d) + 1e-9, np.sum(w * d)], [np.sum(w * d), np.sum(w) + 1e-9]])
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


def apply_platt(decision: np.ndarray, params: tuple[float, float]) -> np.ndarray:
    return _sigmoid(params[0] * np.asarray(decision, dtype=float) + params[1])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def best_f1_threshold(y: np.ndarray, proba: np.ndarray) -> float:
    """The probability threshold maximising F1 on (out-of-fold) predictions."""
    precision, recall, thresholds = precision_recall_curve(y, proba)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(thresholds[best]) if len(thresholds) else 0.5


def capped_threshold(y: np.ndarray, proba: np.ndarray, threshold: float, max_false_positive_rate: float) -> float:
    """`threshold`, raised if needed so that at most `max_false_positive_rate` of the negatives reach it."""
    negatives = np.sort(np.asarray(proba)[np.asarray(y) == 0])
    if not len(negatives):
        return threshold
    allowed = int(np.floor(max_false_positive_rate * len(negatives)))
    # The (allowed+1)-th highest negative score must stay below the threshold.
    limit = negatives[len(negatives) - allowed - 1] if allowed < len(negatives) else -np.inf
    return float(max(threshold, np.nextafter(limit, np.inf)))
