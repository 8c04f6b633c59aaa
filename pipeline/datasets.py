"""The public datasets patroli trains on: the manifest (data/sources.toml), checking, fetching and reading them.

The datasets are never part of the repository; a user downloads them once into a data directory (PATROLI_DATA_DIR).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from pipeline.config import SOURCES_MANIFEST
from pipeline.digest import sha256_file
from pipeline.errors import ConfigError, InputError

IBROHIM = Path("ibrohim2019") / "re_dataset.csv"
HOAX_NEWS = Path("hoax_news2020") / "data_latih.csv"



def manifest(path: Path = SOURCES_MANIFEST) -> list[dict[str, Any]]:
    """One entry per file: dataset, path (relative to the data directory), url, sha256, licence."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read dataset manifest {path}: {exc}") from exc
    return [{"dataset": name, "path": rel, "url": spec.get("url") or None, "sha256": spec["sha256"],
             "licence": info.get("licence")}
            for name, info in raw.items() for rel, spec in info.get("files", {}).items()]


def check(data_dir: str | Path, path: Path = SOURCES_MANIFEST) -> pd.DataFrame:
    """Each manifest file's state in `data_dir`: ok, missing or mismatch (a different SHA-256)."""
    rows = []
    for entry in manifest(path):
        file = Path(data_dir) / entry["path"]
        found = sha256_file(file) if file.exists() else None
        status = "missing" if found is None else ("ok" if found == entry["sha256"] else "mismatch")
        rows.append({"dataset": entry["dataset"], "path": entry["path"], "status": status, "sha256": found})
    return pd.DataFrame(rows)


def fetch(data_dir: str | Path, path: Path = SOURCES_MANIFEST, timeout: float = 60.0) -> pd.DataFrame:
    """Download every manifest file that is missing or wrong, keeping only files whose SHA-256 matches."""
    data_dir = Path(data_dir)
    rows = []
    for entry, state in zip(manifest(path), check(data_dir, path).itertuples(), strict=True):
        if state.status == "ok":
            rows.append({"path": entry["path"], "status": "ok"})
            continue
        if not entry["url"]:
            rows.append({"path": entry["path"], "status": "no public URL: download it by hand"})
            continue
        target = data_dir / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            response = httpx.get(entry["url"], timeout=timeout, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            rows.append({"path": entry["path"], "status": f"download failed: {exc}"})
            continue
        if hashlib.sha256(response.content).hexdigest() != entry["sha256"]:
            rows.append({"path": entry["path"], "status": "downloaded file has a different SHA-256; not saved"})
            continue
        target.write_bytes(response.content)
        rows.append({"path": entry["path"], "status": "fetched"})
    return pd.DataFrame(rows)


def _read_csv(data_dir: str | Path, relative: Path, **options: Any) -> pd.DataFrame:
    path = Path(data_dir) / relative
    if not path.exists():
        raise InputError(f"dataset file {path} not found (set --data-dir or PATROLI_DATA_DIR to the data directory)")
    try:
        return pd.read_csv(path, **options)
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read {path}: {err}") from err


def read_ibrohim(data_dir: str | Path) -> pd.DataFrame:
    """ibrohim2019's re_dataset.csv as published: Tweet, HS, Abusive, HS_Individual, ... HS_Strong (0/1)."""
    return _read_csv(data_dir, IBROHIM, encoding="latin-1")


def read_hoax_news(data_dir: str | Path) -> pd.DataFrame:
    """hoax_news2020's data_latih.csv as published: ID, label (1 = hoax), tanggal, judul, narasi, ..."""
    return _read_csv(data_dir, HOAX_NEWS, encoding="utf-8", dtype={"judul": str, "narasi": str})
