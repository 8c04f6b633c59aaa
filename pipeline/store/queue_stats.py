"""Aggregates for the workspace dashboard, computed in SQL: posts and flags per day, backlog by age, decisions
per analyst, field precision per label, most-matched claims."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.labels import LABELS
from pipeline.store.schema import audit_log, claims, posts, queue_items, queue_labels

#: Backlog age buckets: (upper bound of age, name).
AGES: tuple[tuple[timedelta | None, str], ...] = (
    (timedelta(hours=1), "lt_1h"), (timedelta(days=1), "lt_1d"), (timedelta(days=7), "lt_7d"), (None, "ge_7d"))


def _day(conn: Connection, column: Any, utc_offset_hours: int) -> Any:
    """The calendar day of a UTC timestamp column at a fixed offset (WIB is UTC+7, without daylight saving)."""
    if conn.dialect.name == "postgresql":
        return sa.func.date(column + sa.text(f"interval '{int(utc_offset_hours)} hours'"))
    return sa.func.date(column, f"+{int(utc_offset_hours)} hours")


def daily(conn: Connection, since: datetime, utc_offset_hours: int = 7) -> list[dict[str, Any]]:
    """Per day (at the offset) from `since`: posts captured, and of them flagged (enqueued)."""
    day = _day(conn, posts.c.captured_at, utc_offset_hours).label("day")
    query = (sa.select(day, sa.func.count().label("posts"), sa.func.count(queue_items.c.id).label("flagged"))
             .select_from(posts.outerjoin(queue_items, queue_items.c.id == posts.c.id))
             .where(posts.c.captured_at >= since).group_by(day).order_by(day))
    return [{"day": str(r.day), "posts": int(r.posts), "flagged": int(r.flagged)} for r in conn.execute(query)]


def flagged_by_label(conn: Connection, since: datetime, until: datetime) -> dict[str, int]:
    """Items enqueued in [since, until) per flagged label."""
    query = (sa.select(queue_labels.c.label, sa.func.count())
             .join(queue_items, queue_items.c.id == queue_labels.c.item_id)
             .where(queue_items.c.enqueued_at >= since, queue_items.c.enqueued_at < until)
             .group_by(queue_labels.c.label))
    found = dict(conn.execute(query).all())
    return {label: int(found.get(label, 0)) for label in LABELS}


def scanned(conn: Connection, since: datetime, until: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(posts).where(posts.c.captured_at >= since,
                                                                posts.c.captured_at < until)
    return int(conn.execute(query).scalar())


def backlog(conn: Connection, now: datetime) -> dict[str, int]:
    """Pending and in-review items by how long ago they were enqueued."""
    age = queue_items.c.enqueued_at
    cases, lower = [], None
    for bound, name in AGES:
        conds = [age >= now - bound] if bound is not None else []
        if lower is not None:
            conds.append(age < now - lower)
        cases.append(sa.func.sum(sa.case((sa.and_(*conds) if conds else sa.true(), 1), else_=0)).label(name))
        lower = bound
    row = conn.execute(sa.select(*cases).where(queue_items.c.status.in_(["pending", "in_review"]))).first()
    return {name: int(getattr(row, name) or 0) for _bound, name in AGES}


def decisions(conn: Connection, since: datetime) -> list[dict[str, Any]]:
    """Per analyst since `since`: decide actions, of them confirmations and dismissals, escalations, undos."""
    query = (sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.to_status, sa.func.count())
             .where(audit_log.c.at >= since, audit_log.c.action.in_(["decide", "escalate", "undo"]))
             .group_by(audit_log.c.actor, audit_log.c.action, audit_log.c.to_status))
    per: dict[str, Counter[str]] = {}
    for actor, action, to_status, n in conn.execute(query):
        counts = per.setdefault(actor, Counter())
        counts[action] += n
        if action == "decide":
            counts[to_status] += n
    return [{"analyst": actor, "decisions": c["decide"], "confirmed": c["confirmed"], "dismissed": c["dismissed"],
             "escalations": c["escalate"], "undos": c["undo"]} for actor, c in sorted(per.items())]


def precision(conn: Connection) -> list[dict[str, Any]]:
    """Per flagged label: items decided with a verdict on it, of them confirmed, and confirmed / decided."""
    query = (sa.select(queue_labels.c.label, queue_items.c.verdicts)
             .join(queue_items, queue_items.c.id == queue_labels.c.item_id)
             .where(queue_items.c.decided_at.is_not(None)))
    decided: Counter[str] = Counter()
    confirmed: Counter[str] = Counter()
    for label, verdicts in conn.execute(query):
        if label in (verdicts or {}):
            decided[label] += 1
            confirmed[label] += bool(verdicts[label])
    return [{"label": label, "decided": decided[label], "confirmed": confirmed[label],
             "precision": confirmed[label] / decided[label] if decided[label] else None} for label in LABELS]


def top_claims(conn: Connection, limit: int = 10) -> list[dict[str, Any]]:
    """The known claims most queue items matched: claim_id, title, url, items."""
    n = sa.func.count().label("items")
    query = (sa.select(queue_items.c.claim_id, claims.c.title, claims.c.url, n)
             .outerjoin(claims, claims.c.claim_id == queue_items.c.claim_id)
             .where(queue_items.c.claim_id.is_not(None))
             .group_by(queue_items.c.claim_id, claims.c.title, claims.c.url).order_by(n.desc(), queue_items.c.claim_id)
             .limit(limit))
    return [dict(r._mapping) for r in conn.execute(query)]


def claims_page(conn: Connection, search: str | None, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """Known claims (newest import first), optionally only those whose id, title or text contains `search`,
    with how many queue items matched each: (total, rows)."""
    where = []
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(sa.or_(claims.c.claim_id.ilike(pattern, escape="\\"), claims.c.title.ilike(pattern, escape="\\"),
                            claims.c.text.ilike(pattern, escape="\\")))
    total = int(conn.execute(sa.select(sa.func.count()).select_from(claims).where(*where)).scalar())
    matched = (sa.select(sa.func.count()).where(queue_items.c.claim_id == claims.c.claim_id)
               .scalar_subquery().label("items"))
    query = (sa.select(claims.c.claim_id, claims.c.title, claims.c.verdict, claims.c.url, claims.c.date,
                       claims.c.source, matched)
             .where(*where).order_by(claims.c.id.desc()).offset(offset).limit(limit))
    return total, [dict(r._mapping) for r in conn.execute(query)]


def claim(conn: Connection, claim_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(claims).where(claims.c.claim_id == claim_id)).first()
    return None if row is None else dict(row._mapping)
