"""Training data: the third-party datasets read in place, mapped onto patroli's labels.

ibrohim2019 tweets give hate_speech, abusive, sara (agama, ras) and provocation (HS_Strong), and serve as ordinary
non-hoax chatter for the hoax label; hoax_news2020 gives hoax (1) and valid news (0). Labels a source does not
annotate are NaN and are left out of that label's training rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import SAMPLES_DIR
from pipeline.datasets import HOAX_NEWS, IBROHIM, read_hoax_news, read_ibrohim, sha256_file
from pipeline.labels import LABELS


def load_ibrohim(data_dir: Path) -> pd.DataFrame:
    """ibrohim2019 tweets with patroli's label columns (hoax = 0: they are ordinary tweets, not hoaxes)."""
    raw = read_ibrohim(data_dir)
    frame = pd.DataFrame({"text": raw["Tweet"].astype(str), "source": "ibrohim2019"})
    frame["hoax"] = 0.0
    frame["provocation"] = raw["HS_Strong"].astype(float)
    frame["sara"] = (raw["HS_Religion"] | raw["HS_Race"]).astype(float)
    frame["sara_agama"] = raw["HS_Religion"].astype(float)
    frame["sara_ras"] = raw["HS_Race"].astype(float)
    frame["hate_speech"] = raw["HS"].astype(float)
    frame["abusive"] = raw["Abusive"].astype(float)
    return frame


def load_hoax_news(data_dir: Path) -> pd.DataFrame:
    """hoax_news2020 items as title + narrative; only the hoax label is known."""
    raw = read_hoax_news(data_dir)
    text = raw["judul"].fillna("").astype(str).str.strip() + ". " + raw["narasi"].fillna("").astype(str).str.strip()
    frame = pd.DataFrame({"text": text, "source": "hoax_news2020"})
    for label in LABELS:
        frame[label] = np.nan
    frame["hoax"] = raw["label"].astype(float)
    return frame


def load_training_data(data_dir: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """All training rows (text, source, one float column per label, NaN = unknown) and the SHA-256 of each file."""
    data_dir = Path(data_dir)
    frame = pd.concat([load_ibrohim(data_dir), load_hoax_news(data_dir)], ignore_index=True)
    hashes = {str(p): sha256_file(data_dir / p) for p in (IBROHIM, HOAX_NEWS)}
    return frame[["text", "source", *LABELS]], hashes


def duplicate_groups(texts: pd.Series) -> np.ndarray:
    """A group id per row; identical texts (after case and space folding) share one, so CV keeps them in one fold."""
    folded = texts.str.lower().str.split().str.join(" ")
    return pd.factorize(folded)[0]


def strata(frame: pd.DataFrame, labels: Sequence[str], folds: int) -> np.ndarray:
    """One stratum per (source, label combination), so every fold keeps each label's rate; combinations rarer than
    `folds` rows share one stratum."""
    key = frame["source"].astype(str) + "|" + frame[list(labels)].fillna(-1).astype(int).astype(str).agg("".join, axis=1)
    counts = key.map(key.value_counts())
    return pd.factorize(key.where(counts >= folds, "rare"))[0]


def sample_labels() -> pd.DataFrame:
    """Expected labels of the project's labelled sample posts: post_id, text, then one 0/1 float column per label."""
    csv = pd.read_csv(SAMPLES_DIR / "posts.csv", dtype=str, keep_default_na=False)
    csv["expected_labels"] = csv["expected_labels"].map(lambda s: [x for x in s.split(";") if x])
    jsonl = pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True, dtype={"id": str})
    both = pd.concat([csv[["id", "text", "expected_labels"]], jsonl[["id", "text", "expected_labels"]]],
                     ignore_index=True)
    out = pd.DataFrame({"post_id": both["id"].astype(str), "text": both["text"].astype(str)})
    for label in LABELS:
        out[label] = both["expected_labels"].map(lambda labels, lab=label: float(lab in labels)).astype("float64")
    return out.sort_values("post_id", ignore_index=True)
