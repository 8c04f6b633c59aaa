"""Plain DB-API inserts (`store.bulk`) store exactly what SQLAlchemy's own insert stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pipeline.errors import StoreError
from pipeline.store import Store, bulk
from pipeline.store.schema import posts

JAKARTA = ZoneInfo("Asia/Jakarta")
T0 = datetime(2024, 5, 1, 19, 30, 15, 123456, tzinfo=JAKARTA)
NAMES = ("platform", "post_id", "content_sha256", "text", "author", "created_at", "captured_at", "shares", "raw",
         "scores", "flags", "evidence", "priority")


def _rows(prefix: str) -> list[dict]:
    rows = []
    for i in range(7):
        rows.append({
            "platform": "twitter", "post_id": f"{prefix}{i}", "content_sha256": f"{prefix}{i}".ljust(64, "0"),
            "text": "Ujaran 😡 \u200b\r\n\"kutip\" \\", "author": None if i == 2 else f"akun{i}",
            # The same instant in two zones, instants a microsecond apart, and a shared capture time.
            "created_at": [T0, T0.astimezone(UTC), T0 + timedelta(microseconds=1), None, T0, T0 - timedelta(days=400),
                           T0 + timedelta(hours=7)][i],
            "captured_at": datetime(2024, 6, 1, 3, tzinfo=UTC), "shares": [None, 0, 10**15, 3, 4, 5, 6][i],
            "raw": {"b": [1, 2.5, None], "a": {"z": "ü"}}, "scores": {"sara": 0.1 + 0.2, "hoax": 1},
            "flags": ["hoax"] if i % 2 else [], "evidence": None if i == 3 else {"hoax": [("kata", 0.5)]},
            "priority": [3, 0.5, 0.25, 1, 7.0, 2, 0][i],
        })
    return rows


def _stored(conn: sa.Connection, prefix: str) -> list[tuple]:
    """The rows as the database holds them (no SQLAlchemy type processing), without id, key and hash."""
    text = "::text" if conn.dialect.name == "postgresql" else ""
    columns = ", ".join(f"{name}{text}" for name in NAMES if name not in ("post_id", "content_sha256"))
    return conn.execute(sa.text(f"SELECT {columns} FROM posts WHERE post_id LIKE :key ORDER BY id"),
                        {"key": f"{prefix}%"}).all()


def test_bulk_inserts_store_what_sqlalchemy_stores(db_url):
    with Store.open(db_url) as st, st.transaction("test", write=True) as conn:
        conn.execute(posts.insert(), _rows("sa-"))
        bulk.insert(conn, posts, NAMES, [tuple(row[n] for n in NAMES) for row in _rows("plain-")])
        returned = bulk.insert_returning(conn, posts, NAMES, [tuple(row[n] for n in NAMES) for row in _rows("ret-")],
                                         ("post_id", "priority"))
        assert _stored(conn, "plain-") == _stored(conn, "sa-") == _stored(conn, "ret-")
        assert sorted(returned) == sorted((row["post_id"], float(row["priority"])) for row in _rows("ret-"))


def test_insert_returning_pages_and_skips_conflicts(db_url, monkeypatch):
    monkeypatch.setattr(bulk, "PAGE_ROWS", 3)
    rows = [tuple(row[n] for n in NAMES) for row in _rows("p-")]
    with Store.open(db_url) as st, st.transaction("test", write=True) as conn:
        first = bulk.insert_returning(conn, posts, NAMES, rows[:4], ("id", "post_id"), skip_conflicts=True)
        again = bulk.insert_returning(conn, posts, NAMES, rows, ("id", "post_id"), skip_conflicts=True)
        assert sorted(p for _, p in first) == [f"p-{i}" for i in range(4)]
        assert sorted(p for _, p in again) == [f"p-{i}" for i in range(4, 7)]
        stored = dict(conn.execute(sa.select(posts.c.id, posts.c.post_id)).tuples().all())
        assert stored == dict(first + again)


@pytest.mark.parametrize("value", [datetime(2024, 5, 1), "kemarin"])
def test_a_refused_value_is_a_store_error_naming_it(db_url, value):
    row = _rows("x-")[0] | {"captured_at": value}
    with Store.open(db_url) as st:
        with pytest.raises(StoreError, match="cannot store: (naive datetime|expected a datetime)"):
            with st.transaction("cannot store", write=True) as conn:
                bulk.insert(conn, posts, NAMES, [tuple(row[n] for n in NAMES)])
