"""Known claims in the database: import, list, search, and the claim index built from the stored claims."""

from __future__ import annotations

import os

import pandas as pd

from pipeline.claims.cache import stored_index
from pipeline.claims.index import ClaimIndex
from pipeline.claims.io import read_claims
from pipeline.errors import InputError, ProblemHandler
from pipeline.store import Store, StoreLike, opened
from pipeline.store.frames import claims_frame

LIST_COLUMNS = ("claim_id", "verdict", "date", "title", "url", "source")
SEARCH_COLUMNS = ("rank", "claim_id", "similarity", "level", "verdict", "title", "url")


def import_claims(path: str | os.PathLike[str], db: StoreLike = None, *,
                  on_problem: ProblemHandler | None = None) -> dict[str, int]:
    """Read a claims file (see `read_claims`) and upsert it into the database (a URL or an open Store).

    Returns counts: read, new, updated, skipped (malformed rows). InputError when no claim could be read.
    """
    frame = read_claims(path, on_problem=on_problem)
    skipped = len(frame.attrs.get("problems", []))
    if frame.empty:
        raise InputError(f"no claims read from {path} ({skipped} malformed rows skipped)")
    with opened(db) as store:
        new = store.add_claims(frame.to_dict(orient="records"))
    return {"read": len(frame), "new": int(new), "updated": len(frame) - int(new), "skipped": skipped}


def list_claims(db: StoreLike = None) -> pd.DataFrame:
    """All known claims in the database, in import order (the store's columns)."""
    return claims_frame(db)


def search_claims(text: str, db: StoreLike = None, k: int = 5) -> pd.DataFrame:
    """The `k` known claims most similar to `text`: rank, claim_id, similarity, level, verdict, title, url."""
    with opened(db) as store:
        index = claim_index(store)
    if index is None:
        raise InputError("no known claims in the database: add some with `patroli claims import FILE`")
    found = index.match([text], k=k, as_frame=True)
    return found[list(SEARCH_COLUMNS)].reset_index(drop=True)


def claim_index(store: Store) -> ClaimIndex | None:
    """The known-claims index of the store's claims table (built once per import and kept on disk, see
    `pipeline.claims.cache`), or None when the table is empty."""
    return stored_index(store)
