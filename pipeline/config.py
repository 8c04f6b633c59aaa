"""Where things live: data directory, default model, default database."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
DEFAULT_MODEL_DIR = PROJECT_ROOT / "models" / "default"
LEXICON_DIR = PROJECT_ROOT / "data" / "lexicons"
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
CHECKS_DIR = PROJECT_ROOT / "data" / "checks"
DEFAULT_DB_URL = "sqlite:///patroli.db"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The third-party data directory: the argument, else `PATROLI_DATA_DIR`, else None."""
    value = explicit if explicit is not None else os.environ.get("PATROLI_DATA_DIR")
    return Path(value) if value else None


def require_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`data_dir(explicit)`, or ConfigError when neither the argument nor `PATROLI_DATA_DIR` names one."""
    directory = data_dir(explicit)
    if directory is None:
        raise ConfigError("no data directory: pass --data-dir or set PATROLI_DATA_DIR")
    return directory


def db_url(explicit: str | None = None) -> str:
    """The database URL: the argument, else `PATROLI_DB`, else a SQLite file in the working directory."""
    return explicit or os.environ.get("PATROLI_DB") or DEFAULT_DB_URL
