"""Where things live: the package's own data (shipped model, lexicons, samples, functional checks, dataset
manifest), the third-party data directory, the default database.

The package data is read through `importlib.resources`; in the repository, `pipeline/models` and `pipeline/data`
link to the top-level `models/` and `data/`, which are its source.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from pipeline.errors import ConfigError

PACKAGE_DATA = Path(str(resources.files("pipeline")))
DEFAULT_MODEL_DIR = PACKAGE_DATA / "models" / "default"
LEXICON_DIR = PACKAGE_DATA / "data" / "lexicons"
SAMPLES_DIR = PACKAGE_DATA / "data" / "samples"
SOURCES_MANIFEST = PACKAGE_DATA / "data" / "sources.toml"
CHECKS_DIR = PACKAGE_DATA / "data" / "checks"
TRAINING_DIR = PACKAGE_DATA / "data" / "training"
VALIDATION_DIR = PACKAGE_DATA / "data" / "validation"
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
