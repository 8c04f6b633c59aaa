"""Evaluation of the whole training procedure: grouped k-fold cross-validation (in-domain), cross-dataset
(train on all sources but one, test on the one left out) and temporal (train on items up to 2018, test on hoaxes
of 2019-2020) splits; and the same idea on a few thousand rows with small features for notebooks
(`evaluation_data`, `holdout_predictions`: a minute, not 20).

Every split trains with `fit_frame`, exactly as `patroli train` does, and measures at the thresholds the training
run chose for itself. Held-out ordinary text (smsa2019's valid and test files) and the project's hand-written
validation set (data/validation, never trained on) measure false flags.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.classify.data import (
    HANDWRITTEN,
    duplicate_groups,
    fold_groups,
    load_training_data,
    sample_labels,
    strata,
    training_rows,
)
from pipeline.classify.estimator import PatroliClassifier
from pipeline.classify.metrics import label_metrics
from pipeline.classify.sources import SOURCES
from pipeline.classify.train import fit_frame
from pipeline.config import VALIDATION_DIR, require_data_dir
from pipeline.config import data_dir as resolve_data_dir
from pipeline.labels import BASE_LABELS, FLAG_LABELS, LABELS
from pipeline.text import lexicons

#: The hoax temporal split: train on items dated up to this year (and undated ones), test on later ones.
TEMPORAL_LAST_TRAIN_YEAR = 2018


def validation_frame(directory: Path = VALIDATION_DIR) -> pd.DataFrame:
    """The hand-written validation set: text, kind, and 0/1 label columns (CSV `text,kind,labels`)."""
    rows: list[dict[str, str]] = []
    for path in sorted(Path(directory).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows += list(csv.DictReader(handle))
    frame = pd.DataFrame({"text": [r["text"] for r in rows], "kind": [r["kind"] for r in rows]})
    for label in BASE_LABELS:
        frame[label] = [float(label in (r.get("labels") or "").split(";")) for r in rows]
    return frame



def _scores(clf: PatroliClassifier, texts: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(clf.predict_proba(list(texts)), columns=list(clf.labels))


def _flags(clf: PatroliClassifier, scores: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({label: scores[label] >= clf.thresholds_[label] for label in FLAG_LABELS if label in scores})


def _false_flag_rates(flags: pd.DataFrame) -> dict[str, float]:
    """Share of posts flagged per label (one boolean column each), and for anything but abusive."""
    out = {label: float(flags[label].mean()) for label in flags}
    out["any_but_abusive"] = float(flags.drop(columns="abusive", errors="ignore").any(axis=1).mean())
    return out


def _fit(frame: pd.DataFrame, slang: dict[str, str], seed: int, params: dict[str, Any]) -> PatroliClassifier:
    return fit_frame(frame, slang, random_state=seed, **params)


# --- in-domain cross-validation -----------------------------------------------------------------------------------

def _fold(frame: pd.DataFrame, train: np.ndarray, test: np.ndarray, slang: dict[str, str], seed: int,
          params: dict[str, Any]) -> tuple[np.ndarray, list[str], dict[str, float]]:
    clf = _fit(frame.iloc[train].reset_index(drop=True), slang, seed, params)
    return clf.predict_proba(frame["text"].iloc[test].tolist()), list(clf.labels), clf.thresholds_


def evaluate(data_dir: str | Path | None = None, folds: int = 5, seed: int = 0, n_jobs: int = 1,
             **params: Any) -> dict[str, Any]:
    """Grouped, stratified k-fold cross-validation over all training rows: per label and per source that annotates
    it, precision/recall/F1/ROC-AUC/PR-AUC at the threshold each training fold chose.

    Copies of a text and rows of one story stay in one fold; the hand-written examples train every fold but are
    never scored. Returns {"labels": DataFrame (label, source, metrics...), "folds", "seed", "data_sha256"}.
    """
    directory = require_data_dir(data_dir)
    frame, hashes = load_training_data(directory)
    frame = training_rows(frame)
    slang = lexicons.slang_map(directory)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(frame, strata(frame, BASE_LABELS, folds), fold_groups(frame)))
    handwritten = np.flatnonzero((frame["source"] == HANDWRITTEN).to_numpy())
    splits = [(np.union1d(train, handwritten), np.setdiff1d(test, handwritten)) for train, test in splits]
    fitted = Parallel(n_jobs=n_jobs)(delayed(_fold)(frame, train, test, slang, seed, params) for train, test in splits)
    labels = fitted[0][1]
    proba = np.full((len(frame), len(labels)), np.nan)
    thresholds = np.full((len(frame), len(labels)), np.nan)
    for (_, test), (fold_proba, _, fold_thresholds) in zip(splits, fitted, strict=True):
        proba[test] = fold_proba
        thresholds[test] = [fold_thresholds[label] for label in labels]
    rows = []
    for j, label in enumerate(labels):
        if label not in frame:
            continue
        for source in sorted(frame["source"].unique()):
            known = (frame[label].notna() & (frame["source"] == source)).to_numpy() & ~np.isnan(proba[:, j])
            y = frame.loc[known, label].to_numpy().astype(int)
            if known.any() and 0 < y.sum() < len(y):
                rows.append({"label": label, "source": source, **label_metrics(y, proba[known, j],
                                                                               thresholds[known, j])})
    return {"labels": pd.DataFrame(rows), "folds": folds, "seed": seed, "data_sha256": hashes}


# --- cross-dataset and temporal ------------------------------------------------------------------------------------

def _held_out_source(frame: pd.DataFrame, source: str, slang: dict[str, str], seed: int, params: dict[str, Any],
                     ordinary: pd.DataFrame) -> list[dict[str, Any]]:
    train = frame[frame["source"] != source].reset_index(drop=True)
    test = frame[frame["source"] == source].reset_index(drop=True)
    clf = _fit(train, slang, seed, params)
    scores = _scores(clf, test["text"].tolist())
    rows = []
    for label in SOURCES[source].labels:
        y = test[label].to_numpy()
        known = ~np.isnan(y)
        row: dict[str, Any] = {"split": "cross", "test": source, "label": label, "train": "all other sources"}
        if 0 < np.nansum(y) < known.sum():
            row.update(label_metrics(y[known].astype(int), scores[label].to_numpy()[known], clf.thresholds_[label]))
        else:
            row.update({"n": int(known.sum()), "positives": int(np.nansum(y)), "threshold": clf.thresholds_[label],
                        "false_flag_rate": float((scores[label].to_numpy()[known] >= clf.thresholds_[label]).mean())})
        rows.append(row)
    if "hoax" in SOURCES[source].labels and "kind" in test:
        debunks = (test["kind"].isin(["debunk", "clarification"]) & (test["hoax"] == 0)).to_numpy()
        if debunks.any():
            rows.append({"split": "cross", "test": f"{source} debunks", "label": "hoax", "train": "all other sources",
                         "n": int(debunks.sum()), "positives": 0, "threshold": clf.thresholds_["hoax"],
                         "false_flag_rate": float((scores["hoax"].to_numpy()[debunks] >= clf.thresholds_["hoax"]).mean())})
    rows += _ordinary_rows(clf, ordinary, "cross", f"without {source}")
    return rows


def _ordinary_rows(clf: PatroliClassifier, ordinary: pd.DataFrame, split: str, train: str) -> list[dict[str, Any]]:
    """False flags on held-out ordinary text (smsa2019 valid + test): all of it, and its positive and neutral
    comments alone (its negative ones include genuine SARA insults and threats, see `load_smsa`)."""
    flags = _flags(clf, _scores(clf, ordinary["text"].tolist()))
    rows = []
    reviews = (ordinary["kind"] == "review").to_numpy()
    for test, keep in (("smsa2019 held out", np.ones(len(ordinary), dtype=bool)),
                       ("smsa2019 held out, positive and neutral", reviews)):
        rates = _false_flag_rates(flags[keep])
        rows.append({"split": split, "test": test, "label": "any but abusive", "train": train, "n": int(keep.sum()),
                     "positives": 0, "false_flag_rate": rates["any_but_abusive"],
                     **{f"false_flag_{label}": rate for label, rate in rates.items() if label != "any_but_abusive"}})
    return rows


def _temporal(frame: pd.DataFrame, slang: dict[str, str], seed: int, params: dict[str, Any],
              ordinary: pd.DataFrame, validation: pd.DataFrame) -> list[dict[str, Any]]:
    """Hoax: train on everything dated up to `TEMPORAL_LAST_TRAIN_YEAR` (and undated rows), test on the hoax-annotated
    rows dated later; false flags on held-out ordinary text and on the hand-written genuine notices and debunks."""
    later = (frame["year"] > TEMPORAL_LAST_TRAIN_YEAR).to_numpy()
    train = frame[~later].reset_index(drop=True)
    test = frame[later & frame["hoax"].notna().to_numpy()].reset_index(drop=True)
    clf = _fit(train, slang, seed, params)
    threshold = clf.thresholds_["hoax"]
    name = f"up to {TEMPORAL_LAST_TRAIN_YEAR} and undated"
    scores = _scores(clf, test["text"].tolist())["hoax"].to_numpy()
    rows = [{"split": "temporal", "test": f"all sources, {TEMPORAL_LAST_TRAIN_YEAR + 1}-2020", "label": "hoax",
             "train": name, **label_metrics(test["hoax"].to_numpy().astype(int), scores, threshold)}]
    for source in sorted(test["source"].unique()):
        mine = (test["source"] == source).to_numpy()
        y = test.loc[mine, "hoax"].to_numpy().astype(int)
        row = {"split": "temporal", "test": f"{source}, {TEMPORAL_LAST_TRAIN_YEAR + 1}-2020", "label": "hoax",
               "train": name}
        if 0 < y.sum() < len(y):
            row.update(label_metrics(y, scores[mine], threshold))
        else:
            row.update({"n": len(y), "positives": int(y.sum()), "threshold": threshold,
                        "recall": float((scores[mine][y == 1] >= threshold).mean()) if y.sum() else float("nan"),
                        "false_flag_rate": float((scores[mine][y == 0] >= threshold).mean()) if (y == 0).any()
                        else float("nan")})
        rows.append(row)
    rows += _ordinary_rows(clf, ordinary, "temporal", name)
    rows += _validation_rows(clf, validation, "temporal", name)
    return rows


def _validation_rows(clf: PatroliClassifier, validation: pd.DataFrame, split: str, train: str) -> list[dict[str, Any]]:
    """Hoax flags on the hand-written validation set, per kind (notices, job ads, news, debunks: false flags;
    chain hoaxes: recall)."""
    flagged = _flags(clf, _scores(clf, validation["text"].tolist()))["hoax"].to_numpy()
    rows = []
    genuine = (validation["hoax"] == 0).to_numpy()
    rows.append({"split": split, "test": "hand-written genuine posts (notices, job ads, news, debunks)",
                 "label": "hoax", "train": train, "n": int(genuine.sum()), "positives": 0,
                 "threshold": clf.thresholds_["hoax"], "false_flag_rate": float(flagged[genuine].mean())})
    for kind in sorted(validation["kind"].unique()):
        mine = (validation["kind"] == kind).to_numpy()
        positive = bool(validation.loc[mine, "hoax"].eq(1).all())
        rows.append({"split": split, "test": f"hand-written {kind}", "label": "hoax", "train": train,
                     "n": int(mine.sum()), "positives": int(mine.sum()) if positive else 0,
                     "threshold": clf.thresholds_["hoax"],
                     **({"recall": float(flagged[mine].mean())} if positive
                        else {"false_flag_rate": float(flagged[mine].mean())})})
    return rows


def evaluate_cross(data_dir: str | Path | None = None, seed: int = 0, n_jobs: int = 1,
                   sources: Sequence[str] | None = None, temporal: bool = True, **params: Any) -> dict[str, Any]:
    """Cross-dataset and temporal evaluation.

    Cross: for each dataset (default: every annotated one but smsa2019), train on all the others (and the
    hand-written examples) and test on it, for every label it annotates: precision/recall/F1/ROC-AUC where it has
    positives, the false-flag rate where it has none; debunks and clarifications of hoax sources are also reported
    on their own. Temporal: see `_temporal`. Each split also reports false flags on held-out ordinary text.
    Returns {"table": DataFrame, "seed", "data_sha256"}.
    """
    directory = require_data_dir(data_dir)
    everything, hashes = load_training_data(directory)
    frame = training_rows(everything)
    ordinary = everything[everything["heldout"].astype(bool)].reset_index(drop=True)
    validation = validation_frame()
    slang = lexicons.slang_map(directory)
    held = list(sources) if sources is not None else [name for name in SOURCES if name != "smsa2019"]
    jobs = [delayed(_held_out_source)(frame, source, slang, seed, params, ordinary) for source in held]
    if temporal:
        jobs.append(delayed(_temporal)(frame, slang, seed, params, ordinary, validation))
    parts = Parallel(n_jobs=n_jobs)(jobs)
    table = pd.DataFrame([row for part in parts for row in part])
    return {"table": table, "seed": seed, "data_sha256": hashes}


def format_table(table: pd.DataFrame) -> str:
    """An evaluation table as aligned text: the identifying columns, then the metrics each row has."""
    preferred = ["split", "label", "source", "test", "train", "n", "positives", "precision", "recall", "f1", "roc_auc",
                 "pr_auc", "threshold", "false_flag_rate"]
    columns = [c for c in preferred if c in table.columns and table[c].notna().any()]
    return table[columns].to_string(index=False, na_rep="", float_format=lambda v: f"{v:.3f}")


# --- quick out-of-fold predictions for notebooks ---------------------------------------------------------------------

#: Small features: enough to show the shape of each curve, fast enough for a notebook.
QUICK_PARAMS: dict[str, Any] = {"calibration_folds": 3, "max_word_features": 3000, "max_char_features": 3000}


def evaluation_data(data_dir: str | Path | None = None, rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Labelled posts to evaluate on: a random `rows`-row subsample of the training data when a data directory is
    given or PATROLI_DATA_DIR is set, else the project's hand-written samples.

    Columns: text, source, one float column per label (1/0, NaN where the source does not annotate the label).
    `frame.attrs["origin"]` says which data it is.
    """
    directory = resolve_data_dir(data_dir)
    if directory is not None and Path(directory).is_dir():
        present = [name for name, source in SOURCES.items()
                   if all((Path(directory) / rel).is_file() for rel in source.files)]
        frame, _ = load_training_data(Path(directory), sources=present, handwritten=False)
        frame = training_rows(frame).sample(n=min(rows, len(frame)), random_state=seed).reset_index(drop=True)
        frame.attrs["origin"] = f"{len(frame)} random rows of the training data in {directory}"
        return frame
    frame = sample_labels().assign(source="samples")[["text", "source", *LABELS]]
    frame.attrs["origin"] = f"the project's {len(frame)} hand-written sample posts (data/samples)"
    return frame


