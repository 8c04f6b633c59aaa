"""Posts and their copies: de-duplication look-ups, the one-transaction scan save, the spread of a queued post,
and the stored posts for reports.

Copies are stored in their own table (`schema.copies`), not as posts: a post is what is scored, queued and
audited, once per text; a copy is another account's or platform's post of the same text, kept with its own
identity and reach and linked to the first post (`copies_of`), whose queue item counts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.errors import InputError
from pipeline.records import COPY_COLUMNS, ROW_COLUMNS, ScanRecord
from pipeline.store import audit, bulk, ledger, queue_facets
from pipeline.store._types import utcnow
from pipeline.store.engine import SQLITE_LARGE_CACHE_KIB
from pipeline.store.schema import copies, posts, queue_items
from pipeline.values import as_utc

#: The posts columns a record fills that hold JSON, and the others.
_JSON_COLUMNS = tuple(name for name in ROW_COLUMNS if isinstance(posts.c[name].type, sa.JSON))
_PLAIN_COLUMNS = tuple(name for name in ROW_COLUMNS if name not in _JSON_COLUMNS)
SAVE_LOCK = 0x7061_7473  # PostgreSQL advisory lock id serialising save_scan
# Stays well under SQLite's 32766 bound parameters per statement.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What `Store.save_scan` did: posts newly stored, posts skipped as already stored (same platform and post
    id), items enqueued, and copies stored (same content as a stored post, under another key)."""

    stored: int
    duplicates: int
    enqueued: int
    copies: int = 0


#: The priority of a queue item from its post's scores and flags and the reach (shares, views, followers) summed
#: over the post and its copies: `scoring.priority`.
Rank = Callable[[dict[str, float], list[str], int | None, int | None, int | None], float]


def chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@cache
def _keys_query(table: sa.Table) -> sa.Select[Any]:
    """The post ids of `table` among `:ids` on platform `:platform` (built once: the lists are bound, not
    compiled in)."""
    return sa.select(table.c.post_id).where(table.c.platform == sa.bindparam("platform"),
                                            table.c.post_id.in_(sa.bindparam("ids", expanding=True)))


@cache
def _originals_query(columns: tuple[str, ...]) -> sa.Select[Any]:
    return sa.select(posts.c.id, posts.c.platform, posts.c.post_id, posts.c.content_sha256,
                     *(posts.c[name] for name in columns)).where(
        posts.c.content_sha256.in_(sa.bindparam("hashes", expanding=True)))


