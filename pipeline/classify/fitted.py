"""What scoring needs of a trained classifier, without scikit-learn: the analyser, the fitted feature builder, each
decision column's weights and each label's calibrator and threshold.

`LinearScoring` scores posts from those fitted attributes; `PatroliClassifier` (the scikit-learn estimator that
fits them) and `FittedClassifier` (the plain object a model file holds) both score through it. Loading a model
therefore imports numpy, SciPy's sparse matrices and the text modules, not scikit-learn or pandas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from pipeline.classify._features import FeatureBuilder, Hits
from pipeline.labels import SARA_SUBLABELS
from pipeline.text import Analyzer
from pipeline.text.negation import negated_positions

#: A label's calibrator inputs besides its own head: (other decision columns, gate cues, plain cue columns).
StackInputs = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


class Featurized(NamedTuple):
    """Posts' feature matrix and what it was built from, one entry per post: what explanations reuse."""

    matrix: sp.csr_matrix
    normalized: list[list[str]]
    stemmed: list[list[str]]
    hits: list[Hits]
    negated: list[list[bool]]  # per token, whether a negator governs it


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def apply_stack(Z: np.ndarray, params: tuple[np.ndarray, float]) -> np.ndarray:
    """Calibrated probabilities of the rows of `Z` under a calibrator's (coefficients, intercept)."""
    return sigmoid(np.asarray(Z, dtype=float) @ params[0] + params[1])


class LinearScoring:
    """Scoring from fitted attributes: `labels`, `heads_` (the labels with a head), `columns_` (the decision
    columns: heads, then definition heads), `analyzer_`, `features_`, `coef_` and `intercept_` (one row per decision
    column), `stack_` (label -> `StackInputs`), `calibrators_` and `thresholds_`."""

    labels: Sequence[str]
    heads_: list[str]
    columns_: list[str]
    analyzer_: Analyzer
    features_: FeatureBuilder
    coef_: np.ndarray
    intercept_: np.ndarray
    stack_: dict[str, StackInputs]
    calibrators_: dict[str, tuple[np.ndarray, float]]
    thresholds_: dict[str, float]

    def featurize(self, X: Sequence[str]) -> Featurized:
        """The feature matrix of raw posts with what it was built from (tokens, stems, cue hits)."""
        normalized, stemmed = self.analyzer_.analyze_many(list(X))
        # found once: the cues, the word features and the explanations all read it
        negated = list(map(negated_positions, normalized))
        hits = [self.features_.cue_hits(tokens, stems, marks)
                for tokens, stems, marks in zip(normalized, stemmed, negated, strict=True)]
        return Featurized(self.features_.transform(normalized, stemmed, hits, negated), normalized, stemmed, hits,
                          negated)

    def decisions(self, M: sp.csr_matrix) -> np.ndarray:
        """Each decision column's linear value (`columns_` order) per row of a feature matrix."""
        return np.asarray(M @ self.coef_.T, dtype=np.float64) + self.intercept_

    def proba_from_features(self, M: sp.csr_matrix) -> np.ndarray:
        D = self.decisions(M)
        labels = list(self.labels)
        P = np.zeros((M.shape[0], len(labels)))
        for label in self.heads_:
            P[:, labels.index(label)] = self._gated(label, apply_stack(self._stack_inputs(label, D, M),
                                                                       self.calibrators_[label]), M)
        subs = [(type_, sub) for type_, sub in SARA_SUBLABELS.items() if sub in labels]
        if "sara" in self.heads_ and subs:
            named = self._cue_block(M, [f"target_{type_}" for type_, _ in subs]) > 0
            sara = P[:, labels.index("sara")]
            for k, (_, sub) in enumerate(subs):
                P[:, labels.index(sub)] = np.where(named[:, k], sara, 0.0)
        return P

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """An (n, len(labels)) array of calibrated probabilities."""
        return self.proba_from_features(self.featurize(X).matrix)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """0/1 per post and label: whether its probability reaches the label's threshold."""
        P = self.predict_proba(X)
        return (P >= np.array([self.thresholds_[label] for label in self.labels])).astype(int)

    def fitted(self) -> FittedClassifier:
        """These fitted attributes alone, as a model file keeps them (no training parameters, no out-of-fold
        predictions, no scikit-learn objects)."""
        return FittedClassifier(**{name: getattr(self, name) for name in FITTED if name != "labels"},
                                labels=tuple(self.labels))

    def _gated(self, label: str, proba: np.ndarray, M: sp.csr_matrix) -> np.ndarray:
        """SARA is hostility aimed at a group: a post that names no SARA group (`target_any`) has SARA probability
        0, however hostile it is (hate at no named group is hate speech). Other labels pass unchanged."""
        if label != "sara":
            return proba
        return np.where(self._cue_block(M, ["target_any"])[:, 0] > 0, proba, 0.0)

    def _stack_inputs(self, label: str, D: np.ndarray, M: sp.csr_matrix) -> np.ndarray:
        """The calibrator's inputs for `label`: its head's decision, the other heads' decisions it reads, then per gate
        cue its presence (0/1) and each of those decisions times it, then its plain cue columns."""
        own = D[:, self.columns_.index(label)]
        others, gates, cues = self.stack_.get(label, ((), (), ()))
        columns = [own, *(D[:, self.columns_.index(o)] for o in others)]
        if gates or cues:
            block = self._cue_block(M, [*gates, *cues])
            for k in range(len(gates)):
                present = (block[:, k] > 0).astype(float)
                columns += [present, present * own, *(present * D[:, self.columns_.index(o)] for o in others)]
            columns += [block[:, len(gates) + k] for k in range(len(cues))]
        return np.column_stack(columns)

    def _cue_block(self, M: sp.csr_matrix, names: Sequence[str]) -> np.ndarray:
        """The named cue columns of a feature matrix, dense."""
        return M[:, [self.features_.cue_column(name) for name in names]].toarray().astype(float)


#: The attributes a `FittedClassifier` holds: those `LinearScoring` reads.
FITTED = ("labels", "heads_", "columns_", "analyzer_", "features_", "coef_", "intercept_", "stack_", "calibrators_",
          "thresholds_")


class FittedClassifier(LinearScoring):
    """A trained classifier as a model file holds it: the fitted attributes alone (`FITTED`), no training
    parameters and no scikit-learn objects (`PatroliClassifier.fitted()` makes one)."""

    def __init__(self, **fitted: Any) -> None:
        missing = set(FITTED) - set(fitted)
        if missing or set(fitted) - set(FITTED):
            raise TypeError(f"a fitted classifier takes exactly {', '.join(FITTED)}")
        self.__dict__.update(fitted)
