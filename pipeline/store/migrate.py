"""Creating and upgrading the schema, and refusing databases written by a newer patroli."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import StoreError
from pipeline.store import _step_copies, _step_workspace, ledger
from pipeline.store._types import utcnow
from pipeline.store.engine import transaction
from pipeline.store.schema import SCHEMA_VERSION, metadata, schema_version
from pipeline.store.schema import ledger as ledger_table


def _add_ledger(conn: Connection) -> None:
    """Version 4: the evidence chain. Creates the ledger (append-only) and records every stored fact in it."""
    ledger_table.create(conn)
    _triggers(conn, tables=("ledger",))
    ledger.chain_existing(conn)


#: STEPS[n] upgrades a database from version n-1 to n. A fresh database is created at SCHEMA_VERSION directly.
STEPS: dict[int, Callable[[Connection], None]] = {2: _step_workspace.upgrade, 3: _step_copies.upgrade, 4: _add_ledger}

# Any transaction-level advisory lock id will do, as long as it is patroli's own.
_PG_LOCK = 0x7061_7472

#: Tables that only ever grow: triggers refuse UPDATE, DELETE (and TRUNCATE) on them.
APPEND_ONLY = ("audit_log", "ledger")
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS {t}_no_update BEFORE UPDATE ON {t} "
    "BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS {t}_no_delete BEFORE DELETE ON {t} "
    "BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END",
)
_PG_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION patroli_{t}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION '{t} is append-only'; END $$",
    "DROP TRIGGER IF EXISTS {t}_append_only ON {t}",
    "CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {t} "
    "FOR EACH STATEMENT EXECUTE FUNCTION patroli_{t}_append_only()",
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


def _triggers(conn: Connection, tables: tuple[str, ...] = APPEND_ONLY) -> None:
    for table in tables:
        for statement in _PG_TRIGGERS if conn.dialect.name == "postgresql" else _SQLITE_TRIGGERS:
            conn.exec_driver_sql(statement.format(t=table))
