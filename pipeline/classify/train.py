"""Training the default model from the datasets, the project's hand-written examples and, optionally, analysts'
verdicts."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.classify.artifact import Model, new_version
from pipeline.classify.data import (
    HANDWRITTEN,
    HANDWRITTEN_DIR,
    fold_groups,
    load_training_data,
    training_rows,
)
from pipeline.classify.estimator import PatroliClassifier
from pipeline.classify.metrics import label_metrics
from pipeline.classify.sources import SOURCES
from pipeline.config import DEFAULT_MODEL_DIR, require_data_dir
from pipeline.digest import sha256_file
from pipeline.labels import BASE_LABELS, LABELS
from pipeline.text import lexicons

CITATION = ("Ibrohim & Budi (2019), Multi-label Hate Speech and Abusive Language Detection in Indonesian Twitter, "
            "ALW3; Netifier (2018); hoax_news2020 'Indonesia False News' (Data_latih.csv); Suryadikara "
            "false_news_detection_and_dissemination_analysis (2019); TurnBackHoax / Mafindo via Fawaid (2021); "
            "IndoNLU SmSA (Wilie et al. 2020)")

#: How much one hand-written example counts against one dataset row: they are few, and they carry the genres and
#: contrasts (neutral mentions, counter-speech, genuine notices, debunks) the datasets lack.
HANDWRITTEN_WEIGHT = 3.0
#: The hand-written examples' share of the total weight when calibrating and choosing thresholds.
CALIBRATION_SHARE = 0.5
#: The (source, kind) of the training rows that sample ordinary text: smsa2019's positive and neutral comments and
#: reviews. Their out-of-fold flag rate caps each label's threshold (`PatroliClassifier.max_ordinary_flag_rate`).
ORDINARY = (("smsa2019", "review"),)


def training_frame(data_dir: str | Path | None, feedback: pd.DataFrame | None = None,
                   sources: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The rows to learn from (held-out evaluation rows dropped) plus reviewer verdicts (text + label columns, NaN
    where a verdict was not given), and the SHA-256 of each dataset file."""
    frame, hashes = load_training_data(require_data_dir(data_dir), sources)
    frame = training_rows(frame)
    if feedback is not None and not feedback.empty:
        frame = pd.concat([frame, feedback_rows(feedback).reindex(columns=frame.columns)], ignore_index=True)
        frame["heldout"] = frame["heldout"].fillna(False).astype(bool)
    return frame, hashes


def feedback_rows(feedback: pd.DataFrame) -> pd.DataFrame:
    """Training rows from reviewer verdicts (`pipeline.review.feedback_frame`): a label an analyst did not judge is
    unknown (NaN), not negative, so it is left out of that label's training."""
    rows = feedback[["text"]].assign(source="feedback", kind="feedback")
    judged = feedback["judged"] if "judged" in feedback else pd.Series([list(LABELS)] * len(feedback))
    for label in BASE_LABELS:
        known = judged.map(lambda labels, lab=label: lab in labels).to_numpy()
        rows[label] = feedback[label].astype(float).where(known)
    return rows


def sample_weights(frame: pd.DataFrame, handwritten_weight: float = HANDWRITTEN_WEIGHT) -> np.ndarray:
    """Per-row training weight: `handwritten_weight` for the project's hand-written examples, 1 otherwise."""
    return np.where(frame["source"] == HANDWRITTEN, handwritten_weight, 1.0)


def calibration_weights(frame: pd.DataFrame, share: float = CALIBRATION_SHARE) -> np.ndarray:
    """Per-row weight in calibration and threshold choice: the hand-written examples together weigh `share` of the
    total, so the calibrators learn what the labels mean from them, and the datasets' weigh the rest."""
    handwritten = (frame["source"] == HANDWRITTEN).to_numpy()
    if not handwritten.any() or handwritten.all():
        return np.ones(len(frame))
    per_row = share / (1 - share) * (~handwritten).sum() / handwritten.sum()
    return np.where(handwritten, per_row, 1.0)


def ordinary_rows(frame: pd.DataFrame) -> np.ndarray:
    """Which rows of a training frame are ordinary text (`ORDINARY`), as a boolean array."""
    pairs = zip(frame["source"].astype(str), frame["kind"].astype(str), strict=True)
    return np.array([pair in ORDINARY for pair in pairs], dtype=bool)


