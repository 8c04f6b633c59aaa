"""Engines: URL checks, SQLite settings for several processes, and database errors as one-line StoreErrors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine

from pipeline.errors import StoreError

SUPPORTED = ("sqlite", "postgresql")
EXAMPLE_URLS = "sqlite:///patroli.db or postgresql+psycopg://user@host/dbname"
#: How long a SQLite writer waits for another process's transaction before giving up.
SQLITE_BUSY_MS = 30_000
#: SQLite's page cache, in KiB, of connections that work on much of the database: those that save scans
#: (`posts.save_scan`) and the web workspace's. SQLite's default, kept for the others, is 2 MiB. A scan's inserts
#: land at random places of the hash-keyed indexes (content and copy hashes), which outgrow 2 MiB after some
#: 20,000 posts; from there each insert read index pages back from the operating system and a chunk's save grew
#: slower as the database grew.
SQLITE_LARGE_CACHE_KIB = 64 * 1024
#: WAL pages after which a commit copies the log back into the database (SQLite's default is 1,000 pages, 4 MiB:
#: less than one scan chunk writes, so every chunk's commit also checkpointed, rewriting the same index pages
#: chunk after chunk). The log is cut back to this size after a checkpoint.
SQLITE_CHECKPOINT_PAGES = 16_384


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL for `url`; plain `postgresql://` means the psycopg 3 driver."""
    try:
        parsed = sa.make_url(url)
    except (exc.ArgumentError, ValueError) as err:
        raise StoreError(f"invalid database URL {url!r}: expected e.g. {EXAMPLE_URLS}") from err
    if parsed.get_backend_name() not in SUPPORTED:
        raise StoreError(f"unsupported database {parsed.get_backend_name()!r} in {shown(parsed)}: "
                         f"use SQLite or PostgreSQL, e.g. {EXAMPLE_URLS}")
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def shown(url: URL | str) -> str:
    """The URL as it may be printed: no password."""
    if isinstance(url, str):
        return url
    return url.render_as_string(hide_password=True)


def first_line(err: BaseException) -> str:
    """The first meaningful line of a driver error (psycopg's messages run over several lines)."""
    orig = getattr(err, "orig", None) or err
    for line in str(orig).splitlines():
        line = line.strip()
        if line and not line.startswith("(Background on this error"):
            return line
    return type(orig).__name__


def create(url: URL) -> Engine:
    """An engine for `url`. SQLite files get WAL, a busy timeout and transactions we begin ourselves."""
    try:
        if url.get_backend_name() == "sqlite":
            engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
            _sqlite_setup(engine)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (exc.NoSuchModuleError, ModuleNotFoundError) as err:
        hint = "; install patroli[postgres]" if url.get_backend_name() == "postgresql" else ""
        raise StoreError(f"no database driver for {shown(url)} ({first_line(err)}){hint}") from err
    except exc.ArgumentError as err:
        raise StoreError(f"invalid database URL {shown(url)}: {first_line(err)}") from err
    return engine


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN: pysqlite's own implicit BEGIN is deferred, and a deferred
        # transaction that reads and then writes fails at once (SQLITE_BUSY_SNAPSHOT) instead of waiting.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}")
            cur.execute(f"PRAGMA journal_size_limit = {SQLITE_CHECKPOINT_PAGES * 4096}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One transaction. `write=True` takes SQLite's write lock up front so writers queue instead of failing."""
    with engine.connect() as conn:
        conn.info["write"] = write
        try:
            with conn.begin():
                yield conn
        finally:
            # info lives on the pooled DBAPI connection: do not leak the flag to its next user.
            conn.info.pop("write", None)


@contextmanager
def errors(what: str) -> Iterator[None]:
    """Turn database errors raised inside into a one-line StoreError that says what was being done."""
    try:
        yield
    except exc.SQLAlchemyError as err:
        raise StoreError(f"{what}: {first_line(err)}") from err
