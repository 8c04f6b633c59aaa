"""The shipped model: a gzip-compressed pickle plus `model_card.json`, refused on load unless its SHA-256 matches the
card.

The pickle holds the fitted classifier alone (`FittedClassifier`: arrays, dicts and the analyser), so loading it
imports neither scikit-learn nor the training code; a plain pickle (protocol 5, read by the C unpickler) also loads
about ten times faster than the same object through joblib. A model file written before holds the whole
`PatroliClassifier` and still loads (importing scikit-learn).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
import platform
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.classify.explain import explain
from pipeline.classify.fitted import LinearScoring
from pipeline.config import DEFAULT_MODEL_DIR
from pipeline.digest import sha256_file
from pipeline.errors import ModelError
from pipeline.labels import FLAG_LABELS, check_label

MODEL_FILE = "model.pkl.gz"
CARD_FILE = "model_card.json"


class Model:
    """A trained classifier with its card: scores, flags and explanations for posts."""

    def __init__(self, estimator: LinearScoring, card: dict[str, Any]) -> None:
        self.estimator = estimator
        self.card = card

    @property
    def version(self) -> str:
        return str(self.card.get("version", "unversioned"))

    @property
    def labels(self) -> list[str]:
        return list(self.estimator.labels)

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.estimator.thresholds_)

    def resolve_thresholds(self, overrides: dict[str, float] | None = None) -> dict[str, float]:
        """The card's thresholds with `overrides` (label -> probability in [0, 1]) applied."""
        thresholds = self.thresholds
        for label, value in (overrides or {}).items():
            check_label(label)
            if not 0.0 <= float(value) <= 1.0:
                raise ModelError(f"threshold for {label} must be between 0 and 1, got {value}")
            thresholds[label] = float(value)
        return thresholds

    def score(self, texts: list[str] | pd.Series) -> pd.DataFrame:
        """One float64 column per label: the calibrated probability of each post."""
        texts = [str(t) for t in texts]
        if not texts:
            return pd.DataFrame({label: pd.Series(dtype="float64") for label in self.labels})
        return pd.DataFrame(self.estimator.predict_proba(texts), columns=self.labels)

    def flags(self, scores: pd.DataFrame | np.ndarray, thresholds: dict[str, float] | None = None) -> list[list[str]]:
        """The flag rule: per row of `scores` (a frame from `score`, or an array with one column per label in
        `labels` order), the flagging labels whose score reaches its threshold, in FLAG_LABELS order."""
        limits = self.resolve_thresholds(thresholds)
        labels = [label for label in FLAG_LABELS if label in self.labels]
        if isinstance(scores, pd.DataFrame):
            values = scores[labels].to_numpy()
        else:
            values = np.asarray(scores)[:, [self.labels.index(label) for label in labels]]
        hits = values >= np.array([limits[label] for label in labels])
        return [[labels[j] for j in np.flatnonzero(row)] for row in hits]

    def explain(self, text: str, label: str | None = None, top: int = 5) -> dict[str, list[tuple[str, float]]]:
        """The terms of `text` that pushed each label's score up (all labels, or just `label`)."""
        labels = [check_label(label)] if label else self.labels
        return {lab: explain(self.estimator, text, lab, top) for lab in labels}

    def save(self, directory: str | Path, extra_card: dict[str, Any] | None = None) -> Path:
        """Write model.pkl.gz (the fitted classifier) and model_card.json with the file's SHA-256 (the same bytes for
        the same model)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / MODEL_FILE
        path.write_bytes(gzip.compress(pickle.dumps(self.estimator.fitted(), protocol=5), compresslevel=6, mtime=0))
        card = {**self.card, **(extra_card or {})}
        card.update({
            "model_file": MODEL_FILE,
            "model_sha256": sha256_file(path),
            "model_bytes": path.stat().st_size,
            "thresholds": {k: round(v, 6) for k, v in self.thresholds.items()},
            "labels": self.labels,
            "library_versions": _versions(),
        })
        self.card = card
        (directory / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return directory


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("scikit-learn", "numpy", "scipy", "pandas", "regex", "Sastrawi", "joblib", "patroli"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


def new_version() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def record_in_card(path: str | Path | None, key: str, figures: dict[str, Any]) -> Path:
    """Store measured `figures` (JSON-able) under `measured[key]` of a model directory's card (default: the shipped
    model) and return the card's path. The model file and its SHA-256 are untouched."""
    directory = Path(path) if path is not None else DEFAULT_MODEL_DIR
    if directory.is_file():
        directory = directory.parent
    card_path = directory / CARD_FILE
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot record figures in {card_path}: {exc}") from exc
    card.setdefault("measured", {})[key] = figures
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return card_path


def load_model(path: str | Path | None = None) -> Model:
    """Load a model directory (default: the shipped `models/default`), checking the file against its card."""
    directory = Path(path) if path is not None else DEFAULT_MODEL_DIR
    if directory.is_file():
        directory = directory.parent
    card_path = directory / CARD_FILE
    model_path = directory / MODEL_FILE
    if not card_path.exists() or not model_path.exists():
        raise ModelError(f"no model in {directory} (expected {MODEL_FILE} and {CARD_FILE}); run `patroli train`")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        data = model_path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ModelError(f"model card {card_path} is unreadable: {exc}") from exc
    # The bytes that are checked are the bytes that are loaded: nothing can swap the file in between.
    expected, actual = card.get("model_sha256"), hashlib.sha256(data).hexdigest()
    if expected != actual:
        raise ModelError(f"refusing to load {model_path}: its SHA-256 {actual[:12]}… does not match the card's "
                         f"{str(expected)[:12]}… (a changed model file could run arbitrary code)")
    try:
        estimator = pickle.loads(gzip.decompress(data))  # noqa: S301 - checked against the card above
    except Exception as exc:  # a corrupt but hash-matching file (e.g. written by an incompatible library)
        raise ModelError(f"cannot load {model_path}: {exc}") from exc
    # A model trained before the cue set changed would fail at its first post with a matrix-shape error.
    built, trained = estimator.features_.n_features, estimator.coef_.shape[1]
    if built != trained:
        raise ModelError(f"cannot use {model_path}: it was trained on {trained} features and this version of patroli "
                         f"builds {built}; retrain it with `patroli train`")
    return Model(estimator, card)
