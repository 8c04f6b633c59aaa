"""The review queue: analysts claim flagged posts, decide per label, escalate, and keep evidence.

Statuses: `pending` -> `in_review` (claimed, with a lease; an expired lease makes the item claimable again)
-> `confirmed` (any label confirmed) or `dismissed`; `confirmed` -> `escalated`. `undo` reverts the last decision
with a new audit entry. Every function takes a `Store` (or a database URL, or None for the default database)
and returns a DataFrame, a dict (or rows of dicts) or a plain value.

The names that return DataFrames (`queue_frame`, `audit_frame`, `stats`, `export`, `check`, ...) and the evidence
export (`write_evidence`, which signs the chain head) are loaded on first use, so the commands that list, show or
change items start without loading pandas or the signing library.
"""

from __future__ import annotations

import importlib
from typing import Any

from pipeline.review.workflow import (
    DEFAULT_LEASE,
    LIST_COLUMNS,
    claim,
    decide,
    escalate,
    item,
    queue_rows,
    release,
    undo,
)

#: name -> the module (importing pandas, or the signing library) that defines it.
_LAZY = {
    "EXPORT_COLUMNS": "pipeline.review.evidence", "FORMATS": "pipeline.review.evidence",
    "write_evidence": "pipeline.review.evidence",
    "audit_frame": "pipeline.review.frames", "export": "pipeline.review.frames",
    "queue_frame": "pipeline.review.frames",
    "Verification": "pipeline.review.integrity", "check": "pipeline.review.integrity",
    "read_heads": "pipeline.review.integrity", "verify": "pipeline.review.integrity",
    "STATS_COLUMNS": "pipeline.review.tables", "feedback_frame": "pipeline.review.tables",
    "review_tables": "pipeline.review.tables", "stats": "pipeline.review.tables",
}

__all__ = ["DEFAULT_LEASE", "EXPORT_COLUMNS", "FORMATS", "LIST_COLUMNS", "STATS_COLUMNS", "Verification",
           "audit_frame", "check", "claim", "decide", "escalate", "export", "feedback_frame", "item", "queue_frame",
           "queue_rows", "read_heads", "release", "review_tables", "stats", "undo", "verify", "write_evidence"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline.review' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
