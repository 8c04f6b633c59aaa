"""Training data: the third-party datasets (`sources`) and the project's own hand-written examples, combined.

Labels a source does not annotate are NaN and are left out of that label's training rows. A text found in several
datasets (after normalisation: case, spacing, mentions, URLs and punctuation folded) is kept once, in the first
dataset of `SOURCES` order; labels it lacks there are filled in from the other copies. Copies inside one dataset are
merged the same way, a positive annotation winning.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.classify.sources import COLUMNS, SOURCES
from pipeline.config import SAMPLES_DIR, TRAINING_DIR
from pipeline.digest import sha256_file
from pipeline.errors import InputError
from pipeline.labels import BASE_LABELS, LABELS

#: The project's own hand-written training examples (never evaluation data: see data/README.md).
HANDWRITTEN_DIR = TRAINING_DIR
HANDWRITTEN = "patroli_handwritten"

_KEY_NOISE = re.compile(r"(?:https?://|www\.)\S+|@\w+|\b(?:user|url|rt)\b|[^\w]+|_+")


def text_key(text: str) -> str:
    """The form two copies of a text share: lowercase words, without mentions, URLs, placeholders and punctuation."""
    return " ".join(_KEY_NOISE.sub(" ", str(text).lower()).split())


def load_handwritten(directory: Path = HANDWRITTEN_DIR) -> pd.DataFrame:
    """The hand-written examples: CSV files `text,kind,labels` (labels: the `;`-separated positive labels; every
    other learned label is 0)."""
    frames = []
    for path in sorted(Path(directory).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for number, row in enumerate(rows, 2):
            unknown = {lab for lab in (row.get("labels") or "").split(";") if lab} - set(BASE_LABELS)
            if not row.get("text") or unknown:
                raise InputError(f"{path}:{number}: needs text and labels from {', '.join(BASE_LABELS)}")
        frame = pd.DataFrame({"text": [r["text"] for r in rows], "source": HANDWRITTEN,
                              "kind": [r.get("kind") or path.stem for r in rows], "year": np.nan, "group": None,
                              "heldout": False})
        for label in BASE_LABELS:
            frame[label] = [float(label in (r.get("labels") or "").split(";")) for r in rows]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))


def deduplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per `text_key`: the first row's text, source, kind, year and group; per label the first known value
    among the copies of the first row's source (a positive one if any copy there is positive), else of the others."""
    key = frame["text"].map(text_key)
    keep = ~key.duplicated()
    if keep.all():
        return frame.reset_index(drop=True)
    out = frame[keep].copy()
    first_source = out.set_index(key[keep])["source"]
    same_source = frame["source"].to_numpy() == key.map(first_source).to_numpy()
    for label in BASE_LABELS:
        values = frame[label]
        own = values.where(same_source).groupby(key).max()
        other = values.where(~same_source).groupby(key).first()
        merged = own.fillna(other)
        out[label] = key[keep].map(merged).to_numpy(dtype=float)
    out["heldout"] = key[keep].map(frame["heldout"].groupby(key).max()).to_numpy(dtype=bool)
    return out.reset_index(drop=True)


def load_training_data(data_dir: Path, sources: Sequence[str] | None = None,
                       handwritten: bool = True) -> tuple[pd.DataFrame, dict[str, str]]:
    """All rows (the columns of `sources.COLUMNS`), de-duplicated, and the SHA-256 of each dataset file read.

    Rows with `heldout` set are for evaluation only; `training_rows` drops them.
    """
    data_dir = Path(data_dir)
    chosen = [SOURCES[name] for name in (sources or SOURCES)]
    frames = [source.load(data_dir) for source in chosen]
    if handwritten:
        frames.append(load_handwritten())
    frame = deduplicate(pd.concat(frames, ignore_index=True)[list(COLUMNS)])
    hashes = {rel: sha256_file(data_dir / rel) for source in chosen for rel in source.files}
    return frame, hashes


def training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a model may learn from (not held out for evaluation)."""
    return frame[~frame["heldout"].astype(bool)].reset_index(drop=True)


def duplicate_groups(texts: pd.Series) -> np.ndarray:
    """A group id per text; copies of one text (`text_key`) share one, so cross-validation keeps them in one fold."""
    return pd.factorize(texts.map(text_key))[0]


def fold_groups(frame: pd.DataFrame) -> np.ndarray:
    """A group id per row, for grouped cross-validation: rows of one fact-checked story or debunk page (the `group`
    column) share one, and so do copies of one text."""
    by_text = "text:" + frame["text"].map(text_key)
    key = frame["group"].where(frame["group"].notna(), by_text) if "group" in frame else by_text
    return pd.factorize(key)[0]


def strata(frame: pd.DataFrame, labels: Sequence[str], folds: int) -> np.ndarray:
    """One stratum per (source, label combination), so every fold keeps each label's rate; combinations rarer than
    `folds` rows share one stratum."""
    key = frame["source"].astype(str) + "|" + frame[list(labels)].fillna(-1).astype(int).astype(str).agg("".join, axis=1)
    counts = key.map(key.value_counts())
    return pd.factorize(key.where(counts >= folds, "rare"))[0]


def sample_labels() -> pd.DataFrame:
    """Expected labels of the project's labelled sample posts: post_id, text, then one 0/1 float column per label."""
    table = pd.read_csv(SAMPLES_DIR / "posts.csv", dtype=str, keep_default_na=False)
    table["expected_labels"] = table["expected_labels"].map(lambda s: [x for x in s.split(";") if x])
    jsonl = pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True, dtype={"id": str})
    both = pd.concat([table[["id", "text", "expected_labels"]], jsonl[["id", "text", "expected_labels"]]],
                     ignore_index=True)
    out = pd.DataFrame({"post_id": both["id"].astype(str), "text": both["text"].astype(str)})
    for label in LABELS:
        out[label] = both["expected_labels"].map(lambda labels, lab=label: float(lab in labels)).astype("float64")
    return out.sort_values("post_id", ignore_index=True)
