"""Filtering, sorting, paging and counting the review queue in SQL (every value a bound parameter).

Filters read the facet columns of `queue_items` and `queue_labels` (see queue_facets.py); only the free-text
filter and the rows of the page shown touch the posts table.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.store.queue_facets import TEXT_INDEX
from pipeline.store.schema import STATUSES, posts, queue_items, queue_labels

SORTS = ("priority", "time")
#: The `assignee` value that selects items nobody holds.
NOBODY = "-"
PAGE_COLUMNS = (
    queue_items.c.id.label("item_id"), queue_items.c.status, queue_items.c.priority, queue_items.c.claimed_by,
    queue_items.c.lease_expires_at, queue_items.c.verdicts, queue_items.c.enqueued_at, queue_items.c.decided_by,
    queue_items.c.platform, queue_items.c.source, queue_items.c.posted_at, queue_items.c.top_label,
    queue_items.c.top_score, queue_items.c.claim_id, posts.c.post_id, posts.c.author, posts.c.text,
    posts.c.flags, posts.c.scores, posts.c.shares, posts.c.views,
)


@dataclass(frozen=True)
class QueueQuery:
    """What the analyst asked for. Empty fields do not filter.

    `label` matches items flagged with it (a SARA sub-label: items whose SARA flag targets that group);
    `score_min`/`score_max` bound that label's score, or the top flagged score without a label; `since`/`until`
    bound the post time (posted, else captured), `until` exclusive; `assignee` is who holds the item
    (NOBODY: nobody); `text` is a case-insensitive substring of the post text or author.
    """

    statuses: tuple[str, ...] = ()
    label: str | None = None
    platform: str | None = None
    source: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    claim_id: str | None = None
    assignee: str | None = None
    text: str | None = None
    sort: str = "priority"
    ids: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        bad = sorted(set(self.statuses) - set(STATUSES))
        if bad:
            raise InputError(f"unknown status {', '.join(bad)}; statuses: {', '.join(STATUSES)}")
        if self.label is not None and self.label not in LABELS:
            raise InputError(f"unknown label {self.label!r}; labels: {', '.join(LABELS)}")
        if self.sort not in SORTS:
            raise InputError(f"unknown sort {self.sort!r}; sorts: {', '.join(SORTS)}")

    def without(self, *names: str) -> QueueQuery:
        """The same query with some filters cleared (for counts per value of those filters)."""
        return replace(self, **{name: QueueQuery.__dataclass_fields__[name].default for name in names})


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def has_label(label: str) -> sa.ColumnElement[bool]:
    return queue_items.c.label_bits.op("&")(1 << LABELS.index(label)) != 0


def _score_range(q: QueueQuery) -> list[sa.ColumnElement[bool]]:
    out = []
    if q.score_min is not None:
        out.append(queue_labels.c.score >= q.score_min)
    if q.score_max is not None:
        out.append(queue_labels.c.score <= q.score_max)
    return out


def label_condition(q: QueueQuery) -> sa.ColumnElement[bool] | None:
    """The condition of `q.label` (with its score range, if any), or None without a label."""
    if not q.label:
        return None
    if q.score_min is None and q.score_max is None:
        return has_label(q.label)
    scored = sa.select(queue_labels.c.item_id).where(queue_labels.c.label == q.label, *_score_range(q))
    # The bit test first: only items with the label need the look-up of its score.
    return sa.and_(has_label(q.label), queue_items.c.id.in_(scored))


def base_conditions(q: QueueQuery, dialect: str) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of `q` on queue_items for `dialect`, except its status and label filters."""
    qi = queue_items.c
    out: list[sa.ColumnElement[bool]] = []
    if q.ids:
        out.append(qi.id.in_(list(q.ids)))
    if not q.label:
        if q.score_min is not None:
            out.append(qi.top_score >= q.score_min)
        if q.score_max is not None:
            out.append(qi.top_score <= q.score_max)
    for name in ("platform", "source", "claim_id"):
        value = getattr(q, name)
        if value:
            out.append(qi[name] == value)
    if q.since is not None:
        out.append(qi.posted_at >= q.since)
    if q.until is not None:
        out.append(qi.posted_at < q.until)
    if q.assignee == NOBODY:
        out.append(qi.claimed_by.is_(None))
    elif q.assignee:
        out.append(qi.claimed_by == q.assignee)
    if q.text:
        out.append(qi.id.in_(_text_matches(q.text, dialect)))
    return out


