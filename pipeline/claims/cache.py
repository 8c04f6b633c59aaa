"""The claim index built from a database, kept on disk between runs (private to `pipeline.claims`).

Building the index of 100,000 claims takes about 12 s (reading them, normalising 200,000 texts, hashing their
n-grams); loading the built index takes about 0.5 s. Every scan, patrol run and claim search needs the index, so
the first one after an import builds and saves it and the next ones load it.

A saved index is used only for the same claims, built by the same code: its file name is the SHA-256 of the
claims' state in the database (count, highest id, latest import time and the evidence chain's latest claim entry,
which chains every earlier fact of that database, so databases with different histories never share it), of the
source of the matching code and of the library versions. Any import makes a new name; files beyond the newest few
are removed. A claim edited in the database behind patroli's back does not change the name; `patroli review
verify` reports such edits.

The files live in `PATROLI_CACHE_DIR`, else `$XDG_CACHE_HOME/patroli`, else `~/.cache/patroli` (created private to
the user: an index is a pickle, loaded only from there). A file that cannot be loaded is rebuilt; a directory that
cannot be written only means the index is built every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy

from pipeline.claims import _text, _vectors, index
from pipeline.claims.index import ClaimIndex
from pipeline.store import Store
from pipeline.store.frames import claims_frame
from pipeline.text import ngrams

#: Saved indexes kept per cache directory (the newest), so that a few databases in use each keep theirs.
KEEP = 4
_PREFIX = "claims-"


def cache_dir() -> Path:
    """Where built claim indexes are kept (see the module docstring)."""
    explicit = os.environ.get("PATROLI_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "patroli"


def stored_index(store: Store) -> ClaimIndex | None:
    """The index of the store's claims, loaded from the cache when built before, else built (and saved)."""
    state = store.claims_state()
    if state is None:
        return None
    path = cache_dir() / f"{_PREFIX}{_key(state)}.joblib"
    with contextlib.suppress(Exception):  # missing, truncated, or from other code: build it again
        loaded = joblib.load(path)
        if isinstance(loaded, ClaimIndex):
            return loaded
    built = ClaimIndex(claims_frame(store))
    _save(built, path)
    return built


def _key(state: dict[str, Any]) -> str:
    code = hashlib.sha256()
    for module in (_text, _vectors, index, ngrams):
        code.update(Path(module.__file__ or "").read_bytes())
    versions = [sys.version_info[:2], np.__version__, scipy.__version__, metadata.version("mmh3"),
                joblib.__version__]
    text = json.dumps({"state": state, "code": code.hexdigest(), "versions": versions}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _save(built: ClaimIndex, path: Path) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        os.close(fd)
        try:
            joblib.dump(built, tmp)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError:
        return
    older = sorted((p for p in path.parent.glob(f"{_PREFIX}*.joblib") if p != path), key=_age)
    for stale in older[KEEP - 1:]:
        with contextlib.suppress(OSError):
            stale.unlink()


def _age(path: Path) -> float:
    """Sort key putting the newest file first (and one already gone last)."""
    try:
        return -path.stat().st_mtime
    except OSError:
        return float("inf")
