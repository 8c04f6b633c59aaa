"""Calibration of decision values (Platt scaling, and its multi-input form that stacks several heads and gate cues)
and threshold choice on out-of-fold predictions."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve

from pipeline.classify.fitted import sigmoid


def fit_stack(Z: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None,
              l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """(coefficients, intercept) of a logistic calibrator over the columns of `Z`, fitted with Platt's target
    smoothing and a small ridge penalty on the coefficients; with one column this is Platt scaling."""
    Z = np.asarray(Z, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    n_pos, n_neg = w[y > 0].sum(), w[y <= 0].sum()
    target = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    X = np.column_stack([Z, np.ones(len(y))])
    beta = np.zeros(X.shape[1])
    beta[0] = 1.0
    penalty = np.full(X.shape[1], l2 * w.sum())
    penalty[-1] = 1e-9
    # Newton iterations on the weighted, smoothed log-loss.
    for _ in range(100):
        p = sigmoid(X @ beta)
        g = X.T @ (w * (p - target)) + penalty * beta
        h = (X * (w * np.maximum(p * (1 - p), 1e-12))[:, None]).T @ X + np.diag(penalty)
        step = np.linalg.solve(h, g)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1].copy(), float(beta[-1])


def apply_platt(decision: np.ndarray, params: tuple[float, float]) -> np.ndarray:
    return sigmoid(params[0] * np.asarray(decision, dtype=float) + params[1])


def best_f1_threshold(y: np.ndarray, proba: np.ndarray, weight: np.ndarray | None = None,
                      tolerance: float = 0.0, lean: str = "recall") -> float:
    """The probability threshold maximising (weighted) F1 on (out-of-fold) predictions; with `tolerance` > 0, the
    lowest (`lean="recall"`: where F1 is flat near its top, the one that flags the most) or the highest
    (`lean="precision"`: the one that flags the least) threshold whose F1 is within that fraction of the best."""
    if lean not in ("recall", "precision"):
        raise ValueError(f"lean must be 'recall' or 'precision', not {lean!r}")
    precision, recall, thresholds = precision_recall_curve(y, proba, sample_weight=weight)
    if not len(thresholds):
        return 0.5
    f1 = (2 * precision * recall / np.maximum(precision + recall, 1e-12))[:-1]
    if tolerance <= 0:
        return float(thresholds[int(np.argmax(f1))])
    near = thresholds[f1 >= (1.0 - tolerance) * f1.max()]
    return float(near.min() if lean == "recall" else near.max())


def capped_threshold(y: np.ndarray, proba: np.ndarray, threshold: float, max_false_positive_rate: float) -> float:
    """`threshold`, raised if needed so that at most `max_false_positive_rate` of the negatives reach it."""
    return capped_flag_rate(np.asarray(proba)[np.asarray(y) == 0], threshold, max_false_positive_rate)


def capped_flag_rate(proba: np.ndarray, threshold: float, max_flag_rate: float) -> float:
    """`threshold`, raised if needed so that at most `max_flag_rate` of the rows scored `proba` reach it; unchanged
    when there are no rows. A cap cannot slide: however flat F1 is, these rows bound how low the threshold goes.
    A threshold is a probability: rows scored 1.0 keep it at 1.0, the most the cap can ask."""
    scores = np.sort(np.asarray(proba, dtype=float))
    if not len(scores):
        return threshold
    allowed = int(np.floor(max_flag_rate * len(scores)))
    # The (allowed+1)-th highest score must stay below the threshold.
    limit = scores[len(scores) - allowed - 1] if allowed < len(scores) else -np.inf
    return float(min(1.0, max(threshold, np.nextafter(limit, np.inf))))
