"""`PatroliClassifier`: a scikit-learn-conventional multi-label estimator for Indonesian posts.

One linear model per label over shared features (stemmed word n-grams, character n-grams, lexicon cues), each
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
from pipeline.classify.calibration import apply_platt, best_f1_threshold, fit_platt
from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.text import Analyzer, FastStemmer, Normalizer


class PatroliClassifier(BaseEstimator):
    """Calibrated per-label probabilities for hoax, provocation, SARA, hate speech and abusive language.

    `fit(X, y)`: X is a sequence of raw post texts; y a DataFrame (or 2-D array in `labels` order) of 0/1 with NaN
    where a row is not annotated for a label. `predict_proba(X)` returns an (n, len(labels)) array of calibrated
    probabilities; `predict(X)` applies `thresholds_`.
    """

    def __init__(self, labels: Sequence[str] = LABELS, word_ngram_range: tuple[int, int] = (1, 2),
                 char_ngram_range: tuple[int, int] = (2, 5), min_df: int = 2, max_word_features: int = 60_000,
                 max_char_features: int = 120_000, C: float = 8.0, class_weight: str | None = "balanced",
                 calibration_folds: int = 5, slang: dict[str, str] | None = None, random_state: int = 0) -> None:
        self.labels = labels
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.C = C
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.slang = slang
        self.random_state = random_state

    def _linear(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear", max_iter=1000)

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
        n_features = M.shape[1]
        self.coef_ = np.zeros((len(labels), n_features), dtype=np.float32)
        self.intercept_ = np.zeros(len(labels), dtype=np.float64)
        self.platt_ = np.zeros((len(labels), 2), dtype=np.float64)
        self.thresholds_: dict[str, float] = {}
        self.oof_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for j, label in enumerate(labels):
            known = ~np.isnan(Y[:, j])
            rows, target = np.flatnonzero(known), Y[known, j].astype(int)
            if target.min() == target.max():
                raise InputError(f"label {label!r} has only one class in the training data")
            Mk = M[rows]
            decision = self._oof_decision(Mk, target)
            self.platt_[j] = fit_platt(decision, target)
            proba = apply_platt(decision, tuple(self.platt_[j]))
            self.thresholds_[label] = best_f1_threshold(target, proba)
            self.oof_[label] = (rows, proba)
            model = self._linear().fit(Mk, target)
            self.coef_[j] = model.coef_[0]
            self.intercept_[j] = model.intercept_[0]
        return self

    def _oof_decision(self, M, target: np.ndarray) -> np.ndarray:
        folds = StratifiedKFold(self.calibration_folds, shuffle=True, random_state=self.random_state)
        decision = np.zeros(len(target))
        for train, test in folds.split(np.zeros(len(target)), target):
            decision[test] = self._linear().fit(M[train], target[train]).decision_function(M[test])
        return decision

    def featurize(self, X: Sequence[str]) -> tuple[sp.csr_matrix, list[str], list[str]]:
        """(feature matrix, normalised texts, stemmed texts) of raw posts."""
        normalized, stemmed = self.analyzer_.analyze_many(list(X))
        return self.features_.transform(normalized, stemmed), normalized, stemmed

    def proba_from_features(self, M: sp.csr_matrix) -> np.ndarray:
        D = np.asarray(M @ self.coef_.T, dtype=np.float64) + self.intercept_
        return np.column_stack([apply_platt(D[:, j], tuple(self.platt_[j])) for j in range(D.shape[1])])

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        M = self.featurize(X)[0]
        return np.asarray(M @ self.coef_.T, dtype=np.float64) + self.intercept_

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        return self.proba_from_features(self.featurize(X)[0])

    def predict(self, X: Sequence[str]) -> np.ndarray:
        P = self.predict_proba(X)
        return (P >= np.array([self.thresholds_[label] for label in self.labels])).astype(int)
