"""Dialect-specific statements: conflict-aware inserts for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has `on_conflict_do_nothing` / `on_conflict_do_update`."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> None:
    """Insert rows, replacing the non-key columns of rows whose `key` columns already exist."""
    if not rows:
        return
    stmt = insert(conn, table)
    update = {name: stmt.excluded[name] for name in rows[0] if name not in key}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=update), list(rows))
