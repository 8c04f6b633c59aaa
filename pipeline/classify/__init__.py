"""The classifier: features, the scikit-learn estimator (`pipeline.classify.estimator`), training, calibration,
evaluation, explanations and the model artifact (a compressed pickle of the fitted classifier, checked against its
card). Loading and scoring a model import neither scikit-learn nor the training code."""

from __future__ import annotations

from pipeline.classify.artifact import Model, load_model

__all__ = ["Model", "load_model"]
