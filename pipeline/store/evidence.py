"""Evidence integrity: re-checking stored hashes and audit chains, and assembling evidence records for export."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store import audit, queue
from pipeline.store.schema import posts, queue_items

PROBLEM_COLUMNS = ("post", "item_id", "platform", "post_id", "problem", "expected", "found")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify(conn: Connection) -> list[dict[str, Any]]:
    """Every integrity problem found: post text vs its recorded SHA-256, the hash each audit entry recorded,
    each item's audit hash chain, and whether its last entry agrees with its status."""
    problems: list[dict[str, Any]] = []
    current: dict[int, str] = {}
    items = {r.id: r.status for r in conn.execute(sa.select(queue_items.c.id, queue_items.c.status))}
    query = sa.select(posts.c.id, posts.c.platform, posts.c.post_id, posts.c.text, posts.c.content_sha256)
    keys: dict[int, tuple[str, str]] = {}
    for row in conn.execution_options(yield_per=2000).execute(query.order_by(posts.c.id)):
        found = sha256_text(row.text)
        current[row.id] = row.content_sha256
        if row.id in items:
            keys[row.id] = (row.platform, row.post_id)
        if found != row.content_sha256:
            problems.append({"post": row.id, "item_id": row.id if row.id in items else None,
                             "platform": row.platform, "post_id": row.post_id,
                             "problem": "post text does not match its recorded SHA-256",
                             "expected": row.content_sha256, "found": found})
    trail: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in audit.entries(conn):
        trail[entry["item_id"]].append(entry)

    def report(item_id: int, problem: str, expected: Any = None, found: Any = None) -> None:
        platform, post_id = keys.get(item_id, (None, None))
        problems.append({"post": item_id, "item_id": item_id, "platform": platform, "post_id": post_id,
                         "problem": problem, "expected": expected, "found": found})

    broken = audit.broken_chains([e for entries in trail.values() for e in entries])
    for item_id, status in sorted(items.items()):
        entries = trail.get(item_id, [])
        if not entries:
            report(item_id, "queue item has no audit trail")
            continue
        if item_id in broken:
            report(item_id, broken[item_id])
        recorded = {e["content_sha256"] for e in entries}
        if recorded != {current.get(item_id)}:
            report(item_id, "post SHA-256 differs from the one recorded in its audit trail",
                   expected=entries[0]["content_sha256"], found=current.get(item_id))
        if entries[-1]["to_status"] != status:
            report(item_id, "status does not match the last audit entry", expected=entries[-1]["to_status"],
                   found=status)
    return problems


def records(conn: Connection, statuses: tuple[str, ...] = ("confirmed", "escalated")) -> list[dict[str, Any]]:
    """Evidence records of the items in `statuses`: post, hashes (recorded and recomputed now), decision,
    escalation and the full audit trail, highest priority first."""
    found = queue.items(conn, statuses=list(statuses))
    trail: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in audit.entries(conn, [item["item_id"] for item in found]):
        trail[entry["item_id"]].append(entry)
    out = []
    for item in found:
        entries = trail[item["item_id"]]
        escalations = [e for e in entries if e["action"] == "escalate"]
        verdicts = item["verdicts"] or {}
        out.append({
            "item_id": item["item_id"], "status": item["status"], "platform": item["platform"],
            "post_id": item["post_id"], "url": item["url"], "author": item["author"],
            "created_at": item["created_at"], "captured_at": item["captured_at"],
            "content_sha256": item["content_sha256"],
            "sha256_verified": sha256_text(item["text"]) == item["content_sha256"],
            "text": item["text"], "flags": item["flags"], "scores": item["scores"],
            "evidence": item["evidence"], "model_version": item["model_version"], "priority": item["priority"],
            "confirmed_labels": sorted(k for k, v in verdicts.items() if v),
            "dismissed_labels": sorted(k for k, v in verdicts.items() if not v),
            "decided_by": item["decided_by"], "decided_at": item["decided_at"],
            "escalated_by": escalations[-1]["actor"] if item["status"] == "escalated" else None,
            "escalated_at": escalations[-1]["at"] if item["status"] == "escalated" else None,
            "audit_trail": [{k: e[k] for k in ("at", "actor", "action", "from_status", "to_status", "note",
                                                "reason_code", "model_version", "verdicts", "entry_sha256")}
                            for e in entries],
        })
    return out