def _keys_in(conn: Connection, table: sa.Table, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    by_platform: dict[str, dict[str, None]] = {}
    for platform, post_id in keys:
        by_platform.setdefault(str(platform), {})[str(post_id)] = None
    # One platform at a time: SQLite searches the (platform, post_id) index for `platform = ? AND post_id IN`,
    # but scans the whole index for a (platform, post_id) IN list.
    query = _keys_query(table)
    for platform, post_ids in by_platform.items():
        for part in chunks(list(post_ids)):
            found.update((platform, post_id)
                         for post_id in conn.execute(query, {"platform": platform, "ids": part}).scalars())
    return found


def known(conn: Connection, keys: Iterable[tuple[str, str]],
          hashes: Iterable[str]) -> tuple[set[tuple[str, str]], set[str]]:
    """The (platform, post_id) keys (of posts or copies) and content hashes among those given that are stored."""
    keys = list(keys)
    found_keys = _keys_in(conn, posts, keys) | _keys_in(conn, copies, keys)
    return found_keys, set(originals(conn, hashes, columns=()))


def originals(conn: Connection, hashes: Iterable[str],
              columns: Sequence[str] = ("scores", "flags", "evidence", "priority", "model_version"),
              ) -> dict[str, dict[str, Any]]:
    """The stored post of each of these content hashes that is stored: hash -> {id, platform, post_id, *columns}."""
    out: dict[str, dict[str, Any]] = {}
    query = _originals_query(tuple(columns))
    for part in chunks(list(dict.fromkeys(hashes))):
        for row in conn.execute(query, {"hashes": part}):
            out[row.content_sha256] = dict(row._mapping)
    return out


def save_scan(conn: Connection, records: Sequence[ScanRecord], now: datetime | None = None,
              rank: Rank | None = None) -> SaveResult:
    """Insert new posts and copies, enqueue the flagged new posts with an 'enqueue' audit entry, and update the
    spread of items that got copies; see `Store.save_scan`."""
    rows = [r.row() for r in records]
    if not rows:
        return SaveResult(0, 0, 0)
    if conn.dialect.name == "postgresql":
        # One scan save at a time, as SQLite's write lock gives: concurrent conflicting inserts could otherwise
        # wait on each other in opposite orders (deadlock), and the duplicate look-up below would be racy.
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SAVE_LOCK})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_LARGE_CACHE_KIB}")
    old_keys, old_hashes = known(conn, [(r["platform"], r["post_id"]) for r in rows],
                                 [r["content_sha256"] for r in rows])
    fresh, copied = [], []
    for row in rows:
        key = (row["platform"], row["post_id"])
        if key in old_keys:
            continue
        old_keys.add(key)
        # Whatever the record says, content already stored makes a copy: the store keeps one post per text.
        if row["content_sha256"] in old_hashes:
            copied.append(row)
        else:
            old_hashes.add(row["content_sha256"])
            fresh.append(row)
    by_key = {(r["platform"], r["post_id"]): r for r in fresh}
    # The JSON columns are encoded once, canonically: the text stored is the text the evidence chain hashes.
    texts = {(r["platform"], r["post_id"]): {name: ledger.canonical_json(r[name]) for name in _JSON_COLUMNS}
             for r in fresh}
    # Another process may have inserted some of these since we looked (PostgreSQL): the conflict-ignoring insert
    # skips them and RETURNING tells us which rows are ours to enqueue.
    values = itemgetter(*_PLAIN_COLUMNS)
    inserted = [(pk, by_key[(platform, post_id)]) for pk, platform, post_id in bulk.insert_returning(
        conn, posts, (*_PLAIN_COLUMNS, *_JSON_COLUMNS),
        ((*values(r), *texts[(r["platform"], r["post_id"])].values()) for r in fresh),
        ("id", "platform", "post_id"), skip_conflicts=True, encoded=frozenset(_JSON_COLUMNS))]
    now = now or utcnow()
    for pk, row in inserted:
        row["id"] = pk
    ledger.append(conn, "post", [row for _, row in inserted],
                  [texts[(row["platform"], row["post_id"])] for _, row in inserted])
    flagged = [(pk, row) for pk, row in inserted if row["flags"]]
    if flagged:
        items = [{"id": pk, "status": "pending", "priority": row["priority"], "verdicts": {}, "enqueued_at": now,
                  "updated_at": now, "copies": 0, "authors": int(row["author"] is not None), "platforms": 1,
                  "reach_shares": row["shares"], "reach_views": row["views"], "reach_followers": row["followers"],
                  **queue_facets.columns(row)} for pk, row in flagged]
        names = tuple(items[0])
        bulk.insert(conn, queue_items, names, map(itemgetter(*names), items))
        queue_facets.add_items(conn, flagged)
        ledger.append(conn, "item", items)
        audit.append(conn, [
            {"item_id": pk, "at": now, "actor": "patroli", "action": "enqueue", "from_status": None,
             "to_status": "pending", "note": f"flagged: {', '.join(row['flags'])}",
             "model_version": row["model_version"], "content_sha256": row["content_sha256"]}
            for pk, row in flagged])
    stored_copies = _save_copies(conn, copied, rank)
    return SaveResult(stored=len(inserted), duplicates=len(rows) - len(inserted) - stored_copies,
                      enqueued=len(flagged), copies=stored_copies)


