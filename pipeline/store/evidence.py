"""Evidence integrity: re-checking the evidence chain, stored hashes and audit trails, and assembling evidence
records for export."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.posts import content_sha256
from pipeline.store import audit, ledger, queue
from pipeline.store.schema import posts, queue_items

PROBLEM_COLUMNS = ("post", "item_id", "platform", "post_id", "problem", "expected", "found")


@dataclass
class Check:
    """What `verify` found: the problems, the chain's (length, head hash) and the stored hash at each asked seq."""

    problems: list[dict[str, Any]]
    head: tuple[int, str]
    at: dict[int, str] = field(default_factory=dict)


def verify(conn: Connection, at: Iterable[int] = ()) -> Check:
    """Every integrity problem found, reading each table in one streaming pass or in pages:

    - the evidence chain (`ledger`): no gap, every link recomputes; every post, queue item state, audit entry and
      claim matches its latest entry, none is missing and none is recorded twice where facts never change;
    - each post's text against its recorded SHA-256;
    - each queue item's audit trail: present, its per-item hash chain, the post hash each entry recorded, its last
      entry agreeing with the item's status.

    `at`: chain lengths whose head hash to report (to compare with signed heads).
    """
    problems, head, found = ledger.chain_problems(conn, at)
    problems += ledger.fact_problems(conn)
    problems += _post_hashes(conn)
    problems += _trails(conn)
    keys = _keys(conn, {p["post"] for p in problems if p["post"] is not None})
    for problem in problems:
        if problem["post"] in keys:
            problem["platform"], problem["post_id"], item_id = keys[problem["post"]]
            problem["item_id"] = problem["item_id"] or item_id
    return Check(problems, head, found)


def _keys(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, int | None]]:
    """(platform, post_id, queue item id or None) of the posts `ids`."""
    out: dict[int, tuple[str, str, int | None]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        query = (sa.select(posts.c.id, posts.c.platform, posts.c.post_id, queue_items.c.id.label("item_id"))
                 .outerjoin(queue_items, queue_items.c.id == posts.c.id).where(posts.c.id.in_(wanted[start:start + 500])))
        out.update({r.id: (r.platform, r.post_id, r.item_id) for r in conn.execute(query)})
    return out


def _post_hashes(conn: Connection) -> Iterator[dict[str, Any]]:
    query = (sa.select(posts.c.id, posts.c.text, posts.c.content_sha256, queue_items.c.id.label("item_id"))
             .outerjoin(queue_items, queue_items.c.id == posts.c.id).order_by(posts.c.id)
             .execution_options(yield_per=2000))
    for row in conn.execute(query):
        found = content_sha256(row.text)
        if found != row.content_sha256:
            yield {"post": row.id, "item_id": row.item_id, "platform": None, "post_id": None,
                   "problem": "post text does not match its recorded SHA-256", "expected": row.content_sha256,
                   "found": found}


def _trails(conn: Connection) -> Iterator[dict[str, Any]]:
    """Queue items a page at a time, each page's audit entries read with it."""
    last = 0
    while True:
        items = conn.execute(
            sa.select(queue_items.c.id, queue_items.c.status, posts.c.content_sha256)
            .outerjoin(posts, posts.c.id == queue_items.c.id).where(queue_items.c.id > last)
            .order_by(queue_items.c.id).limit(2000)).all()
        if not items:
            return
        trail: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for entry in audit.entries(conn, [item.id for item in items]):
            trail[entry["item_id"]].append(entry)
        broken = audit.broken_chains([e for entries in trail.values() for e in entries])
        for item in items:
            yield from _trail_problems(item.id, item.status, item.content_sha256, trail.get(item.id, []),
                                       broken.get(item.id))
        last = items[-1].id


def _trail_problems(item_id: int, status: str, current: str | None, entries: list[dict[str, Any]],
                    broken: str | None) -> Iterator[dict[str, Any]]:
    def problem(text: str, expected: Any = None, found: Any = None) -> dict[str, Any]:
        return {"post": item_id, "item_id": item_id, "platform": None, "post_id": None, "problem": text,
                "expected": expected, "found": found}

    if not entries:
        yield problem("queue item has no audit trail")
        return
    if broken:
        yield problem(broken)
    if {e["content_sha256"] for e in entries} != {current}:
        yield problem("post SHA-256 differs from the one recorded in its audit trail",
                      expected=entries[0]["content_sha256"], found=current)
    if entries[-1]["to_status"] != status:
        yield problem("status does not match the last audit entry", expected=entries[-1]["to_status"], found=status)


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
            "sha256_verified": content_sha256(item["text"]) == item["content_sha256"],
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