def fit_frame(frame: pd.DataFrame, slang: dict[str, str], handwritten_weight: float = HANDWRITTEN_WEIGHT,
              calibration_share: float = CALIBRATION_SHARE, **params: Any) -> PatroliClassifier:
    """A classifier fitted on a training frame: its texts, labels, source weights and fold groups, with the
    hand-written examples as the definition rows and smsa2019's positive and neutral comments as the ordinary rows."""
    clf = PatroliClassifier(slang=slang, **params)
    return clf.fit(frame["text"].tolist(), frame, sample_weight=sample_weights(frame, handwritten_weight),
                   groups=fold_groups(frame), calibration_weight=calibration_weights(frame, calibration_share),
                   definition_rows=(frame["source"] == HANDWRITTEN).to_numpy(), ordinary_rows=ordinary_rows(frame))


def files_read_besides_datasets(data_dir: Path) -> dict[str, str]:
    """SHA-256 of the other files training reads: kamus alay (slang) from the data directory and the hand-written
    training examples of the repository."""
    hashes = {}
    if (data_dir / lexicons.KAMUS_ALAY).is_file():
        hashes[lexicons.KAMUS_ALAY.as_posix()] = sha256_file(data_dir / lexicons.KAMUS_ALAY)
    for path in sorted(Path(HANDWRITTEN_DIR).glob("*.csv")):
        hashes[f"data/training/{path.name}"] = sha256_file(path)
    return hashes


def source_metrics(frame: pd.DataFrame, label: str, rows: np.ndarray, proba: np.ndarray,
                   threshold: float) -> dict[str, dict[str, float]]:
    """Per dataset annotating `label`: metrics of out-of-fold `proba` (for `frame`'s `rows`) at `threshold` where it
    has both classes, else its false-flag rate."""
    sources = frame["source"].to_numpy()[rows]
    truth = frame[label].to_numpy()[rows]
    out = {}
    for source in sorted(set(sources)):
        mine = sources == source
        y = truth[mine].astype(int)
        if 0 < y.sum() < len(y):
            out[str(source)] = label_metrics(y, proba[mine], threshold)
        else:
            out[str(source)] = {"n": int(len(y)), "positives": int(y.sum()),
                                "flag_rate": float((proba[mine] >= threshold).mean())}
    return out


def train(data_dir: str | Path | None = None, out: str | Path | None = None,
          feedback: pd.DataFrame | None = None, extra_card: dict[str, Any] | None = None, **params: Any) -> Model:
    """Fit the classifier on all data, write it to `out` (default models/default) with its card, and return it."""
    started = time.perf_counter()
    frame, hashes = training_frame(data_dir, feedback)
    hashes = {**hashes, **files_read_besides_datasets(require_data_dir(data_dir))}
    clf = fit_frame(frame, lexicons.slang_map(require_data_dir(data_dir)), **params)
    metrics = {label: label_metrics(frame[label].to_numpy()[rows], proba, clf.thresholds_[label])
               for label, (rows, proba) in clf.oof_.items()}
    per_source = {label: source_metrics(frame, label, rows, proba, clf.thresholds_[label])
                  for label, (rows, proba) in clf.oof_.items()}
    clf.oof_ = {}
    card = {
        "name": "patroli-default",
        "version": new_version(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_data": {
            "files_sha256": hashes, "rows": int(len(frame)),
            "rows_per_source": {str(k): int(v) for k, v in frame["source"].value_counts().sort_index().items()},
            "rows_per_label": {lab: int(frame[lab].notna().sum()) for lab in clf.heads_},
            "positives_per_label": {lab: int((frame[lab] == 1).sum()) for lab in clf.heads_},
            "label_mapping": {name: " ".join(source.load.__doc__.split("\n\n")[0].split())
                              for name, source in SOURCES.items()},
            "handwritten_weight": params.get("handwritten_weight", HANDWRITTEN_WEIGHT),
            "calibration_share": params.get("calibration_share", CALIBRATION_SHARE),
            "feedback_rows": int((frame["source"] == "feedback").sum()), "citation": CITATION},
        "params": {k: v for k, v in clf.get_params().items() if k != "slang"},
        "training_seconds": round(time.perf_counter() - started),
        "features": {"word": clf.features_.n_word, "char": clf.features_.n_char,
                     "stem_cache": len(clf.analyzer_.stemmer.cache), "slang_entries": len(clf.analyzer_.normalizer.slang)},
        "out_of_fold_metrics": metrics,
        "out_of_fold_metrics_per_source": per_source,
        "out_of_fold_ordinary_flag_rate": {label: round(rate, 6) for label, rate in clf.ordinary_flag_rate_.items()},
        "metrics_note": "out-of-fold predictions of the training run at the stored thresholds; see `patroli evaluate` "
                        "for grouped 5-fold cross-validation, `patroli evaluate --cross` for cross-dataset and "
                        "temporal results and `patroli check` for the functional suite",
        **(extra_card or {}),
    }
    model = Model(clf, card)
    model.save(out if out is not None else DEFAULT_MODEL_DIR)
    return model


__all__ = ["fit_frame", "train", "training_frame"]
