"""The review queue: analysts claim flagged posts, decide per label, escalate, and keep evidence.

Statuses: `pending` -> `in_review` (claimed, with a lease; an expired lease makes the item claimable again)
-> `confirmed` (any label confirmed) or `dismissed`; `confirmed` -> `escalated`. `undo` reverts the last decision
with a new audit entry. Every function takes a `Store` (or a database URL, or None for the default database)
and returns rows (dicts) or a plain value; `frames` has the DataFrames.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pipeline.errors import InputError, StoreError
from pipeline.labels import LABELS
from pipeline.priority import top_label
from pipeline.review._common import analyst_name, now_utc
from pipeline.store import StoreLike, audit, opened, posts, queue

DEFAULT_LEASE = timedelta(minutes=30)


LIST_COLUMNS = ("item_id", "status", "priority", "flags", "top_label", "top_score", "claimed_by",
                "lease_expires_at", "platform", "post_id", "author", "text", "enqueued_at", "decided_by",
                "decided_at", "verdicts", "model_version", "content_sha256", "url")


def queue_rows(store: StoreLike = None, status: str | Iterable[str] | None = None, label: str | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
    """Queue items, highest priority first, optionally only some statuses / items flagged with `label`: one dict
    per item with the LIST_COLUMNS, as `queue_frame` describes them (times aware UTC datetimes or None)."""
    statuses = [status] if isinstance(status, str) else list(status or [])
    if label is not None and label not in LABELS:
        raise InputError(f"unknown label {label!r}; labels: {', '.join(LABELS)}")
    with opened(store) as st, st.transaction("cannot read the queue") as conn:
        rows = queue.items(conn, statuses=statuses, limit=None if label else limit,
                           columns=(*LIST_COLUMNS, "scores"))
    if label is not None:
        rows = [r for r in rows if label in r["flags"]][:limit]
    for row in rows:
        top = top_label(row["flags"], row["scores"])
        row.update(top_label=top, top_score=row["scores"].get(top) if top else None)
    return [{name: row[name] for name in LIST_COLUMNS} for row in rows]


def item(store: StoreLike, item_id: int) -> dict[str, Any]:
    """One item: its post (text, raw record, scores, flags, evidence, hash), state, verdicts, spread (copies,
    authors, platforms, reach_shares/views/followers), `audit` trail and `copy_posts` (the stored copies of its
    post: platform, post_id, author, url, created_at, captured_at, shares, views, followers, source)."""
    with opened(store) as st, st.transaction("cannot read the queue") as conn:
        found = queue.get(conn, item_id)
        found["audit"] = audit.entries(conn, [item_id])
        found["copy_posts"] = posts.copies_of(conn, [item_id])
    return found


def claim(store: StoreLike, analyst: str, item_id: int | None = None, *, lease: timedelta = DEFAULT_LEASE,
          note: str | None = None, now: datetime | None = None) -> dict[str, Any] | None:
    """Claim the highest-priority claimable item (or item `item_id`) for `analyst` until now + `lease`.

    Atomic across processes: no two analysts get the same item. Returns the item, or None if nothing is
    claimable. Claiming an item you already hold renews its lease; one someone else holds is a StoreError.
    """
    analyst, now = analyst_name(analyst), now_utc(now)
    if lease <= timedelta(0):
        raise InputError("lease must be positive")
    with opened(store) as st, st.transaction("cannot claim", write=True) as conn:
        if item_id is None:
            found = queue.next_claimable(conn, now)
            if found is None:
                return None
        else:
            found = queue.get(conn, item_id, lock=True)
            _check_free(found, analyst, now, "claim")
        if found["status"] == "in_review" and found["claimed_by"] != analyst and note is None:
            note = f"lease of {found['claimed_by']} expired {found['lease_expires_at']:%Y-%m-%d %H:%M} UTC"
        return queue.apply(conn, found, action="claim", actor=analyst, to_status="in_review", now=now,
                           note=note, lease=lease)


def _check_free(found: dict[str, Any], analyst: str, now: datetime, doing: str) -> None:
    """Refuse unless the item is pending, held by `analyst`, or its holder's lease has expired."""
    status, holder = found["status"], found["claimed_by"]
    if status not in ("pending", "in_review"):
        hint = "; use undo to change a decision" if status in ("confirmed", "dismissed") else ""
        raise StoreError(f"queue item {found['item_id']} is already {status}; cannot {doing} it{hint}")
    if status == "in_review" and holder != analyst and found["lease_expires_at"] > now:
        raise StoreError(f"queue item {found['item_id']} is held by {holder} until "
                         f"{found['lease_expires_at']:%Y-%m-%d %H:%M} UTC")


