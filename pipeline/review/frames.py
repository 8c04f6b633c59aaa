"""The review queue, its audit log and evidence exports as DataFrames, for notebooks: the workflow and the
commands that list, show or change items use rows, and start without pandas."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import pandas as pd

from pipeline.review.evidence import EXPORT_COLUMNS, FORMATS, write_evidence
from pipeline.review.workflow import LIST_COLUMNS, queue_rows
from pipeline.store import StoreLike, audit, opened
from pipeline.store.frames import utc_columns


def queue_frame(store: StoreLike = None, status: str | Iterable[str] | None = None, label: str | None = None,
                limit: int | None = None) -> pd.DataFrame:
    """Queue items, highest priority first, optionally only some statuses / items flagged with `label`.

    Columns: item_id, status, priority, flags (list), top_label/top_score (the flag that drives the priority: the
    largest risk weight x score, see `pipeline.scoring.priority`),
    claimed_by, lease_expires_at, platform, post_id, author, text, enqueued_at, decided_by, decided_at,
    verdicts (dict label -> bool), model_version, content_sha256, url. Times tz-aware UTC.
    """
    out = pd.DataFrame(queue_rows(store, status, label, limit), columns=list(LIST_COLUMNS))
    return utc_columns(out, "lease_expires_at", "enqueued_at", "decided_at")


def audit_frame(store: StoreLike = None, item_id: int | None = None) -> pd.DataFrame:
    """The audit log (all of it, or one item's), oldest first: id, item_id, at, actor, action, from_status,
    to_status, note, reason_code, model_version, verdicts, content_sha256, entry_sha256."""
    with opened(store) as st, st.transaction("cannot read the audit log") as conn:
        rows = audit.entries(conn, None if item_id is None else [item_id])
    return utc_columns(pd.DataFrame(rows, columns=list(audit.COLUMNS)), "at")


def export(store: StoreLike, out_dir: str | Path, *, formats: Iterable[str] = FORMATS,
           analyst: str = "patroli", now: datetime | None = None,
           signing_key: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """`write_evidence`: the evidence report of confirmed and escalated items written to `out_dir` (CSV, JSONL,
    HTML, the signed chain head, a SHA-256 manifest). Returns DataFrame(format, path, items, sha256), one row per
    file."""
    written = write_evidence(store, out_dir, formats=formats, analyst=analyst, now=now, signing_key=signing_key)
    return pd.DataFrame(written, columns=list(EXPORT_COLUMNS))
