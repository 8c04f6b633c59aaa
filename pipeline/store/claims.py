"""Known (already debunked) hoax claims, kept for `pipeline.claims` to match posts against."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.errors import InputError
from pipeline.store import dialects, ledger
from pipeline.store._types import utcnow
from pipeline.store.posts import chunks
from pipeline.store.schema import claims

FIELDS = ("claim_id", "title", "text", "verdict", "url", "date", "narrative", "source")


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def add(conn: Connection, rows: Iterable[dict[str, Any]]) -> int:
    """Upsert claims by claim_id; return how many claim_ids were new."""
    now = utcnow()
    prepared: dict[str, dict[str, Any]] = {}
    for row in rows:
        claim_id = _text(row.get("claim_id"))
        if not claim_id:
            raise InputError(f"claim without a claim_id: {str(row)[:80]}")
        prepared[claim_id] = {name: _text(row.get(name)) for name in FIELDS} | {"imported_at": now}
    ids = list(prepared)
    existing: set[str] = set()
    for part in chunks(ids):
        existing.update(conn.execute(sa.select(claims.c.claim_id).where(claims.c.claim_id.in_(part))).scalars())
    values = list(prepared.values())
    for part in chunks(values, 1000):
        dialects.upsert(conn, claims, part, key=["claim_id"])
    stored: list[int] = []
    for part in chunks(ids):
        stored += conn.execute(sa.select(claims.c.id).where(claims.c.claim_id.in_(part))).scalars().all()
    ledger.append_current(conn, "claim", stored)
    return len(set(ids) - existing)


def rows(conn: Connection) -> list[dict[str, Any]]:
    """All claims, in import order: the FIELDS (text, `date` as given, ISO if it was a date) and `imported_at`."""
    query = sa.select(*(claims.c[n] for n in (*FIELDS, "imported_at"))).order_by(claims.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def state(conn: Connection) -> dict[str, Any] | None:
    """What identifies the stored claims as they are now, or None when there are none: their count, highest id
    and latest import time, and the evidence chain's latest claim entry (seq and hash). Any import changes it."""
    count, top, latest = conn.execute(sa.select(sa.func.count(), sa.func.max(claims.c.id),
                                                sa.func.max(claims.c.imported_at))).one()
    if not count:
        return None
    seq, sha = ledger.latest(conn, "claim") or (None, None)
    return {"count": int(count), "max_id": int(top), "imported_at": _text(latest), "entry_seq": seq,
            "entry_sha256": sha}
