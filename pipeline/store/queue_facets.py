"""The facts of a post that the queue is filtered, sorted and counted by, copied onto its queue item.

A queue item's platform, source, post time, labels, top label and score, matched claim and copy key never change
after enqueue, so they are written once (by `posts.save_scan`, or by the schema upgrade for older databases) into
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

from pipeline.labels import LABELS, sara_target
from pipeline.store import bulk
from pipeline.store.schema import posts, queue_items, queue_labels

# Applied to casefolded text only, so it needs no IGNORECASE (which would make it several times slower): no character
# that IGNORECASE would match to one of these letters survives casefolding.
_LINKS = re.compile(r"https?://\S+|www\.\S+|@\w+")
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
    bits = 0
    for label in labels_of(row):
        bits |= 1 << LABELS.index(label)
    return {"platform": row.get("platform"), "source": row.get("source"), "posted_at": posted,
            "top_label": top, "top_score": None if top is None else float(scores.get(top, 0.0)),
            "claim_id": None if not claim.get("claim_id") else str(claim["claim_id"]),
            "copy_key": copy_key(row.get("text") or ""), "label_bits": bits}


def labels_of(row: dict[str, Any]) -> list[str]:
    """The labels a queue item is filtered by: its flags, and the SARA target sub-label of a SARA flag."""
    scores, flags = row.get("scores") or {}, [f for f in dict.fromkeys(row.get("flags") or []) if f in LABELS]
    return flags + ([target] if "sara" in flags and (target := sara_target(scores)) else [])


def label_rows(item_id: int, row: dict[str, Any]) -> list[dict[str, Any]]:
    """One queue_labels row per label of `labels_of(row)`, with its score."""
    scores = row.get("scores") or {}
    return [{"item_id": item_id, "label": label, "score": float(scores.get(label, 0.0))} for label in labels_of(row)]


def add_items(conn: Connection, items: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Write the queue_labels rows (and on SQLite the text-search rows) of newly enqueued items: (item id,
    posts row) pairs."""
    items = list(items)
    _add_labels(conn, items)
    if items and conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {TEXT_INDEX} (rowid, text, author) VALUES (?, ?, ?)",
                             [(item_id, row.get("text") or "", row.get("author") or "") for item_id, row in items])


def _add_labels(conn: Connection, items: list[tuple[int, dict[str, Any]]]) -> None:
    bulk.insert(conn, queue_labels, ("item_id", "label", "score"),
                [(label["item_id"], label["label"], label["score"])
                 for item_id, row in items for label in label_rows(item_id, row)])


#: SQLite's full-text index of queue items' text and author (FTS5 trigrams: any substring of 3+ characters is
#: found through the index). PostgreSQL uses trigram (pg_trgm) indexes on the posts table instead.
TEXT_INDEX = "queue_text"


def create_text_index(conn: Connection) -> None:
    """Create the text-search index if missing (and fill it on SQLite); a PostgreSQL without pg_trgm keeps
    searching text by scanning."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {TEXT_INDEX} USING fts5(text, author, "
                             "content='', tokenize='trigram')")
        conn.exec_driver_sql(f"INSERT INTO {TEXT_INDEX} (rowid, text, author) SELECT p.id, p.text, "
                             "coalesce(p.author, '') FROM posts p JOIN queue_items q ON q.id = p.id "
                             f"WHERE p.id NOT IN (SELECT rowid FROM {TEXT_INDEX})")
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return
    opclass = conn.exec_driver_sql(
        "SELECT n.nspname FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace "
        "WHERE c.opcname = 'gin_trgm_ops' LIMIT 1").scalar()
    if opclass is None:
        return
    for column in ("text", "author"):
        conn.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS ix_posts_{column}_trgm ON posts USING gin '
                             f'({column} "{opclass}".gin_trgm_ops)')


def backfill(conn: Connection, chunk: int = 2000) -> int:
    """Fill the facet columns and label rows of queue items enqueued before they existed; return how many.
    (Their text-search rows are added by `create_text_index`.)"""
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
        _add_labels(conn, [(row["id"], row) for row in rows])
        done += len(rows)
