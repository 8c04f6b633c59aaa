"""Dialect-specific statements: conflict-aware inserts for SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def insert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which has `on_conflict_do_nothing` / `on_conflict_do_update`.

    The dialect's package was loaded by the engine that made `conn`; not importing both here spares SQLite-only
    commands the PostgreSQL dialect (a tenth of a second at start-up).
    """
    return sys.modules[f"sqlalchemy.dialects.{conn.dialect.name}"].insert(table)


def upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], key: Sequence[str]) -> None:
    """Insert rows, replacing the non-key columns of rows whose `key` columns already exist."""
    if not rows:
        return
    stmt = insert(conn, table)
    update = {name: stmt.excluded[name] for name in rows[0] if name not in key}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=update), list(rows))
