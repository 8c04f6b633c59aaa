"""Reading a Dask job's inputs: cutting files into partitions and reading one as posts, with malformed records and
unreadable files as problem rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import InputError
from pipeline.ingest._lines import MAX_LINE_BYTES, decode_line, iter_lines
from pipeline.ingest._readers import csv_records, json_object
from pipeline.ingest._rows import conventional_columns, post_of_row
from pipeline.ingest._time import JAKARTA

#: Columns of a read partition: a post per row, or a skipped malformed record (`problem` set, no text).
READ_COLUMNS = ("platform", "post_id", "author", "url", "created_at", "shares", "views", "followers", "source",
                "text", "problem")
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl",
           ".ndjson": "jsonl", ".json": "jsonl"}
#: At most this many rows of a Parquet row group, or this many bytes of a JSONL file, per partition: a partition is
#: held whole in a worker's memory, so these bound it (about 10,000 posts either way).
PARTITION_ROWS = 10_000
DEFAULT_BLOCKSIZE = 4 * 2**20


@dataclass(frozen=True)
class Part:
    """One partition's input: a whole file, rows of a Parquet row group, or a byte block of a JSONL file.

    Parquet: `start` is the file row number of the part's first row, `offset` where it is in its row group and
    `length` the number of rows. JSONL: `start` and `length` are bytes, and `first_line` is the number of the
    block's first line in the file (`number_lines` sets it).
    """

    url: str
    fmt: str
    row_group: int | None = None
    start: int = 0
    length: int | None = None
    problem: str | None = None
    offset: int = 0
    first_line: int = 1


@dataclass(frozen=True)
class Columns:
    """Which input columns hold what: the text (a dotted path allowed, as in a local scan), the id (None: the
    conventional id column, `id` or `post_id`, when a row has one, else `<file>:<row>`), the platform when there is
    no platform column, and the source name stamped on every post. The other conventionally named columns (author,
    created_at, timestamp, url, shares, views, followers, …) are read as a local scan reads them."""

    text: str = "text"
    id: str | None = None
    platform: str = "file"
    source: str | None = None



def plan_parts(inputs: Sequence[str], blocksize: int = DEFAULT_BLOCKSIZE,
               storage_options: dict[str, Any] | None = None) -> list[Part]:
    """The partitions of `inputs` (URLs, globs allowed). InputError when a URL matches no file."""
    import fsspec
    from fsspec.core import get_fs_token_paths

    parts: list[Part] = []
    for url in inputs:
        fs, _, paths = get_fs_token_paths(url, storage_options=storage_options or {})
        if not paths:
            raise InputError(f"{url}: no such file")
        for path in sorted(paths):
            full = fs.unstrip_protocol(path)
            fmt = _format_of(path)
            if fmt is None:
                raise InputError(f"{full}: use .parquet, .jsonl or .csv files (optionally .gz)")
            if fmt == "parquet":
                try:
                    with fsspec.open(full, "rb", **(storage_options or {})) as handle:
                        meta = pq.ParquetFile(handle).metadata
                except Exception as exc:  # any unreadable file: reported, the others go on
                    parts.append(Part(full, fmt, problem=f"{full}: not a readable Parquet file ({_reason(exc)})"))
                    continue
                rows = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
                first = 0
                for g, n in enumerate(rows):
                    parts.extend(Part(full, fmt, row_group=g, start=first + k, length=min(PARTITION_ROWS, n - k),
                                      offset=k) for k in range(0, max(n, 1), PARTITION_ROWS))
                    first += n
            elif fmt == "jsonl" and not path.endswith(".gz"):
                size = fs.size(path)
                parts.extend(Part(full, fmt, start=s, length=blocksize) for s in range(0, max(size, 1), blocksize))
            else:
                parts.append(Part(full, fmt))
    return parts


def number_lines(parts: list[Part], count: Callable[[list[Part]], list[int]]) -> list[Part]:
    """`parts` with each JSONL block's `first_line` set, so that its posts are numbered by line as a local scan
    numbers them. `count(blocks)` gives the number of lines ending in each block (`count_lines`, run where the
    files are: on the cluster); only blocks followed by another block of their file are counted."""
    counted = [i for i in range(len(parts) - 1) if parts[i].fmt == "jsonl" and parts[i].length is not None
               and parts[i + 1].url == parts[i].url]
    lines = dict(zip(counted, count([parts[i] for i in counted]), strict=True))
    out: list[Part] = []
    for i, part in enumerate(parts):
        if i and i - 1 in lines:
            part = replace(part, first_line=out[i - 1].first_line + lines[i - 1])
        out.append(part)
    return out


def count_lines(part: Part, storage_options: dict[str, Any] | None = None) -> int:
    """How many lines end in a JSONL block (0 when it cannot be read: reading it reports why)."""
    import fsspec
    from fsspec.utils import read_block

    try:
        with fsspec.open(part.url, "rb", **(storage_options or {})) as handle:
            return read_block(handle, part.start, part.length, delimiter=b"\n").count(b"\n")
    except Exception:  # any unreadable block: its read reports the problem
        return 0


def _format_of(path: str) -> str | None:
    name = path[:-3] if path.endswith(".gz") else path
    return FORMATS.get(Path(name).suffix.lower())


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def read_part(part: Part, spec: Columns, storage_options: dict[str, Any] | None = None) -> pd.DataFrame:
    """One partition as READ_COLUMNS rows; a malformed record or an unreadable file becomes a `problem` row."""
    columns = spec
    import fsspec
    from fsspec.utils import read_block

    if part.problem is not None:
        return _frame(None, [part.problem])
    try:
        if part.fmt == "csv":
            rows, problems = _csv(part, storage_options)
        else:
            with fsspec.open(part.url, "rb", compression="infer", **(storage_options or {})) as handle:
                if part.fmt == "parquet":
                    group = pq.ParquetFile(handle).read_row_group(part.row_group or 0)
                    rows = group.slice(part.offset, part.length).to_pylist()
                    return _posts(rows, part, columns, part.start, [])
                if part.length is None:
                    return _jsonl(_file_lines(handle), part, columns)
                data = read_block(handle, part.start, part.length, delimiter=b"\n")
                return _jsonl(_block_lines(data, part.first_line), part, columns)
    except Exception as exc:  # any unreadable file: reported, the others go on
        return _frame(None, [f"{_where(part)}: unreadable ({_reason(exc)})"])
    if rows and columns.text not in rows[0]:
        return _frame(None, [f"{part.url}: no text column {columns.text!r}", *problems])
    return _posts(rows, part, columns, 0, problems)


def _csv(part: Part, storage_options: dict[str, Any] | None) -> tuple[list[dict[str, Any]], list[str]]:
    """A CSV or TSV file's rows and problems, read as a local scan reads it (the same strict parsing and delimiter
    choice): a malformed row costs its own line, and a row's `_row` is its line number, so ids match a local scan's."""
    import fsspec

    def open_stream() -> Any:
        return fsspec.open(part.url, "rb", compression="infer", **(storage_options or {}))

    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for record in csv_records(open_stream, part.url.rsplit("/", 1)[-1], 0, 1, MAX_LINE_BYTES, None):
        if record.row is None:
            problems.append(f"{part.url}:{record.line}: {record.problem}")
        else:
            rows.append({**record.row, "_row": record.line})
    return rows, problems


def _where(part: Part) -> str:
    if part.row_group is not None:
        return f"{part.url} (row group {part.row_group})"
    return f"{part.url} (bytes from {part.start})" if part.length is not None else part.url


def _block_lines(data: bytes, first_line: int) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(line number, line, None) for each line of a block whose first line is `first_line`."""
    for number, line in enumerate(data.split(b"\n"), first_line):
        yield number, line, None


