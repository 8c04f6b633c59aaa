"""The review queue: analysts claim flagged posts, decide per label, escalate, and keep evidence.

Statuses: `pending` -> `in_review` (claimed, with a lease; an expired lease makes the item claimable again)
-> `confirmed` (any label confirmed) or `dismissed`; `confirmed` -> `escalated`. `undo` reverts the last decision
with a new audit entry. Every function takes a `Store` (or a database URL, or None for the default database)
and returns a DataFrame, a dict or a plain value.
"""

from __future__ import annotations

from pipeline.review.export import EXPORT_COLUMNS, FORMATS, export, verify
from pipeline.review.stats import STATS_COLUMNS, feedback_frame, review_tables, stats
from pipeline.review.workflow import (
    DEFAULT_LEASE,
    LIST_COLUMNS,
    audit_frame,
    claim,
    decide,
    escalate,
    item,
    queue_frame,
    release,
    undo,
)

__all__ = ["DEFAULT_LEASE", "EXPORT_COLUMNS", "FORMATS", "LIST_COLUMNS", "STATS_COLUMNS", "audit_frame", "claim",
           "decide", "escalate", "export", "feedback_frame", "item", "queue_frame", "release", "review_tables",
           "stats", "undo", "verify"]