def _save_copies(conn: Connection, rows: list[dict[str, Any]], rank: Rank | None) -> int:
    """Store copies under the id of their stored first post; then recount the spread of the first posts' items."""
    if not rows:
        return 0
    first = {h: found["id"] for h, found in originals(conn, [r["content_sha256"] for r in rows], ()).items()}
    values = itemgetter(*COPY_COLUMNS)
    stored = bulk.insert_returning(
        conn, copies, ("original_id", *COPY_COLUMNS),
        ((first[r["content_sha256"]], *values(r)) for r in rows if r["content_sha256"] in first),
        ("id", "original_id"), skip_conflicts=True)
    ledger.append_current(conn, "copy", [copy_id for copy_id, _ in stored])
    update_spread(conn, {original for _, original in stored}, rank)
    return len(stored)


def update_spread(conn: Connection, post_ids: Iterable[int], rank: Rank | None = None) -> None:
    """Recount the copies, distinct authors and platforms and summed reach of the queue items of these posts, and
    (with `rank`) recompute their priority from that reach. Posts without a queue item are left alone."""
    ids = sorted(post_ids)
    for part in chunks(ids):
        members = sa.union_all(
            sa.select(posts.c.id.label("oid"), posts.c.author, posts.c.platform, posts.c.shares, posts.c.views,
                      posts.c.followers).where(posts.c.id.in_(part)),
            sa.select(copies.c.original_id, copies.c.author, copies.c.platform, copies.c.shares, copies.c.views,
                      copies.c.followers).where(copies.c.original_id.in_(part))).subquery()
        spread = (sa.select(members.c.oid, (sa.func.count() - 1).label("copies"),
                            sa.func.count(sa.distinct(members.c.author)).label("authors"),
                            sa.func.count(sa.distinct(members.c.platform)).label("platforms"),
                            sa.func.sum(members.c.shares).label("shares"), sa.func.sum(members.c.views).label("views"),
                            sa.func.sum(members.c.followers).label("followers"))
                  .group_by(members.c.oid).subquery())
        query = (sa.select(spread, posts.c.scores, posts.c.flags, queue_items.c.priority)
                 .join(queue_items, queue_items.c.id == spread.c.oid).join(posts, posts.c.id == spread.c.oid))
        updates = []
        for row in conn.execute(query):
            reach = [None if v is None else int(v) for v in (row.shares, row.views, row.followers)]
            priority = rank(row.scores, list(row.flags), *reach) if rank is not None else row.priority
            updates.append({"item": row.oid, "copies": row.copies, "authors": row.authors,
                            "platforms": row.platforms, "reach_shares": reach[0], "reach_views": reach[1],
                            "reach_followers": reach[2], "priority": float(priority)})
        if updates:
            conn.execute(queue_items.update().where(queue_items.c.id == sa.bindparam("item")), updates)
            ledger.append_current(conn, "item", [u["item"] for u in updates])


def copies_of(conn: Connection, post_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The stored copies of these posts (by posts.id), oldest first: id, original_id, platform, post_id, author,
    url, created_at, captured_at, shares, views, followers, source, content_sha256."""
    ids = list(post_ids)
    out: list[dict[str, Any]] = []
    columns = [c for c in copies.c if c.name != "raw"]
    for part in chunks(ids):
        query = sa.select(*columns).where(copies.c.original_id.in_(part)).order_by(copies.c.id)
        out.extend(dict(row._mapping) for row in conn.execute(query))
    return sorted(out, key=lambda row: row["id"])


def rows(conn: Connection, since: datetime | None = None, until: datetime | None = None,
         by: str = "captured_at") -> list[dict[str, Any]]:
    """Stored posts with `since <= <by> < until` (`by`: captured_at or created_at), by id: the posts columns and
    the `status` of their queue item (None if not enqueued); `frames.posts_frame` makes the DataFrame."""
    if by not in ("captured_at", "created_at"):
        raise InputError(f"posts can be selected by captured_at or created_at, not {by!r}")
    column = posts.c[by]
    query = sa.select(posts, queue_items.c.status).outerjoin(queue_items, queue_items.c.id == posts.c.id)
    if since is not None:
        query = query.where(column >= as_utc(since, "since"))
    if until is not None:
        query = query.where(column < as_utc(until, "until"))
    return [dict(row._mapping) for row in conn.execute(query.order_by(posts.c.id))]
