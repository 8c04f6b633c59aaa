"""The stored posts and known claims as DataFrames, for reports and notebooks.

The rest of the store returns rows (dicts), so that the commands which only read or change the review queue start
without loading pandas.
"""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd

from pipeline.labels import LABELS
from pipeline.records import ROW_COLUMNS
from pipeline.store import claims, posts
from pipeline.store.core import StoreLike, opened


def utc_columns(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    """`frame` with the named columns as tz-aware UTC datetimes."""
    for name in names:
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def posts_frame(store: StoreLike = None, since: datetime | None = None, until: datetime | None = None,
                by: str = "captured_at") -> pd.DataFrame:
    """Stored posts, one row each, `since <= <by> < until` (`by`: captured_at or created_at), from `store` (a
    `Store`, a database URL, or None for the default database).

    Columns: id, platform, post_id, content_sha256, text, author, url, created_at, captured_at (tz-aware
    UTC), shares, views, followers (Int64), source, raw (dict), flags (list), evidence (dict), model_version,
    priority, queue_status (None if not enqueued), and score_<label> (float, NaN if not scored) per label.
    """
    with opened(store) as st, st.transaction("cannot read posts") as conn:
        rows = posts.rows(conn, since, until, by)
    out = pd.DataFrame(rows, columns=["id", *ROW_COLUMNS, "status"])
    for label in LABELS:
        out[f"score_{label}"] = pd.Series([r["scores"].get(label, math.nan) for r in rows], index=out.index,
                                          dtype="float64")
    utc_columns(out, "created_at", "captured_at")
    for name in ("shares", "views", "followers"):
        out[name] = out[name].astype("Int64")
    out["priority"] = out["priority"].astype("float64")
    return out.drop(columns=["scores"]).rename(columns={"status": "queue_status"})


def claims_frame(store: StoreLike = None) -> pd.DataFrame:
    """Known claims in `store`, in import order: claim_id, title, text, verdict, url, date (ISO text), narrative,
    source, imported_at (tz-aware UTC)."""
    with opened(store) as st, st.transaction("cannot read claims") as conn:
        rows = claims.rows(conn)
    return utc_columns(pd.DataFrame(rows, columns=[*claims.FIELDS, "imported_at"]), "imported_at")
