"""Posts: de-duplication look-ups, the one-transaction scan save, and the posts DataFrame for reports."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.records import ROW_COLUMNS, ScanRecord
from pipeline.store import audit, dialects, queue_facets
from pipeline.store._types import utcnow
from pipeline.store.schema import posts, queue_items
from pipeline.values import as_utc

SAVE_LOCK = 0x7061_7473  # PostgreSQL advisory lock id serialising save_scan
# Stays well under SQLite's 32766 bound parameters per statement.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What `Store.save_scan` did: posts newly stored, posts skipped as already stored, items enqueued."""

    stored: int
    duplicates: int
    enqueued: int


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def known(conn: Connection, keys: Iterable[tuple[str, str]],
          hashes: Iterable[str]) -> tuple[set[tuple[str, str]], set[str]]:
    """The (platform, post_id) keys and content hashes among those given that are already stored."""
    found_keys: set[tuple[str, str]] = set()
    found_hashes: set[str] = set()
    by_platform: dict[str, dict[str, None]] = {}
    for platform, post_id in keys:
        by_platform.setdefault(str(platform), {})[str(post_id)] = None
    # One platform at a time: SQLite searches the (platform, post_id) index for `platform = ? AND post_id IN`,
    # but scans the whole index for a (platform, post_id) IN list.
    for platform, post_ids in by_platform.items():
        for part in chunks(list(post_ids)):
            query = sa.select(posts.c.post_id).where(posts.c.platform == platform, posts.c.post_id.in_(part))
            found_keys.update((platform, post_id) for post_id in conn.execute(query).scalars())
    for part in chunks(list(dict.fromkeys(hashes))):
        query = sa.select(posts.c.content_sha256).where(posts.c.content_sha256.in_(part))
        found_hashes.update(conn.execute(query).scalars())
    return found_keys, found_hashes


def save_scan(conn: Connection, records: Sequence[ScanRecord], now: datetime | None = None) -> SaveResult:
    """Insert new posts, enqueue the flagged ones with an 'enqueue' audit entry; see `Store.save_scan`."""
    rows = [r.row() for r in records]
    if not rows:
        return SaveResult(0, 0, 0)
    if conn.dialect.name == "postgresql":
        # One scan save at a time, as SQLite's write lock gives: concurrent conflicting inserts could otherwise
        # wait on each other in opposite orders (deadlock), and the duplicate look-up below would be racy.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SAVE_LOCK})
    old_keys, old_hashes = known(conn, [(r["platform"], r["post_id"]) for r in rows],
                                 [r["content_sha256"] for r in rows])
    fresh = []
    for row in rows:
        key = (row["platform"], row["post_id"])
        if key in old_keys or row["content_sha256"] in old_hashes:
            continue
        old_keys.add(key)
        old_hashes.add(row["content_sha256"])
        fresh.append(row)
    by_key = {(r["platform"], r["post_id"]): r for r in fresh}
    inserted: list[tuple[int, dict[str, Any]]] = []
    if fresh:
        # Another process may have inserted some of these since we looked (PostgreSQL): the conflict-ignoring
        # insert skips them and RETURNING tells us which rows are ours to enqueue.
        stmt = (dialects.insert(conn, posts).on_conflict_do_nothing()
                .returning(posts.c.id, posts.c.platform, posts.c.post_id))
        for part in chunks(fresh, 2000):
            for row in conn.execute(stmt, part):
                inserted.append((row.id, by_key[(row.platform, row.post_id)]))
    now = now or utcnow()
    flagged = [(pk, row) for pk, row in inserted if row["flags"]]
    if flagged:
        conn.execute(queue_items.insert(), [
            {"id": pk, "status": "pending", "priority": row["priority"], "verdicts": {}, "enqueued_at": now,
             "updated_at": now, **queue_facets.columns(row)} for pk, row in flagged])
        queue_facets.add_items(conn, flagged)
        audit.append(conn, [
            {"item_id": pk, "at": now, "actor": "patroli", "action": "enqueue", "from_status": None,
             "to_status": "pending", "note": f"flagged: {', '.join(row['flags'])}",
             "model_version": row["model_version"], "content_sha256": row["content_sha256"]}
            for pk, row in flagged])
    return SaveResult(stored=len(inserted), duplicates=len(rows) - len(inserted), enqueued=len(flagged))


def frame(conn: Connection, since: datetime | None = None, until: datetime | None = None,
          by: str = "captured_at") -> pd.DataFrame:
    """Posts as a DataFrame; see `Store.posts_frame`."""
    if by not in ("captured_at", "created_at"):
        raise InputError(f"posts can be selected by captured_at or created_at, not {by!r}")
    column = posts.c[by]
    query = sa.select(posts, queue_items.c.status).outerjoin(queue_items, queue_items.c.id == posts.c.id)
    if since is not None:
        query = query.where(column >= as_utc(since, "since"))
    if until is not None:
        query = query.where(column < as_utc(until, "until"))
    rows = [dict(row._mapping) for row in conn.execute(query.order_by(posts.c.id))]
    out = pd.DataFrame(rows, columns=["id", *ROW_COLUMNS, "status"])
    for label in LABELS:
        out[f"score_{label}"] = pd.Series([r["scores"].get(label, math.nan) for r in rows], index=out.index,
                                          dtype="float64")
    for name in ("created_at", "captured_at"):
        out[name] = pd.to_datetime(out[name], utc=True)
    for name in ("shares", "views", "followers"):
        out[name] = out[name].astype("Int64")
    out["priority"] = out["priority"].astype("float64")
    return out.drop(columns=["scores"]).rename(columns={"status": "queue_status"})
