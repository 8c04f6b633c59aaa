"""Creating and upgrading the schema, and refusing databases written by a newer patroli."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import StoreError
from pipeline.store import _step_workspace
from pipeline.store._types import utcnow
from pipeline.store.engine import transaction
from pipeline.store.schema import SCHEMA_VERSION, metadata, schema_version

#: STEPS[n] upgrades a database from version n-1 to n. A fresh database is created at SCHEMA_VERSION directly.
STEPS: dict[int, Callable[[Connection], None]] = {2: _step_workspace.upgrade}

# Any transaction-level advisory lock id will do, as long as it is patroli's own.
_PG_LOCK = 0x7061_7472

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
_PG_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION patroli_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION patroli_audit_append_only()",
)


def current_version(conn: Connection) -> int | None:
    """The database's schema version, or None for a database patroli has not set up."""
    if not sa.inspect(conn).has_table(schema_version.name):
        return None
    return conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()


def too_new(found: int) -> StoreError:
    return StoreError(f"database schema version {found} is newer than this patroli ({SCHEMA_VERSION}); "
                      f"upgrade patroli")


def upgrade(engine: Engine) -> int:
    """Bring the schema to SCHEMA_VERSION (creating it if needed); return the version found before, 0 if none."""
    # The common case, an up-to-date database, needs no write lock (and works on a read-only copy).
    with transaction(engine, write=False) as conn:
        found = current_version(conn)
    if found is not None and found > SCHEMA_VERSION:
        raise too_new(found)
    if found == SCHEMA_VERSION:
        return found
    with transaction(engine, write=True) as conn:
        if conn.dialect.name == "postgresql":
            # Two processes opening a fresh database at once must not both create the tables.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        found = current_version(conn)
        if found is not None and found > SCHEMA_VERSION:
            raise too_new(found)
        if found is None:
            metadata.create_all(conn)
            _triggers(conn)
            _step_workspace.fresh(conn)
            conn.execute(schema_version.insert(), {"version": SCHEMA_VERSION, "applied_at": utcnow()})
            return 0
        for version in range(found + 1, SCHEMA_VERSION + 1):
            STEPS[version](conn)
            conn.execute(schema_version.insert(), {"version": version, "applied_at": utcnow()})
        return found


def _triggers(conn: Connection) -> None:
    for statement in _PG_TRIGGERS if conn.dialect.name == "postgresql" else _SQLITE_TRIGGERS:
        conn.exec_driver_sql(statement)
