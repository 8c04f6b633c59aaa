"""Turning a current database back into what patroli 0.1 (schema version 1) wrote, to test the upgrade path."""

from __future__ import annotations

import sqlalchemy as sa

#: What each schema step added, undone newest first.
_LATER_TABLES = ("ledger", "copies", "web_sessions", "users", "queue_labels")
_LATER_INDEXES = ("ix_queue_priority", "ix_queue_posted_at", "ix_queue_claim_id", "ix_queue_copy_key",
                  "ix_queue_claimed_by", "ix_queue_platform", "ix_queue_source", "ix_queue_facets")
_LATER_COLUMNS = ("copies", "authors", "platforms", "reach_shares", "reach_views", "reach_followers",
                  "platform", "source", "posted_at", "top_label", "top_score", "claim_id", "copy_key", "label_bits")


def make_version_1(db_url: str) -> None:
    """Drop every table, index and column added after schema version 1 and record version 1."""
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            for table in _LATER_TABLES:
                conn.exec_driver_sql(f"DROP TABLE {table}")
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TABLE queue_text")
            else:
                conn.exec_driver_sql("DROP INDEX IF EXISTS ix_posts_text_trgm")
                conn.exec_driver_sql("DROP INDEX IF EXISTS ix_posts_author_trgm")
            for index in _LATER_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {index}")
            for column in _LATER_COLUMNS:
                conn.exec_driver_sql(f"ALTER TABLE queue_items DROP COLUMN {column}")
            conn.exec_driver_sql("DELETE FROM schema_version")
            conn.exec_driver_sql("INSERT INTO schema_version (version, applied_at) VALUES (1, '2026-01-01')")
    finally:
        engine.dispose()
