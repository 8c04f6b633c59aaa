"""Plain DB-API inserts for the scan's hot path.

SQLAlchemy's executemany builds, checks and converts one parameter dict per row in Python, which costs more than
the database's own work on a scan's chunk. Here rows are tuples in a fixed column order, each value goes through
its column type's bind processor (the very function SQLAlchemy would apply, so the database gets the same values),
and the statement text is made once per table, columns and dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from pipeline.store._types import UTCDateTime

#: Rows per multi-row INSERT ... RETURNING, and the bound parameters one statement may have (SQLite's default
#: limit is 32766, psycopg's 65535).
PAGE_ROWS = 1000
MAX_PARAMETERS = 32_000

Processors = tuple[tuple[int, Callable[[Any], Any], bool], ...]
_MISSING = object()


@lru_cache(maxsize=64)
def _shape(dialect: Dialect, table: sa.Table, names: tuple[str, ...],
           encoded: frozenset[str] = frozenset()) -> tuple[str, str, Processors]:
    """(INSERT INTO table (names), one row's VALUES group, (position, bind processor, is a time column) of each
    column that has a processor) for `dialect`. Columns in `encoded` are JSON columns whose values come as JSON
    text already: they get no processor (the database parses the text as it would the processor's)."""
    quote = dialect.identifier_preparer.quote
    head = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({', '.join(quote(n) for n in names)})"
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    group = f"({', '.join([marker] * len(names))})"
    processors = []
    for at, name in enumerate(names):
        kind = table.c[name].type
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        if name in encoded:
            assert isinstance(kind, sa.JSON), f"{name} is not a JSON column"
            process = None
        if process is not None:
            processors.append((at, process, isinstance(kind, UTCDateTime)))
    return head, group, tuple(processors)


def _bound(rows: Iterable[tuple[Any, ...]], processors: Processors, statement: str) -> list[tuple[Any, ...]]:
    """The rows with each value as its column's bind processor makes it; a value a processor refuses raises
    StatementError, as SQLAlchemy's own execute would. The rows of one call share a few times (a chunk's capture
    time, its enqueue time): each distinct datetime is processed once (all time columns are `UTCDateTime`, whose
    processing depends on the value alone)."""
    if not processors:
        return list(rows)
    times: dict[datetime, Any] = {}
    out = []
    try:
        for row in rows:
            values = list(row)
            for at, process, is_time in processors:
                value = values[at]
                if is_time and type(value) is datetime:
                    done = times.get(value, _MISSING)
                    if done is _MISSING:
                        done = times[value] = process(value)
                    values[at] = done
                else:
                    values[at] = process(value)
            out.append(tuple(values))
    except (TypeError, ValueError) as err:
        raise sa.exc.StatementError(str(err), statement, None, err) from err
    return out


def insert(conn: Connection, table: sa.Table, names: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert `rows` (each a tuple of values for `names`) with one executemany."""
    head, group, processors = _shape(conn.dialect, table, tuple(names))
    values = _bound(rows, processors, head)
    if values:
        conn.exec_driver_sql(f"{head} VALUES {group}", values)


def insert_returning(conn: Connection, table: sa.Table, names: Sequence[str], rows: Iterable[tuple[Any, ...]],
                     returning: Sequence[str], *, skip_conflicts: bool = False,
                     encoded: frozenset[str] = frozenset()) -> list[tuple[Any, ...]]:
    """Insert `rows` as `insert` does, many per statement, and return the `returning` columns of the rows inserted
    (in no particular order: match them by a unique column). `skip_conflicts`: rows that would break a unique
    constraint are left out (ON CONFLICT DO NOTHING) and return nothing. `encoded`: JSON columns whose values are
    JSON text already."""
    names = tuple(names)
    head, group, processors = _shape(conn.dialect, table, names, encoded)
    values = _bound(rows, processors, head)
    tail = (" ON CONFLICT DO NOTHING" if skip_conflicts else "") + \
        f" RETURNING {', '.join(conn.dialect.identifier_preparer.quote(n) for n in returning)}"
    page = max(1, min(PAGE_ROWS, MAX_PARAMETERS // len(names)))
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(values), page):
        part = values[start:start + page]
        flat = [value for row in part for value in row]
        sql = f"{head} VALUES {', '.join([group] * len(part))}{tail}"
        out.extend(tuple(row) for row in conn.exec_driver_sql(sql, tuple(flat)))
    return out