_TEXT_INDEX = sa.table(TEXT_INDEX, sa.column("rowid"), sa.column(TEXT_INDEX))


def _text_matches(text: str, dialect: str) -> sa.Select[Any]:
    """Ids of posts whose text or author contains `text` (case-insensitive). On SQLite a term of 3+ characters
    goes through the trigram index, as one quoted FTS5 phrase (a substring; operators are taken literally);
    PostgreSQL's ILIKE uses the pg_trgm indexes when they exist."""
    if dialect == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        return sa.select(_TEXT_INDEX.c.rowid).where(_TEXT_INDEX.c[TEXT_INDEX].match(phrase))
    pattern = _like(text)
    return sa.select(posts.c.id).where(sa.or_(posts.c.text.ilike(pattern, escape="\\"),
                                              posts.c.author.ilike(pattern, escape="\\")))


def conditions(q: QueueQuery, dialect: str) -> list[sa.ColumnElement[bool]]:
    """All the WHERE conditions of `q` on queue_items for `dialect` ('sqlite' or 'postgresql')."""
    out = base_conditions(q, dialect)
    if q.statuses:
        out.append(queue_items.c.status.in_(list(q.statuses)))
    labelled = label_condition(q)
    if labelled is not None:
        out.append(labelled)
    return out


def _order(q: QueueQuery) -> list[Any]:
    if q.sort == "time":
        return [queue_items.c.posted_at.desc(), queue_items.c.id.desc()]
    return [queue_items.c.priority.desc(), queue_items.c.id]


