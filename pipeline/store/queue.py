"""Queue items at the SQL level: reading them with their posts, atomic claiming, guarded transitions.

Every state change goes through `apply`, which updates the row only if it is still in the state the caller
saw (compare-and-set) and appends the audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.errors import InputError, StoreError
from pipeline.store import audit, ledger
from pipeline.store.schema import STATUSES, posts, queue_items

ITEM_COLUMNS = (
    queue_items.c.id.label("item_id"), queue_items.c.status, queue_items.c.priority, queue_items.c.claimed_by,
    queue_items.c.lease_expires_at, queue_items.c.verdicts, queue_items.c.enqueued_at, queue_items.c.updated_at,
    queue_items.c.decided_by, queue_items.c.decided_at, queue_items.c.copies, queue_items.c.authors,
    queue_items.c.platforms, queue_items.c.reach_shares, queue_items.c.reach_views, queue_items.c.reach_followers,
    posts.c.platform, posts.c.post_id, posts.c.flags,
    posts.c.scores, posts.c.text, posts.c.author, posts.c.url, posts.c.created_at, posts.c.captured_at,
    posts.c.shares, posts.c.views, posts.c.followers, posts.c.source, posts.c.content_sha256,
    posts.c.model_version, posts.c.evidence, posts.c.raw,
)


def claimable(now: datetime) -> sa.ColumnElement[bool]:
    """Pending items, and items whose reviewer's lease has run out."""
    return sa.or_(queue_items.c.status == "pending",
                  sa.and_(queue_items.c.status == "in_review", queue_items.c.lease_expires_at < now))


def _base(columns: Sequence[str] | None = None) -> sa.Select[Any]:
    selected = ITEM_COLUMNS if columns is None else [c for c in ITEM_COLUMNS if c.name in columns]
    return sa.select(*selected).join(posts, posts.c.id == queue_items.c.id)


def items(conn: Connection, *, statuses: Sequence[str] | None = None, ids: Sequence[int] | None = None,
          limit: int | None = None, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Items with their posts, highest priority first: every ITEM_COLUMNS, or only those named in `columns` (a
    list need not decode each post's raw record and evidence)."""
    query = _base(columns).order_by(queue_items.c.priority.desc(), queue_items.c.id)
    if statuses:
        bad = sorted(set(statuses) - set(STATUSES))
        if bad:
            raise InputError(f"unknown status {', '.join(bad)}; statuses: {', '.join(STATUSES)}")
        query = query.where(queue_items.c.status.in_(list(statuses)))
    if ids is not None:
        query = query.where(queue_items.c.id.in_(list(ids)))
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def get(conn: Connection, item_id: int, *, lock: bool = False) -> dict[str, Any]:
    """One item; `lock=True` holds its row until the transaction ends. InputError if there is no such item."""
    query = _base().where(queue_items.c.id == int(item_id))
    if lock:
        query = query.with_for_update(of=queue_items)
    row = conn.execute(query).first()
    if row is None:
        raise InputError(f"no queue item {item_id}")
    return dict(row._mapping)


def next_claimable(conn: Connection, now: datetime) -> dict[str, Any] | None:
    """The highest-priority claimable item, locked; rows other transactions hold are skipped (PostgreSQL)."""
    query = (sa.select(queue_items.c.id).where(claimable(now))
             .order_by(queue_items.c.priority.desc(), queue_items.c.id).limit(1)
             .with_for_update(skip_locked=True))
    item_id = conn.execute(query).scalar()
    return None if item_id is None else get(conn, item_id, lock=True)


def apply(conn: Connection, item: dict[str, Any], *, action: str, actor: str, to_status: str, now: datetime,
          note: str | None = None, reason: str | None = None, verdicts: dict[str, bool] | None = None,
          lease: timedelta | None = None, holder: str | None = None) -> dict[str, Any]:
    """Move `item` (as read in this transaction) to `to_status` and audit it; return the updated item.

    `lease` given: the actor (or `holder`, when a supervisor assigns it) holds the item until now + lease;
    otherwise nobody holds it. `verdicts` given
    (decisions): they replace the item's verdicts and the actor becomes the decider; for `undo` to review they
    are cleared; otherwise they are kept.
    """
    values: dict[str, Any] = {"status": to_status, "updated_at": now, "claimed_by": None, "lease_expires_at": None}
    if lease is not None:
        values.update(claimed_by=holder or actor, lease_expires_at=now + lease)
    if action == "decide":
        values.update(verdicts=verdicts or {}, decided_by=actor, decided_at=now)
    elif to_status in ("pending", "in_review"):
        values.update(verdicts={}, decided_by=None, decided_at=None)
    guard = sa.and_(queue_items.c.id == item["item_id"], queue_items.c.status == item["status"],
                    queue_items.c.claimed_by.is_not_distinct_from(item["claimed_by"]))
    if conn.execute(queue_items.update().where(guard).values(**values)).rowcount != 1:
        raise StoreError(f"queue item {item['item_id']} was changed by someone else meanwhile; try again")
    audit.append(conn, [{
        "item_id": item["item_id"], "at": now, "actor": actor, "action": action, "from_status": item["status"],
        "to_status": to_status, "note": note, "reason_code": reason, "model_version": item["model_version"],
        "verdicts": verdicts, "content_sha256": item["content_sha256"],
    }])
    ledger.append_current(conn, "item", [item["item_id"]])
    return get(conn, item["item_id"])
