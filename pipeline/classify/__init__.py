"""The classifier: features, the scikit-learn estimator, training, calibration, evaluation, explanations and the
model artifact (a joblib file checked against its card)."""

from __future__ import annotations

from pipeline.classify.artifact import Model, load_model
from pipeline.classify.estimator import PatroliClassifier

__all__ = ["Model", "PatroliClassifier", "load_model"]