def page(conn: Connection, q: QueueQuery, offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
    """One page of matching items in `q.sort` order, with the post fields a list shows."""
    ids = (sa.select(queue_items.c.id).where(*conditions(q, conn.dialect.name)).order_by(*_order(q))
           .offset(max(0, int(offset))).limit(max(1, int(limit))).subquery())
    query = (sa.select(*PAGE_COLUMNS).join(ids, ids.c.id == queue_items.c.id)
             .join(posts, posts.c.id == queue_items.c.id).order_by(*_order(q)))
    return [dict(row._mapping) for row in conn.execute(query)]


def count(conn: Connection, q: QueueQuery) -> int:
    query = sa.select(sa.func.count()).select_from(queue_items).where(*conditions(q, conn.dialect.name))
    return int(conn.execute(query).scalar())


def item_ids(conn: Connection, q: QueueQuery) -> list[int]:
    """Every matching item id, in `q.sort` order (for bulk actions)."""
    query = sa.select(queue_items.c.id).where(*conditions(q, conn.dialect.name)).order_by(*_order(q))
    return list(conn.execute(query).scalars())


def counts(conn: Connection, q: QueueQuery) -> dict[str, Any]:
    """`total` matching `q`; per status, the items matching `q` but for its status filter; per label, the items
    matching `q` but for its label filter (and that label's score range).

    One query grouped by (status, label_bits), which the covering index ix_queue_facets answers without reading
    the table, so the counts cost about one index scan however many labels and statuses there are.
    """
    keys = [queue_items.c.status, queue_items.c.label_bits]
    where = base_conditions(q, conn.dialect.name)
    groups = conn.execute(sa.select(sa.func.count(), *keys).where(*where).group_by(*keys)).all()
    by_status = dict.fromkeys(STATUSES, 0)
    by_label = dict.fromkeys(LABELS, 0)
    bit = 1 << LABELS.index(q.label) if q.label else 0
    for n, status, bits in groups:
        if not q.statuses or status in q.statuses:
            for i, label in enumerate(LABELS):
                if (bits or 0) & (1 << i):
                    by_label[label] += n
        if not bit or (bits or 0) & bit:
            by_status[status] += n
    if q.label is not None and (q.score_min is not None or q.score_max is not None):
        # A score range is not in the bits: count the items in range from the label's score index instead.
        in_range = (sa.select(queue_items.c.status, sa.func.count())
                    .join(queue_labels, queue_labels.c.item_id == queue_items.c.id)
                    .where(queue_labels.c.label == q.label, *_score_range(q), *where).group_by(queue_items.c.status))
        by_status = dict.fromkeys(STATUSES, 0) | {status: int(n) for status, n in conn.execute(in_range)}
    total = sum(n for status, n in by_status.items() if not q.statuses or status in q.statuses)
    return {"total": total, "status": by_status, "label": by_label}


def choices(conn: Connection, limit: int = 200) -> dict[str, list[str]]:
    """Values the platform, source and assignee filters can take (each at most `limit`, sorted)."""
    out = {}
    for name, column in (("platform", queue_items.c.platform), ("source", queue_items.c.source),
                         ("assignee", queue_items.c.claimed_by)):
        query = sa.select(column).where(column.is_not(None)).distinct().order_by(column).limit(limit)
        out[name] = [str(v) for v in conn.execute(query).scalars()]
    return out


def copies(conn: Connection, item_id: int, key: str, limit: int = 20) -> list[dict[str, Any]]:
    """Other queue items whose post has the same copy key (a repost differing in case, links or spacing)."""
    query = (sa.select(queue_items.c.id.label("item_id"), queue_items.c.status, posts.c.platform,
                       posts.c.post_id, posts.c.author, posts.c.url, posts.c.created_at, posts.c.shares,
                       posts.c.views, posts.c.followers)
             .join(posts, posts.c.id == queue_items.c.id)
             .where(queue_items.c.copy_key == key, queue_items.c.id != item_id)
             .order_by(queue_items.c.id).limit(limit))
    return [dict(row._mapping) for row in conn.execute(query)]


def by_claim(conn: Connection, claim_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Queue items whose post matched the known claim `claim_id`, highest priority first."""
    return page(conn, QueueQuery(claim_id=claim_id), 0, limit)


def facets_of(conn: Connection, item_id: int) -> dict[str, Any]:
    """An item's facet columns (platform, source, posted_at, top_label, top_score, claim_id, copy_key)."""
    row = conn.execute(sa.select(queue_items.c.platform, queue_items.c.source, queue_items.c.posted_at,
                                 queue_items.c.top_label, queue_items.c.top_score, queue_items.c.claim_id,
                                 queue_items.c.copy_key).where(queue_items.c.id == int(item_id))).first()
    return {} if row is None else dict(row._mapping)


def neighbours(conn: Connection, q: QueueQuery, item_id: int) -> tuple[int | None, int | None]:
    """The items before and after `item_id` in `q`'s order (None at either end, or if it does not match)."""
    qi = queue_items.c
    key = conn.execute(sa.select(qi.priority, qi.posted_at).where(qi.id == int(item_id))).first()
    column = qi.posted_at if q.sort == "time" else qi.priority
    value = key.posted_at if q.sort == "time" else (key.priority if key else None)
    if key is None or value is None:
        return None, None
    where = conditions(q, conn.dialect.name)
    # The order is (column desc, id asc) by priority and (column desc, id desc) by time. Each neighbour is the
    # nearer of a tie on the column and the next column value: two index look-ups, no OR for the planner.
    ties_up = qi.id < item_id if q.sort == "priority" else qi.id > item_id

    def first(*conds: Any, order: list[Any]) -> int | None:
        return conn.execute(sa.select(qi.id).where(*where, *conds).order_by(*order).limit(1)).scalar()

    tie_asc = qi.id.asc() if q.sort == "priority" else qi.id.desc()
    tie_desc = qi.id.desc() if q.sort == "priority" else qi.id.asc()
    prev_id = first(column == value, ties_up, order=[tie_desc]) or first(column > value,
                                                                           order=[column.asc(), tie_desc])
    next_id = first(column == value, sa.not_(ties_up), qi.id != item_id, order=[tie_asc]) or first(
        column < value, order=[column.desc(), tie_asc])
    return prev_id, next_id
