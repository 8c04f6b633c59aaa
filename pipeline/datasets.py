"""The public datasets patroli trains on: the manifest (data/sources.toml), checking and fetching them.

The datasets are never part of the repository; a user downloads them once into a data directory (PATROLI_DATA_DIR).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import PROJECT_ROOT
from pipeline.errors import ConfigError

MANIFEST = PROJECT_ROOT / "data" / "sources.toml"


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(path: Path = MANIFEST) -> list[dict[str, Any]]:
    """One entry per file: dataset, path (relative to the data directory), url, sha256, licence."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read dataset manifest {path}: {exc}") from exc
    return [{"dataset": name, "path": rel, "url": spec.get("url") or None, "sha256": spec["sha256"],
             "licence": info.get("licence")}
            for name, info in raw.items() for rel, spec in info.get("files", {}).items()]


def check(data_dir: str | Path, path: Path = MANIFEST) -> pd.DataFrame:
    """Each manifest file's state in `data_dir`: ok, missing or mismatch (a different SHA-256)."""
    rows = []
    for entry in manifest(path):
        file = Path(data_dir) / entry["path"]
        found = sha256_file(file) if file.exists() else None
        status = "missing" if found is None else ("ok" if found == entry["sha256"] else "mismatch")
        rows.append({"dataset": entry["dataset"], "path": entry["path"], "status": status, "sha256": found})
    return pd.DataFrame(rows)


def fetch(data_dir: str | Path, path: Path = MANIFEST, timeout: float = 60.0) -> pd.DataFrame:
    """Download every manifest file that is missing or wrong, keeping only files whose SHA-256 matches."""
    import httpx

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