def _file_lines(handle: BinaryIO) -> Iterator[tuple[int, bytes | None, str | None]]:
    """(line number, line or None, problem) for each line of a whole (gzipped) file, read as a local scan reads it:
    an over-long line is reported, and a truncated or damaged gzip stream keeps the lines before the damage."""
    for raw in iter_lines(handle, max_bytes=MAX_LINE_BYTES):
        yield raw.number, raw.data, raw.problem


def _jsonl(lines: Iterable[tuple[int, bytes | None, str | None]], part: Part, columns: Columns) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, line, problem in lines:
        if line is None:
            problems.append(f"{part.url}:{number}: {problem}")
            continue
        if not line.strip():
            continue
        # Decoded as a local scan decodes a line (a BOM at the top of the file dropped): bad UTF-8 costs its line.
        text, problem = decode_line(line, number)
        if text is None:
            problems.append(f"{part.url}:{number}: {problem}")
            continue
        row, problem = json_object(text)
        if row is None:
            problems.append(f"{part.url}:{number}: {problem}")
            continue
        row["_row"] = number
        rows.append(row)
    return _posts(rows, part, columns, None, problems)


def _posts(rows: list[dict[str, Any]], part: Part, columns: Columns, first_row: int | None,
           problems: list[str]) -> pd.DataFrame:
    """Input rows (dicts) as posts, read as a local scan reads them (`_rows.post_of_row`, the conventional columns
    picked up); a row without text, or without an id in the id column, is a problem."""
    name = part.url.rsplit("/", 1)[-1]
    out: dict[str, list[Any]] = {column: [] for column in READ_COLUMNS[:-1]}
    mappings: dict[tuple[str, ...], dict[str, str]] = {}
    configured = {"id": columns.id} if columns.id else {}
    for i, row in enumerate(rows):
        where = f"{name}:{row.pop('_row', None) or (first_row or 0) + i + 1}"
        fields = tuple(row)
        mapping = mappings.get(fields)
        if mapping is None:
            mapping = mappings[fields] = {**conventional_columns(fields), **configured}
        problem, post = post_of_row(row, where, columns.text, mapping, platform=columns.platform,
                                    source=columns.source, tz=JAKARTA)
        if post is None:
            # `problem` starts with `where` ("name:line"): said as "<url>:<line>", as the other problems are.
            problems.append(f"{part.url}{problem[len(name):]}")
            continue
        for column in READ_COLUMNS[:-1]:
            out[column].append(getattr(post, column))
    return _frame(out, problems)


def _frame(posts: dict[str, list[Any]] | None, problems: list[str]) -> pd.DataFrame:
    """READ_COLUMNS rows: the posts (a list of values per column but `problem`), then a row per problem."""
    columns = {name: list((posts or {}).get(name, ())) for name in READ_COLUMNS}
    n = len(columns["text"])
    columns["problem"] = [None] * n
    for problem in problems:
        for name in READ_COLUMNS[:-1]:
            columns[name].append(None)
        columns["problem"].append(problem)
    return read_types(pd.DataFrame(columns, columns=list(READ_COLUMNS)))


def read_types(frame: pd.DataFrame) -> pd.DataFrame:
    for name in ("platform", "post_id", "author", "url", "source", "text", "problem"):
        frame[name] = frame[name].astype(object)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    for name in ("shares", "views", "followers"):
        frame[name] = frame[name].astype("Int64")
    return frame


def fs_path(url: str, storage_options: dict[str, Any] | None) -> tuple[Any, str]:
    """(the fsspec filesystem of `url`, the path within it)."""
    from fsspec.core import url_to_fs

    return url_to_fs(url, **(storage_options or {}))
