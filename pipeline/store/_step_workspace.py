"""Schema step: queue facet columns and labels (fast queue filtering), users and web sessions.

Self-contained so it can be renumbered: it only adds tables, columns and indexes defined in schema.py, and fills
the facets of items enqueued before it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pipeline.store import queue_facets
from pipeline.store.schema import queue_items, queue_labels, users, web_sessions

FACET_COLUMNS = ("platform", "source", "posted_at", "top_label", "top_score", "claim_id", "copy_key", "label_bits")
FACET_INDEXES = ("ix_queue_priority", "ix_queue_posted_at", "ix_queue_claim_id", "ix_queue_copy_key",
                 "ix_queue_claimed_by", "ix_queue_platform", "ix_queue_source", "ix_queue_facets")


def upgrade(conn: Connection) -> None:
    """Add the workspace's columns, tables and indexes, then backfill the queue facets."""
    present = {c["name"] for c in sa.inspect(conn).get_columns(queue_items.name)}
    for name in FACET_COLUMNS:
        if name not in present:
            column = queue_items.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {queue_items.name} ADD COLUMN {name} {kind}")
    for index in queue_items.indexes:
        if index.name in FACET_INDEXES:
            index.create(conn, checkfirst=True)
    for table in (queue_labels, users, web_sessions):
        table.create(conn, checkfirst=True)
    queue_facets.backfill(conn)
    queue_facets.create_text_index(conn)


def fresh(conn: Connection) -> None:
    """What a new database needs beyond the tables: the dialect's text-search index."""
    queue_facets.create_text_index(conn)
