"""Bulk actions on every item of a filtered queue: claim, dismiss one label, escalate, assign.

Items are worked in chunks, one write transaction per chunk, each item re-read and locked first: an item that
changed meanwhile (someone else holds it, it was decided) is skipped and counted, never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.review import DEFAULT_LEASE
from pipeline.store import Store, queue, queue_search, users
from pipeline.store._types import utcnow

ACTIONS = ("claim", "dismiss", "escalate", "assign")
#: The least role for each action.
ROLES = {"claim": "analyst", "dismiss": "supervisor", "escalate": "supervisor", "assign": "supervisor"}
ASSIGN_LEASE = timedelta(hours=8)
CHUNK = 200


@dataclass(frozen=True)
class BulkResult:
    done: int
    skipped: int


def _free_for(item: dict[str, Any], actor: str, now: datetime) -> bool:
    if item["status"] == "pending":
        return True
    return item["status"] == "in_review" and (item["claimed_by"] == actor or item["lease_expires_at"] <= now)


def _one(conn: Any, item: dict[str, Any], action: str, actor: str, now: datetime, label: str | None,
         assignee: str | None) -> bool:
    if action == "escalate":
        if item["status"] != "confirmed":
            return False
        queue.apply(conn, item, action="escalate", actor=actor, to_status="escalated", now=now,
                    note="bulk escalate")
        return True
    if action == "assign":
        if item["status"] not in ("pending", "in_review"):
            return False
        queue.apply(conn, item, action="assign", actor=actor, to_status="in_review", now=now,
                    note=f"assigned to {assignee}", lease=ASSIGN_LEASE, holder=assignee)
        return True
    if not _free_for(item, actor, now):
        return False
    if action == "claim":
        queue.apply(conn, item, action="claim", actor=actor, to_status="in_review", now=now, lease=DEFAULT_LEASE,
                    note="bulk claim")
    else:
        queue.apply(conn, item, action="decide", actor=actor, to_status="dismissed", now=now,
                    verdicts={str(label): False}, note=f"bulk dismiss {label}")
    return True


def check(store: Store, action: str, label: str | None, assignee: str | None) -> None:
    """InputError unless the action and its argument make sense."""
    if action not in ACTIONS:
        raise InputError(f"unknown bulk action {action!r}; actions: {', '.join(ACTIONS)}")
    if action == "dismiss" and label not in LABELS:
        raise InputError(f"dismiss needs a label; labels: {', '.join(LABELS)}")
    if action == "assign":
        with store.transaction("cannot read users") as conn:
            user = users.get(conn, assignee or "")
        if user is None or not user["active"] or user["role"] == "viewer":
            raise InputError(f"cannot assign to {assignee!r}: not an active analyst, supervisor or admin")


def run(store: Store, query: queue_search.QueueQuery, action: str, actor: str, *, label: str | None = None,
        assignee: str | None = None, now: datetime | None = None) -> BulkResult:
    """Apply `action` to every item matching `query` that it can apply to; return how many were done/skipped.

    dismiss: records `label` as dismissed (that label only) on items that are pending, held by `actor`, or
    whose lease ran out; claim: the same items, held by `actor` for the default lease; escalate: confirmed
    items; assign: pending or in-review items, held by `assignee` for ASSIGN_LEASE.
    """
    check(store, action, label, assignee)
    now = now or utcnow()
    with store.transaction("cannot read the queue") as conn:
        ids = queue_search.item_ids(conn, query)
    done = 0
    for start in range(0, len(ids), CHUNK):
        with store.transaction(f"cannot {action} items", write=True) as conn:
            for item_id in ids[start:start + CHUNK]:
                item = queue.get(conn, item_id, lock=True)
                done += _one(conn, item, action, actor, now, label, assignee)
    return BulkResult(done, len(ids) - done)
