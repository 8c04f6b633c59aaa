"""The append-only audit log: writing entries with their hash chain, reading them back, checking the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store import bulk, ledger
from pipeline.store.schema import audit_log

GENESIS = "0" * 64
#: The columns that go into an entry's hash, in order.
HASHED = ("item_id", "at", "actor", "action", "from_status", "to_status", "note", "reason_code",
          "model_version", "verdicts", "content_sha256")
COLUMNS = ("id", *HASHED, "entry_sha256")
# What json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":")) uses, built once.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_digest(prev: str, entry: dict[str, Any]) -> str:
    """SHA-256 of the previous entry's digest and this entry's fields (canonical JSON)."""
    fields = []
    for name in HASHED:
        value = entry.get(name)
        if isinstance(value, datetime):
            value = value.isoformat(timespec="microseconds")
        fields.append(value)
    return hashlib.sha256(_ENCODER.encode([prev, fields]).encode("utf-8")).hexdigest()


def last_digests(conn: Connection, item_ids: Iterable[int]) -> dict[int, str]:
    """The digest of each item's newest entry (items without entries are absent)."""
    ids = list(item_ids)
    if not ids:
        return {}
    newest = (sa.select(sa.func.max(audit_log.c.id)).where(audit_log.c.item_id.in_(ids))
              .group_by(audit_log.c.item_id))
    rows = conn.execute(sa.select(audit_log.c.item_id, audit_log.c.entry_sha256)
                        .where(audit_log.c.id.in_(newest)))
    return {row.item_id: row.entry_sha256 for row in rows}


def append(conn: Connection, entries: list[dict[str, Any]]) -> None:
    """Append entries (dicts with the HASHED fields), chaining each to its item's previous entry, and record them
    in the evidence chain (`ledger`).

    The caller holds the item rows (SELECT ... FOR UPDATE, or SQLite's write lock), so no other
    transaction appends to the same items' chains meanwhile.
    """
    if not entries:
        return
    prev = last_digests(conn, {e["item_id"] for e in entries})
    rows = []
    for entry in entries:
        row = {name: entry.get(name) for name in HASHED}
        row["entry_sha256"] = entry_digest(prev.get(row["item_id"], GENESIS), row)
        prev[row["item_id"]] = row["entry_sha256"]
        rows.append(row)
    # Each entry's hash is unique (it chains its item's previous one), so it tells which id is whose: RETURNING
    # promises no order, and asking SQLite for parameter order would mean one statement per row.
    names = (*HASHED, "entry_sha256")
    inserted = bulk.insert_returning(conn, audit_log, names, map(itemgetter(*names), rows), ("id", "entry_sha256"))
    ids = {digest: pk for pk, digest in inserted}
    for row in rows:
        row["id"] = ids[row["entry_sha256"]]
    ledger.append(conn, "audit", rows)


def entries(conn: Connection, item_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Entries in the order they were written, for some items or all."""
    query = sa.select(*(audit_log.c[name] for name in COLUMNS)).order_by(audit_log.c.id)
    if item_ids is not None:
        query = query.where(audit_log.c.item_id.in_(list(item_ids)))
    return [dict(row._mapping) for row in conn.execute(query)]


def broken_chains(rows: list[dict[str, Any]]) -> dict[int, str]:
    """Items whose stored chain does not recompute: item id -> what is wrong (first break only)."""
    prev: dict[int, str] = {}
    broken: dict[int, str] = {}
    for row in rows:
        item = row["item_id"]
        if item in broken:
            continue
        expected = entry_digest(prev.get(item, GENESIS), row)
        if expected != row["entry_sha256"]:
            broken[item] = f"audit entry {row['id']} ({row['action']}) does not match its hash chain"
        prev[item] = row["entry_sha256"]
    return broken