def release(store: StoreLike, item_id: int, analyst: str, *, note: str | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """Give an item you hold back to the pending pool."""
    analyst, now = analyst_name(analyst), now_utc(now)
    with opened(store) as st, st.transaction("cannot release", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        if found["status"] != "in_review" or found["claimed_by"] != analyst:
            raise StoreError(f"queue item {item_id} is not held by {analyst}")
        return queue.apply(conn, found, action="release", actor=analyst, to_status="pending", now=now, note=note)


def decide(store: StoreLike, item_id: int, analyst: str, *, confirm: Iterable[str] = (),
           dismiss: Iterable[str] = (), note: str | None = None, reason: str | None = None,
           now: datetime | None = None) -> dict[str, Any]:
    """Record per-label verdicts on an item you hold (or a pending one, claimed in the same step).

    Only the labels named get a verdict: a flagged label you do not name keeps none (it counts neither as
    confirmed nor as dismissed in field precision or training feedback). You may also confirm or dismiss labels
    the model did not flag. The item becomes `confirmed` if any label is confirmed, else `dismissed`.
    """
    analyst, now = analyst_name(analyst), now_utc(now)
    confirm, dismiss = set(confirm), set(dismiss)
    if not confirm and not dismiss:
        raise InputError("give at least one label to confirm or dismiss")
    for label in sorted(confirm | dismiss):
        if label not in LABELS:
            raise InputError(f"unknown label {label!r}; labels: {', '.join(LABELS)}")
    if confirm & dismiss:
        raise InputError(f"label(s) both confirmed and dismissed: {', '.join(sorted(confirm & dismiss))}")
    with opened(store) as st, st.transaction("cannot record the decision", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        _check_free(found, analyst, now, "decide")
        verdicts = {label: False for label in dismiss} | {label: True for label in confirm}
        return queue.apply(conn, found, action="decide", actor=analyst, now=now, note=note, reason=reason,
                           to_status="confirmed" if confirm else "dismissed", verdicts=verdicts)


def escalate(store: StoreLike, item_id: int, analyst: str, *, note: str | None = None,
             reason: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Mark a confirmed item as reported onward."""
    analyst, now = analyst_name(analyst), now_utc(now)
    with opened(store) as st, st.transaction("cannot escalate", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        if found["status"] != "confirmed":
            raise StoreError(f"queue item {item_id} is {found['status']}; only confirmed items can be escalated")
        return queue.apply(conn, found, action="escalate", actor=analyst, to_status="escalated", now=now,
                           note=note, reason=reason)


def undo(store: StoreLike, item_id: int, analyst: str, *, note: str | None = None,
         lease: timedelta = DEFAULT_LEASE, now: datetime | None = None) -> dict[str, Any]:
    """Revert the last decision with a new audit entry: escalated -> confirmed; confirmed or dismissed ->
    in_review, held by `analyst` (verdicts cleared) so they can decide again. History is never rewritten."""
    analyst, now = analyst_name(analyst), now_utc(now)
    with opened(store) as st, st.transaction("cannot undo", write=True) as conn:
        found = queue.get(conn, item_id, lock=True)
        if found["status"] == "escalated":
            return queue.apply(conn, found, action="undo", actor=analyst, to_status="confirmed", now=now,
                               note=note)
        if found["status"] in ("confirmed", "dismissed"):
            return queue.apply(conn, found, action="undo", actor=analyst, to_status="in_review", now=now,
                               note=note, lease=lease)
        raise StoreError(f"queue item {item_id} is {found['status']}; there is no decision to undo")
