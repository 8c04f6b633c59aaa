"""`PatroliClassifier`: a scikit-learn-conventional multi-label estimator for Indonesian posts.

One linear model per label over shared features (stemmed word n-grams, character n-grams, lexicon cues): logistic
regression on features scaled by their naive-Bayes log-count ratio (NB-LR), each
calibrated with Platt scaling on out-of-fold decision values, with a per-label threshold chosen on the same
out-of-fold predictions. Labels may be missing (NaN) for some training rows: each label learns from the rows that
annotate it, so datasets annotated for different labels train one model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from pipeline.classify._features import FeatureBuilder
from pipeline.classify.calibration import apply_platt, best_f1_threshold, capped_threshold, fit_platt
from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.text import Analyzer, FastStemmer, Normalizer

#: SARA hate speech is hate speech aimed at a religion or race: modelled as P(hate) * P(SARA target | hate).
SARA_UNDER_HATE: tuple[tuple[str, str], ...] = (("sara", "hate_speech"), ("sara_agama", "hate_speech"),
                                                 ("sara_ras", "hate_speech"))


class PatroliClassifier(BaseEstimator):
    """Calibrated per-label probabilities for hoax, provocation, SARA, hate speech and abusive language.

    `fit(X, y)`: X is a sequence of raw post texts; y a DataFrame (or 2-D array in `labels` order) of 0/1 with NaN
    where a row is not annotated for a label. Labels in `conditional_on` (child, parent) are learnt on the rows where
    the parent holds and scored as P(parent) * P(child | parent). Thresholds maximise out-of-fold F1, raised where
    `max_false_positive_rate` caps a label's false-flag rate among its negatives: hoax is rare in a real stream, so
    its threshold must not be set by the dataset's hoax-heavy mix. `predict_proba(X)` returns an (n, len(labels))
    array of calibrated probabilities; `predict(X)` applies `thresholds_`.
    """

    def __init__(self, labels: Sequence[str] = LABELS, word_ngram_range: tuple[int, int] = (1, 2),
                 char_ngram_range: tuple[int, int] = (2, 5), min_df: int = 2, max_word_features: int = 60_000,
                 max_char_features: int = 120_000, C: float = 4.0, class_weight: str | None = "balanced",
                 nb_scaling: bool = True,
                 calibration_folds: int = 5, conditional_on: tuple[tuple[str, str], ...] = SARA_UNDER_HATE,
                 max_false_positive_rate: tuple[tuple[str, float], ...] = (("hoax", 0.01),),
                 slang: dict[str, str] | None = None, random_state: int = 0) -> None:
        self.labels = labels
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.C = C
        self.class_weight = class_weight
        self.nb_scaling = nb_scaling
        self.calibration_folds = calibration_folds
        self.conditional_on = conditional_on
        self.max_false_positive_rate = max_false_positive_rate
        self.slang = slang
        self.random_state = random_state

    def _fit_head(self, M: sp.csr_matrix, y: np.ndarray) -> tuple[np.ndarray, float]:
        """(weights, intercept) of one label's linear head, folded so that decision = M @ weights + intercept.

        With `nb_scaling` (NB-LR, Wang & Manning 2012), features are first scaled by their naive-Bayes log-count
        ratio on these rows; the scaling folds into the weights, so scoring and explanations stay one dot product.
        """
        ratio = _nb_ratio(M, y) if self.nb_scaling else None
        X = M @ sp.diags(ratio) if ratio is not None else M
        model = LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear", max_iter=1000,
                                   random_state=self.random_state)
        model.fit(X, y)
        weights = model.coef_[0] * ratio if ratio is not None else model.coef_[0]
        return weights.astype(np.float32), float(model.intercept_[0])

    def fit(self, X: Sequence[str], y: pd.DataFrame | np.ndarray) -> PatroliClassifier:
        labels = list(self.labels)
        Y = y[labels].to_numpy(dtype=float) if isinstance(y, pd.DataFrame) else np.asarray(y, dtype=float)
        if Y.shape != (len(X), len(labels)):
            raise InputError(f"y has shape {Y.shape}; expected ({len(X)}, {len(labels)})")
        self.analyzer_ = Analyzer(Normalizer(self.slang), FastStemmer())
        self.features_ = FeatureBuilder(self.word_ngram_range, self.char_ngram_range, self.min_df,
                                        self.max_word_features, self.max_char_features)
        normalized, stemmed = self.analyzer_.analyze_many(list(X))
        M = self.features_.fit_transform(normalized, stemmed)
        self.parents_ = {c: p for c, p in self.conditional_on if c in labels and p in labels}
        caps = dict(self.max_false_positive_rate)
        self.coef_ = np.zeros((len(labels), M.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(len(labels), dtype=np.float64)
        self.platt_ = np.zeros((len(labels), 2), dtype=np.float64)
        self.thresholds_: dict[str, float] = {}
        self.oof_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        oof_full: dict[str, np.ndarray] = {}
        for label in sorted(labels, key=lambda lab: lab in self.parents_):  # parents before their children
            j, parent = labels.index(label), self.parents_.get(label)
            known = ~np.isnan(Y[:, j])
            if parent is not None:
                known &= ~np.isnan(Y[:, labels.index(parent)])
            rows = np.flatnonzero(known)
            target = Y[rows, j].astype(int)
            # A child label is learnt only where its parent holds: P(sara) = P(hate) * P(sara | hate).
            fit_mask = np.ones(len(rows), bool) if parent is None else Y[rows, labels.index(parent)] == 1
            if target[fit_mask].min() == target[fit_mask].max():
                raise InputError(f"label {label!r} has only one class in the training data")
            decision = self._oof_decision(M[rows], target, fit_mask)
            self.platt_[j] = fit_platt(decision[fit_mask], target[fit_mask])
            proba = apply_platt(decision, tuple(self.platt_[j]))
            if parent is not None:
                proba = proba * oof_full[parent][rows]
            oof_full[label] = np.full(len(X), np.nan)
            oof_full[label][rows] = proba
            threshold = best_f1_threshold(target, proba)
            if label in caps:
                threshold = capped_threshold(target, proba, threshold, caps[label])
            self.thresholds_[label] = threshold
            self.oof_[label] = (rows, proba)
            self.coef_[j], self.intercept_[j] = self._fit_head(M[rows[fit_mask]], target[fit_mask])
        return self

    def _oof_decision(self, M: sp.csr_matrix, target: np.ndarray, fit_mask: np.ndarray) -> np.ndarray:
        folds = StratifiedKFold(self.calibration_folds, shuffle=True, random_state=self.random_state)
        decision = np.zeros(len(target))
        for train, test in folds.split(np.zeros(len(target)), target):
            train = train[fit_mask[train]]
            weights, intercept = self._fit_head(M[train], target[train])
            decision[test] = M[test] @ weights + intercept
        return decision

    def featurize(self, X: Sequence[str]) -> tuple[sp.csr_matrix, list[list[str]], list[list[str]]]:
        """(feature matrix, normalised tokens, stemmed tokens) of raw posts."""
        normalized, stemmed = self.analyzer_.analyze_many(list(X))
        return self.features_.transform(normalized, stemmed), normalized, stemmed

    def proba_from_features(self, M: sp.csr_matrix) -> np.ndarray:
        D = np.asarray(M @ self.coef_.T, dtype=np.float64) + self.intercept_
        P = np.column_stack([apply_platt(D[:, j], tuple(self.platt_[j])) for j in range(D.shape[1])])
        labels = list(self.labels)
        for child, parent in self.parents_.items():
            P[:, labels.index(child)] *= P[:, labels.index(parent)]
        return P

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        return self.proba_from_features(self.featurize(X)[0])

    def predict(self, X: Sequence[str]) -> np.ndarray:
        P = self.predict_proba(X)
        return (P >= np.array([self.thresholds_[label] for label in self.labels])).astype(int)


def _nb_ratio(M: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio of each feature's presence between the positive and negative rows."""
    present = M.copy()
    present.data = np.ones_like(present.data)
    positive = np.asarray(present[y == 1].sum(axis=0)).ravel() + alpha
    negative = np.asarray(present[y == 0].sum(axis=0)).ravel() + alpha
    return (np.log(positive / positive.sum()) - np.log(negative / negative.sum())).astype(np.float32)