def holdout_predictions(frame: pd.DataFrame, folds: int = 3, seed: int = 0, **params: Any) -> pd.DataFrame:
    """Out-of-fold probabilities: each row scored by a `PatroliClassifier` trained without it (grouped so that
    duplicate texts share a fold, stratified by label combination).

    Returns a DataFrame on `frame`'s index: fold, one probability column per label, and threshold_<label>, the
    threshold the row's fold model chose on its own training data. `params` override `QUICK_PARAMS`.
    """
    labels = [label for label in LABELS if label in frame.columns]
    settings = {**QUICK_PARAMS, **params}
    slang = settings.pop("slang", None)
    if slang is None:
        slang = lexicons.slang_map(resolve_data_dir(None))
    frame = frame.assign(text=frame["text"].astype(str))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    out = pd.DataFrame(index=frame.index, columns=["fold", *labels, *(f"threshold_{lab}" for lab in labels)],
                       dtype="float64")
    splits = splitter.split(frame, strata(frame, BASE_LABELS, folds), duplicate_groups(frame["text"]))
    for fold, (train, test) in enumerate(splits):
        clf = PatroliClassifier(slang=slang, random_state=seed, labels=tuple(labels), **settings)
        clf.fit(frame["text"].iloc[train].tolist(), frame.iloc[train])
        proba = pd.DataFrame(clf.predict_proba(frame["text"].iloc[test].tolist()), columns=list(clf.labels))
        rows = frame.index[test]
        out.loc[rows, labels] = proba[labels].to_numpy()
        out.loc[rows, "fold"] = fold
        for label in labels:
            out.loc[rows, f"threshold_{label}"] = clf.thresholds_[label]
    return out.astype({"fold": "int64"})
