"""Training the default model from the datasets (and, optionally, analysts' verdicts)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.classify.artifact import Model, new_version
from pipeline.classify.data import load_training_data
from pipeline.classify.estimator import PatroliClassifier
from pipeline.classify.metrics import label_metrics
from pipeline.config import DEFAULT_MODEL_DIR, require_data_dir
from pipeline.labels import LABELS
from pipeline.text import lexicons

CITATION = ("Ibrohim & Budi (2019), Multi-label Hate Speech and Abusive Language Detection in Indonesian Twitter, "
            "ALW3; hoax_news2020 'Indonesia False News' (Data_latih.csv)")


def training_frame(data_dir: str | Path | None, feedback: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, dict[str, str]]:
    """The datasets' rows plus reviewer verdicts (text + label columns, NaN where a verdict was not given)."""
    frame, hashes = load_training_data(require_data_dir(data_dir))
    if feedback is not None and not feedback.empty:
        frame = pd.concat([frame, feedback_rows(feedback)[frame.columns]], ignore_index=True)
    return frame, hashes


def feedback_rows(feedback: pd.DataFrame) -> pd.DataFrame:
    """Training rows from reviewer verdicts (`pipeline.review.feedback_frame`): a label an analyst did not judge is
    unknown (NaN), not negative, so it is left out of that label's training."""
    rows = feedback[["text"]].assign(source="feedback")
    judged = feedback["judged"] if "judged" in feedback else pd.Series([list(LABELS)] * len(feedback))
    for label in LABELS:
        known = judged.map(lambda labels, lab=label: lab in labels).to_numpy()
        rows[label] = feedback[label].astype(float).where(known)
    return rows


def train(data_dir: str | Path | None = None, out: str | Path | None = None,
          feedback: pd.DataFrame | None = None, **params: Any) -> Model:
    """Fit the classifier on all data, write it to `out` (default models/default) with its card, and return it."""
    frame, hashes = training_frame(data_dir, feedback)
    clf = PatroliClassifier(slang=lexicons.slang_map(require_data_dir(data_dir)), **params)
    clf.fit(frame["text"].tolist(), frame)
    metrics = {}
    for label in clf.labels:
        rows, proba = clf.oof_[label]
        metrics[label] = label_metrics(frame[label].to_numpy()[rows], proba, clf.thresholds_[label])
    clf.oof_ = {}
    card = {
        "name": "patroli-default",
        "version": new_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_data": {"files_sha256": hashes, "rows": int(len(frame)),
                          "rows_per_label": {lab: int(frame[lab].notna().sum()) for lab in clf.labels},
                          "feedback_rows": int((frame["source"] == "feedback").sum()), "citation": CITATION},
        "params": {k: v for k, v in clf.get_params().items() if k != "slang"},
        "features": {"word": clf.features_.n_word, "char": clf.features_.n_char,
                     "stem_cache": len(clf.analyzer_.stemmer.cache), "slang_entries": len(clf.analyzer_.normalizer.slang)},
        "out_of_fold_metrics": metrics,
        "metrics_note": "out-of-fold predictions of the training run at the stored thresholds; "
                        "see `patroli evaluate` for grouped 5-fold cross-validation",
    }
    model = Model(clf, card)
    model.save(out if out is not None else DEFAULT_MODEL_DIR)
    return model


__all__ = ["train", "training_frame"]
