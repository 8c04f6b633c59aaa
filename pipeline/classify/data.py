"""Training data: the third-party datasets read in place, mapped onto patroli's labels.

ibrohim2019 tweets give hate_speech, abusive, sara (agama, ras) and provocation (HS_Strong), and serve as ordinary
non-hoax chatter for the hoax label; hoax_news2020 gives hoax (1) and valid news (0). Labels a source does not
annotate are NaN and are left out of that label's training rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.datasets import sha256_file
from pipeline.errors import InputError
from pipeline.labels import LABELS

IBROHIM = Path("ibrohim2019") / "re_dataset.csv"
HOAX_NEWS = Path("hoax_news2020") / "data_latih.csv"


def _require(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"training file {path} not found (set --data-dir or PATROLI_DATA_DIR to the data directory)")
    return path


def load_ibrohim(data_dir: Path) -> pd.DataFrame:
    """ibrohim2019 tweets with patroli's label columns (hoax = 0: they are ordinary tweets, not hoaxes)."""
    raw = pd.read_csv(_require(Path(data_dir) / IBROHIM), encoding="latin-1")
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
    raw = pd.read_csv(_require(Path(data_dir) / HOAX_NEWS), encoding="utf-8")
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
