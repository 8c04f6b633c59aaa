"""The facts of a post that the queue is filtered, sorted and counted by, copied onto its queue item.

A queue item's platform, source, post time, top label and score, matched claim and copy key never change after
enqueue, so they are written once (by `posts.save_scan`, or by the schema upgrade for older databases) into
narrow indexed columns of `queue_items`, plus one `queue_labels` row per flagged label: filtering 100,000 items
then reads neither the wide posts rows nor their JSON.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.labels import sara_target
from pipeline.store.schema import posts, queue_items, queue_labels

_LINKS = re.compile(r"https?://\S+|www\.\S+|@\w+", re.IGNORECASE)
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def copy_key(text: str) -> str:
    """SHA-256 of the text with case, links, mentions, punctuation and spacing ignored: reposts that differ
    only in those share it (exact copies are already one post, by content hash)."""
    core = _NOISE.sub(" ", _LINKS.sub(" ", text.casefold())).strip()
    return hashlib.sha256(core.encode("utf-8")).hexdigest()


def columns(row: dict[str, Any]) -> dict[str, Any]:
    """The queue_items facet columns of a posts row (platform, source, text, created_at, captured_at, scores,
    flags, evidence)."""
    scores, flags = row.get("scores") or {}, list(row.get("flags") or [])
    top = max(flags, key=lambda label: scores.get(label, 0.0), default=None)
    claim = (row.get("evidence") or {}).get("claim") or {}
    posted: datetime | None = row.get("created_at") or row.get("captured_at")
    return {"platform": row.get("platform"), "source": row.get("source"), "posted_at": posted,
            "top_label": top, "top_score": None if top is None else float(scores.get(top, 0.0)),
            "claim_id": None if not claim.get("claim_id") else str(claim["claim_id"]),
            "copy_key": copy_key(row.get("text") or "")}


def label_rows(item_id: int, row: dict[str, Any]) -> list[dict[str, Any]]:
    """One queue_labels row per flagged label, and one for the SARA target sub-label of a SARA flag."""
    scores, flags = row.get("scores") or {}, list(dict.fromkeys(row.get("flags") or []))
    labels = flags + ([target] if "sara" in flags and (target := sara_target(scores)) else [])
    return [{"item_id": item_id, "label": label, "score": float(scores.get(label, 0.0))} for label in labels]


def add_labels(conn: Connection, items: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Write the queue_labels rows of newly enqueued items: (item id, posts row) pairs."""
    rows = [label for item_id, row in items for label in label_rows(item_id, row)]
    if rows:
        conn.execute(queue_labels.insert(), rows)


def backfill(conn: Connection, chunk: int = 2000) -> int:
    """Fill the facet columns and label rows of queue items enqueued before they existed; return how many."""
    query = (sa.select(posts.c.id, posts.c.platform, posts.c.source, posts.c.text, posts.c.created_at,
                       posts.c.captured_at, posts.c.scores, posts.c.flags, posts.c.evidence)
             .join(queue_items, queue_items.c.id == posts.c.id).where(queue_items.c.copy_key.is_(None))
             .order_by(posts.c.id))
    done = 0
    while True:
        rows = [dict(r._mapping) for r in conn.execute(query.limit(chunk))]
        if not rows:
            return done
        for row in rows:
            conn.execute(queue_items.update().where(queue_items.c.id == row["id"]).values(**columns(row)))
        add_labels(conn, [(row["id"], row) for row in rows])
        done += len(rows)
