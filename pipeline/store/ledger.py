"""The ledger: one global, append-only hash chain over every stored fact an analyst or a court relies on.

Each entry records one fact as it was written: a post (all its columns: text, author, url, times, reach, raw
record, scores, flags, evidence, model version, priority), a queue item's state after each change (status,
priority, assignee and lease, verdicts, decided_by/at, times), an audit entry, or a known claim. An entry holds
the SHA-256 of the fact's canonical form (`payload_sha256`) and chains the previous entry's hash into its own
(`entry_sha256`), so

- an edited fact no longer matches its latest entry; a deleted fact leaves an entry without its fact; a fact
  without an entry (inserted behind patroli's back) has none;
- a deleted, reordered or edited entry breaks the chain or leaves a gap in `seq`; posts, audit entries and claims
  of one import are never re-recorded, so a second entry for one of them is reported too;
- re-computing the whole chain after an edit changes its head: a head signed outside the database
  (`pipeline.signing`) shows that, and shows a cut-off tail as a chain shorter than the signed one.

Appends are cheap: one row per fact in the writer's transaction, chained under PostgreSQL's advisory lock (SQLite's
write lock does the same), taken as the last lock of the transaction so it is held only until commit.
Verification streams: the chain in `seq` order, then each fact table joined to its facts' latest entries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from json.encoder import encode_basestring as _string
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store._types import UTCDateTime
from pipeline.store.schema import audit_log, claims, copies, ledger, posts, queue_items

GENESIS = "0" * 64
LEDGER_LOCK = 0x7061_746C  # PostgreSQL advisory lock id serialising appends to the chain
#: kind -> the table whose rows it records (each keyed by its integer `id`).
TABLES: dict[str, sa.Table] = {"post": posts, "copy": copies, "item": queue_items, "audit": audit_log, "claim": claims}
#: Kinds whose facts never change once written: a second entry for one of them means a rewrite.
WRITE_ONCE = ("post", "copy", "audit")
PAGE = 5000
#: At most this many problems of one kind are listed; the rest are counted in one more row.
MAX_LISTED = 1000


def _utc_text(value: Any) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds") if isinstance(value, datetime) else str(value)


#: How a column's value is normalised: as UTC ISO text, as float, int or str (a value already of that exact type
#: is kept as it is), or kept as it is (JSON).
_TIME, _KEEP = "time", "keep"


@cache
def _converters(table: sa.Table) -> tuple[tuple[str, str, Any], ...]:
    """Per column of `table`, by name (the canonical form's key order): its name, its JSON-encoded name and how a
    value of it is normalised to what the database gives back (`_TIME`, `_KEEP`, or the type `float`, `int` or
    `str` to convert to)."""
    out: list[tuple[str, str, Any]] = []
    for column in sorted(table.columns, key=lambda c: c.name):
        kind = column.type
        if isinstance(kind, UTCDateTime):
            how: Any = _TIME
        elif isinstance(kind, sa.Float):
            how = float
        elif isinstance(kind, sa.Integer):
            how = int
        elif isinstance(kind, sa.JSON):
            how = _KEEP
        else:
            how = str
        out.append((column.name, _ENCODER.encode(column.name), how))
    return tuple(out)


# One encoder for every payload (json.dumps would build one per call).
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
#: The canonical JSON text of a value: what the payload holds for a JSON column (see `payload`).
canonical_json = _ENCODER.encode
_INFINITY = float("inf")


def _float_text(value: float) -> str:
    """A float as `_ENCODER` writes it."""
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def payload(table: sa.Table, row: dict[str, Any], times: dict[Any, str] | None = None,
            encoded: dict[str, str] | None = None) -> str:
    """The SHA-256 of a row's canonical form: every column of `table` the row has a value for, by name.

    NULL columns are left out, so a column added later as nullable leaves older entries valid; values are
    normalised to what the database gives back (UTC ISO times, floats, ints, JSON with sorted keys). The form is
    `canonical_json` of that {column: value} object, written here one member at a time: `encoded` may give a JSON
    column's `canonical_json` text already made (the text the row was stored with), and `times`, when given,
    remembers the text of each datetime across the rows of one append (a chunk's rows share a few).
    """
    parts = []
    get = row.get
    for name, key, kind in _converters(table):
        value = get(name)
        if value is None:
            continue
        if kind is _KEEP:
            text = encoded.get(name) if encoded is not None else None
            if text is None:
                text = _ENCODER.encode(value)
        elif kind is _TIME:
            if times is None or type(value) is not datetime:
                text = _string(_utc_text(value))
            else:
                text = times.get(value)
                if text is None:
                    text = times[value] = _string(_utc_text(value))
        elif kind is str:
            text = _string(value if type(value) is str else str(value))
        elif kind is int:
            text = int.__repr__(value if type(value) is int else int(value))
        else:
            text = _float_text(value if type(value) is float else float(value))
        parts.append(f"{key}:{text}")
    return hashlib.sha256(f"{{{','.join(parts)}}}".encode()).hexdigest()


def entry_digest(prev: str, seq: int, kind: str, ref: int, payload_sha256: str) -> str:
    """The chained hash of entry `seq`: SHA-256 of the previous entry's hash and this entry's fields."""
    return hashlib.sha256(f"{prev}\n{seq}\n{kind}\n{ref}\n{payload_sha256}".encode()).hexdigest()


def head(conn: Connection) -> tuple[int, str]:
    """(length of the chain, hash of its last entry); (0, GENESIS) for an empty chain."""
    row = conn.execute(sa.select(ledger.c.seq, ledger.c.entry_sha256).order_by(ledger.c.seq.desc()).limit(1)).first()
    return (0, GENESIS) if row is None else (int(row.seq), row.entry_sha256)


def latest(conn: Connection, kind: str) -> tuple[int, str] | None:
    """(seq, hash) of the chain's latest entry of `kind`, or None when it has none."""
    row = conn.execute(sa.select(ledger.c.seq, ledger.c.entry_sha256).where(ledger.c.kind == kind)
                       .order_by(ledger.c.seq.desc()).limit(1)).first()
    return None if row is None else (int(row.seq), row.entry_sha256)


def lock(conn: Connection) -> None:
    """Serialise chain appends until this transaction ends (PostgreSQL; SQLite writers already are)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LEDGER_LOCK})


def append(conn: Connection, kind: str, rows: Iterable[dict[str, Any]],
           encoded: Iterable[dict[str, str]] | None = None) -> None:
    """Record `rows` (each with its `id`) of the table of `kind` as they are now, chained after the current head.
    `encoded`, one per row, gives JSON columns' `canonical_json` texts already made (see `payload`).

    Call it after writing the rows, as the transaction's last step: it takes the chain lock.
    """
    table = TABLES[kind]
    times: dict[Any, str] = {}
    if encoded is None:
        facts = [(int(row["id"]), payload(table, row, times)) for row in rows]
    else:
        facts = [(int(row["id"]), payload(table, row, times, texts))
                 for row, texts in zip(rows, encoded, strict=True)]
    if not facts:
        return
    lock(conn)
    seq, prev = head(conn)
    out = []
    for ref, digest in facts:
        seq += 1
        prev = entry_digest(prev, seq, kind, ref, digest)
        out.append((seq, kind, ref, digest, prev))
    # Plain DB-API executemany: these five columns need no type processing, and this is the scan's hot path.
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO ledger (seq, kind, ref, payload_sha256, entry_sha256) "
                         f"VALUES ({', '.join([marker] * 5)})", out)


def append_current(conn: Connection, kind: str, ids: Iterable[int]) -> None:
    """Record the rows `ids` of `kind`'s table as they are stored now (read back, so defaults are included)."""
    table = TABLES[kind]
    wanted = sorted(set(int(i) for i in ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), 500):
        part = wanted[start:start + 500]
        rows += [dict(r._mapping) for r in conn.execute(sa.select(table).where(table.c.id.in_(part))
                                                          .order_by(table.c.id))]
    append(conn, kind, rows)


def chain_existing(conn: Connection) -> int:
    """Record every stored fact not yet in the chain (a database from before the ledger); return how many.

    Reads only the columns the database has (a later migration may add some), one page at a time.
    """
    total = 0
    for kind, table in TABLES.items():
        present = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        columns = [c for c in table.columns if c.name in present]
        last = 0
        while True:
            page = [dict(r._mapping) for r in conn.execute(
                sa.select(*columns).where(table.c.id > last).order_by(table.c.id).limit(2000))]
            if not page:
                break
            append(conn, kind, page)
            total += len(page)
            last = page[-1]["id"]
    return total


def _problem(problem: str, *, post: int | None = None, item_id: int | None = None, expected: Any = None,
             found: Any = None) -> dict[str, Any]:
    return {"post": post, "item_id": item_id, "platform": None, "post_id": None, "problem": problem,
            "expected": expected, "found": found}


def _capped(problems: Iterator[dict[str, Any]], what: str) -> Iterator[dict[str, Any]]:
    extra = 0
    for n, problem in enumerate(problems):
        if n < MAX_LISTED:
            yield problem
        else:
            extra += 1
    if extra:
        yield _problem(f"... and {extra:,} more {what} problems not listed")


def chain_problems(conn: Connection, at: Iterable[int] = ()) -> tuple[list[dict[str, Any]], tuple[int, str],
                                                                          dict[int, str]]:
    """Walk the chain in order: (problems, (length, head hash), {seq: stored hash} for the seqs in `at`).

    A gap, a broken link or an entry that does not recompute is a problem; after one, the walk goes on from
    the stored hash so that every later break is found too.
    """
    wanted = set(at)
    found: dict[int, str] = {}

    def walk() -> Iterator[dict[str, Any]]:
        nonlocal length, prev
        last = 0
        while True:
            page = conn.execute(sa.select(ledger).where(ledger.c.seq > last).order_by(ledger.c.seq)
                                .limit(PAGE)).all()
            if not page:
                return
            for row in page:
                if row.seq != length + 1:
                    yield _problem(f"ledger entries {length + 1}-{row.seq - 1} are missing (the chain has a gap)",
                                   expected=length + 1, found=row.seq)
                expected = entry_digest(prev, row.seq, row.kind, row.ref, row.payload_sha256)
                if expected != row.entry_sha256:
                    yield _problem(f"ledger entry {row.seq} ({row.kind} {row.ref}) does not match the hash chain",
                                   expected=expected, found=row.entry_sha256)
                length, prev = row.seq, row.entry_sha256
                if row.seq in wanted:
                    found[row.seq] = row.entry_sha256
            last = page[-1].seq

    length, prev = 0, GENESIS
    problems = list(_capped(walk(), "ledger"))
    return problems, (length, prev), found


def fact_problems(conn: Connection) -> Iterator[dict[str, Any]]:
    """Facts that differ from their latest chain entry, facts with no entry, entries whose fact is gone, and
    write-once facts recorded more than once. Streams every fact table once."""
    for kind, table in TABLES.items():
        yield from _capped(_table_problems(conn, kind, table), kind)


def _where(kind: str, ref: int) -> dict[str, Any]:
    return {"post": ref, "item_id": ref if kind == "item" else None} if kind in ("post", "item") else {}


def _table_problems(conn: Connection, kind: str, table: sa.Table) -> Iterator[dict[str, Any]]:
    name = {"post": "post", "copy": "copy", "item": "queue item", "audit": "audit entry", "claim": "claim"}[kind]
    latest = (sa.select(sa.func.max(ledger.c.seq)).where(ledger.c.kind == kind, ledger.c.ref == table.c.id)
              .correlate(table).scalar_subquery())
    query = (sa.select(table, ledger.c.payload_sha256.label("_chained"))
             .select_from(table.outerjoin(ledger, ledger.c.seq == latest)).order_by(table.c.id)
             .execution_options(yield_per=2000))
    for row in conn.execute(query):
        values = dict(row._mapping)
        chained = values.pop("_chained")
        ref = values["id"]
        if chained is None:
            yield _problem(f"{name} {ref} is not in the evidence chain (added outside patroli?)", **_where(kind, ref))
            continue
        digest = payload(table, values)
        if digest != chained:
            yield _problem(f"{name} {ref} differs from what the evidence chain recorded", expected=chained,
                           found=digest, **_where(kind, ref))
    gone = (sa.select(ledger.c.ref).where(ledger.c.kind == kind)
            .where(~sa.exists().where(table.c.id == ledger.c.ref)).distinct().order_by(ledger.c.ref)
            .execution_options(yield_per=2000))
    for ref in conn.execute(gone).scalars():
        yield _problem(f"{name} {ref} was recorded in the evidence chain but is gone (deleted?)", **_where(kind, ref))
    if kind in WRITE_ONCE:
        repeated = (sa.select(ledger.c.ref, sa.func.count().label("n")).where(ledger.c.kind == kind)
                    .group_by(ledger.c.ref).having(sa.func.count() > 1).order_by(ledger.c.ref))
        for row in conn.execute(repeated):
            yield _problem(f"{name} {row.ref} was recorded {row.n} times in the evidence chain (rewritten?)",
                           expected=1, found=row.n, **_where(kind, row.ref))


def since(conn: Connection, seq: int) -> dict[str, int]:
    """How many entries of each kind were appended after entry `seq`."""
    rows = conn.execute(sa.select(ledger.c.kind, sa.func.count()).where(ledger.c.seq > seq).group_by(ledger.c.kind))
    return {kind: int(n) for kind, n in rows}
