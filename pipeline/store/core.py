"""`Store`: the one handle on the database that the scanner, the patrol runner, reports and review use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipeline import config, cycles
from pipeline.errors import StoreError
from pipeline.records import ScanRecord
from pipeline.store import claims, cursors, migrate, posts
from pipeline.store.engine import create, errors, first_line, parse_url, shown, transaction
from pipeline.store.posts import Rank, SaveResult


class Store:
    """A patroli database (a SQLite file, or PostgreSQL for a team). Open it with `Store.open(url)`.

    Usable as a context manager; `close()` releases its connections.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = shown(engine.url)

    @classmethod
    def open(cls, url: str | None = None, *, must_exist: bool = False) -> Store:
        """Open (and create or upgrade the schema of) the database at `url`, default `config.db_url()`.

        StoreError, with one line, for a bad URL, an unreachable server, or a schema newer than this patroli;
        with `must_exist` also for a SQLite file that does not exist (reading a typo'd path should not make an
        empty database and report nothing).
        """
        parsed = parse_url(config.db_url(url))
        if must_exist and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and not Path(parsed.database).exists():
            raise StoreError(f"no database at {parsed.database} (give --db or set PATROLI_DB)")
        engine = create(parsed)
        try:
            migrate.upgrade(engine)
        except StoreError:
            engine.dispose()
            raise
        except sa.exc.SQLAlchemyError as err:
            engine.dispose()
            raise StoreError(f"cannot open database {shown(parsed)}: {first_line(err)}") from err
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, what: str, *, write: bool = False) -> Iterator[Connection]:
        """A transaction for library code; database errors become StoreError('<what>: <reason>')."""
        with errors(what), transaction(self.engine, write=write) as conn:
            yield conn

    def known(self, keys: list[tuple[str, str]],
              hashes: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
        """Which of these (platform, post_id) keys and content SHA-256 hashes are already stored."""
        with self.transaction("cannot look up stored posts") as conn:
            return posts.known(conn, keys, hashes)

    def originals(self, hashes: list[str]) -> dict[str, dict[str, Any]]:
        """The stored post of each of these content hashes that is stored: hash -> {id, platform, post_id,
        scores, flags, evidence, priority, model_version}."""
        with self.transaction("cannot look up stored posts") as conn:
            return posts.originals(conn, hashes)

    def save_scan(self, records: Sequence[ScanRecord], cursor: tuple[str, str] | None = None,
                  rank: Rank | None = None, marks: Sequence[tuple[str, str]] = ()) -> SaveResult:
        """Store one chunk of scanned posts in ONE transaction.

        Records whose (platform, post_id) is already stored (as a post or a copy, or earlier in `records`) are
        skipped and counted as duplicates. A record whose text is already stored under another key (or earlier
        in `records`) is stored as a copy of that post (not queued); new posts with non-empty `flags` are enqueued
        as `pending` with an audit entry. A queue item whose post got copies has its copies, distinct authors and
        platforms and summed reach recounted, and with `rank` (`scoring.priority`) its priority recomputed from
        that reach. Everything stored is recorded in the evidence chain. `cursor=(source, value)` and any other
        `marks` (name, value) are saved in the same transaction, so a crash never records a cursor past posts
        that were not stored. Safe to call from several processes at once.
        """
        with cycles.paused(), self.transaction("cannot save scan results", write=True) as conn:
            result = posts.save_scan(conn, list(records), rank=rank)
            for name, value in [*([cursor] if cursor is not None else []), *marks]:
                cursors.put(conn, name, value)
        return result

    def copies_of(self, post_ids: Iterable[int]) -> list[dict[str, Any]]:
        """The stored copies of these posts (posts.id, which is also the queue item id), oldest first: id,
        original_id, platform, post_id, author, url, created_at, captured_at, shares, views, followers, source,
        content_sha256."""
        with self.transaction("cannot read copies") as conn:
            return posts.copies_of(conn, post_ids)

    def get_cursor(self, source: str) -> str | None:
        """The saved cursor of ingest source `source`, or None."""
        with self.transaction("cannot read cursor") as conn:
            return cursors.get(conn, source)

    def set_cursor(self, source: str, value: str) -> None:
        with self.transaction("cannot save cursor", write=True) as conn:
            cursors.put(conn, source, value)

    def clear_cursors(self, source: str | None = None) -> int:
        """Forget the cursor of `source` (all cursors if None); return how many were removed."""
        with self.transaction("cannot clear cursors", write=True) as conn:
            return cursors.clear(conn, source)

    def add_claims(self, rows: Iterable[dict[str, Any]]) -> int:
        """Insert or update known hoax claims by `claim_id`; return how many were new.

        Keys used: claim_id (required), title, text, verdict, url, date, narrative, source; others are ignored.
        """
        with self.transaction("cannot save claims", write=True) as conn:
            return claims.add(conn, rows)

    def claims_state(self) -> dict[str, Any] | None:
        """What identifies the stored claims now (see `store.claims.state`); None when there are none."""
        with self.transaction("cannot read claims") as conn:
            return claims.state(conn)


#: What library functions accept as a database: an open Store, a URL, or None for `config.db_url()`.
StoreLike = Store | str | None


@contextmanager
def opened(store: StoreLike, *, must_exist: bool = False) -> Iterator[Store]:
    """`store` itself when it is a Store; otherwise the database at that URL (None: `config.db_url()`), opened for
    the `with` block and closed after it (`must_exist`: see `Store.open`)."""
    if isinstance(store, Store):
        yield store
        return
    with Store.open(store, must_exist=must_exist) as fresh:
        yield fresh
