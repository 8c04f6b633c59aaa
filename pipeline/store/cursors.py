"""Ingest cursors: where each source's last scan stopped."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store import dialects
from pipeline.store._types import utcnow
from pipeline.store.schema import cursors


def get(conn: Connection, source: str) -> str | None:
    return conn.execute(sa.select(cursors.c.value).where(cursors.c.source == source)).scalar()


def put(conn: Connection, source: str, value: str, now: datetime | None = None) -> None:
    dialects.upsert(conn, cursors, [{"source": str(source), "value": str(value), "updated_at": now or utcnow()}],
                    key=["source"])


def clear(conn: Connection, source: str | None = None) -> int:
    query = cursors.delete()
    if source is not None:
        query = query.where(cursors.c.source == source)
    return conn.execute(query).rowcount
