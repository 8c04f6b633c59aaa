"""Streaming record readers for the `files` ingestor: CSV/TSV, JSONL, plain text and Parquet.

Each reader yields `Record`s from a resume position; a record is either a row (dict) or a located problem. Memory
stays bounded: lines are read one at a time with a length limit, Parquet in record batches.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import InputError
from pipeline.ingest._lines import (
    RawLine,
    decode_line,
    display_name,
    iter_lines,
    open_binary,
    open_random_access,
)
from pipeline.values import jsonable


@dataclass(frozen=True, slots=True)
class Record:
    """A row (or problem) starting at `line`; `end`/`next_line` is the resume position after it."""

    line: int
    end: int
    next_line: int
    row: dict[str, Any] | None
    problem: str | None = None
    fatal: bool = False


def read_text(path: Path, start: int, first_line: int, max_bytes: int) -> Iterator[Record]:
    """One post per non-blank line: rows are {"text": line}."""
    with open_binary(path) as fh:
        fh.seek(start)
        for raw in iter_lines(fh, start=start, first_line=first_line, max_bytes=max_bytes):
            text, problem = _decoded(raw)
            if problem is not None:
                yield Record(raw.number, raw.end, raw.number + 1, None, problem, raw.fatal)
            elif text and text.strip():
                yield Record(raw.number, raw.end, raw.number + 1, {"text": text.strip()})


def read_jsonl(path: Path, start: int, first_line: int, max_bytes: int) -> Iterator[Record]:
    """One JSON object per line; blank lines are ignored, anything else that is not an object is a problem."""
    with open_binary(path) as fh:
        fh.seek(start)
        for raw in iter_lines(fh, start=start, first_line=first_line, max_bytes=max_bytes):
            text, problem = _decoded(raw)
            if problem is None and text is not None and text.strip():
                value, problem = json_object(text)
                if value is not None:
                    yield Record(raw.number, raw.end, raw.number + 1, value)
                    continue
            if problem is not None:
                yield Record(raw.number, raw.end, raw.number + 1, None, problem, raw.fatal)


def json_object(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """A JSONL line's object, or why the line is skipped."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        # json's messages may end in "at" ("Unterminated string starting at"): say where once.
        where = "" if exc.msg.endswith(" at") else " at"
        return None, f"invalid JSON ({exc.msg}{where} column {exc.colno}); skipped"
    if isinstance(value, dict):
        return value, None
    return None, f"not a JSON object but {type(value).__name__}; skipped"


def _decoded(raw: RawLine) -> tuple[str | None, str | None]:
    if raw.data is None:
        return None, raw.problem
    text, problem = decode_line(raw.data, raw.number)
    if text is not None and "\x00" in text:
        return None, "NUL byte in line (binary data?); skipped"
    return text, problem


class _LineFeed:
    """Feeds decoded lines to csv.reader while remembering offsets and the problems of lines it had to drop."""

    def __init__(self, lines: Iterator[RawLine]) -> None:
        self._lines = lines
        self.end = 0
        self.next_line = 1
        self.row_start: int | None = None
        #: Where the first line of the row being read ends (a byte offset).
        self.row_start_end = 0
        #: Whether the lines ran out: a row still open then has a quote that is never closed.
        self.exhausted = False
        self.problems: list[RawLine] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self._lines:
            self.end, self.next_line = raw.end, raw.number + 1
            text, problem = _decoded(raw)
            if problem is not None:
                self.problems.append(RawLine(raw.number, raw.end, None, problem, raw.fatal))
                continue
            if self.row_start is None:
                self.row_start, self.row_start_end = raw.number, raw.end
            yield (text or "") + "\n"
        self.exhausted = True


def read_csv(
    path: Path, start: int, first_line: int, max_bytes: int, delimiter: str | None
) -> Iterator[Record]:
    """Rows of a local CSV or TSV file (gzipped or not): see `csv_records`."""
    return csv_records(lambda: open_binary(path), display_name(path), start, first_line, max_bytes, delimiter)


def csv_records(
    open_stream: Callable[[], BinaryIO], name: str, start: int, first_line: int, max_bytes: int,
    delimiter: str | None,
) -> Iterator[Record]:
    """Rows as dicts keyed by the header; a row with the wrong number of fields is a problem.

    `open_stream()` opens the file's content (uncompressed, from byte 0) and `name` names it in messages; a `.tsv`
    name means tabs, otherwise the delimiter is `delimiter` or the one the header uses most.

    The header is always read from the top of the file, so resuming at `start` keeps the column names. Rows are
    parsed strictly: a quote that is never closed, or closed before something other than a delimiter, is malformed.
    When such a row spans several lines (a quote opened on one line swallows the lines after it), its first line
    is reported and skipped, and reading goes on from the line after it: the other lines are not lost.
    """
    header, header_end, delim = csv_header(open_stream, name, max_bytes, delimiter)
    if not header:
        return
    if start < header_end:
        start, first_line = header_end, 2
    # The stdlib default (128 KiB) would reject long but legitimate posts; the line limit bounds it instead.
    csv.field_size_limit(max(csv.field_size_limit(), max_bytes))
    with open_stream() as fh:
        resume: tuple[int, int] | None = (start, first_line)
        while resume is not None:
            start, first_line = resume
            fh.seek(start)
            feed = _LineFeed(iter_lines(fh, start=start, first_line=first_line, max_bytes=max_bytes))
            feed.end, feed.next_line = start, first_line
            resume = yield from _csv_rows(feed, csv.reader(feed, delimiter=delim, strict=True), header)


def _csv_rows(feed: _LineFeed, reader: Iterator[list[str]],
              header: list[str]) -> Generator[Record, None, tuple[int, int] | None]:
    """The records of `reader` over `feed`; returns where to read again after a malformed row that spanned several
    lines (None when the lines are done)."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            yield from _csv_problems(feed)
            return None
        except csv.Error as exc:
            line = feed.row_start or feed.next_line
            spans = feed.next_line - line
            if feed.exhausted and feed.row_start is not None:
                where = f" ({spans} lines)" if spans > 1 else ""
                problem = f"unclosed quote: the quoted field opened here runs to the end of the file{where}"
            elif spans > 1:
                problem = f"malformed CSV ({exc}, line {feed.next_line - 1}, in a quoted field opened here)"
            else:
                problem = f"malformed CSV ({exc})"
            if spans > 1:
                # The lines after this one are read again: their own problems are reported then.
                feed.problems = [raw for raw in feed.problems if raw.number < line]
                yield from _csv_problems(feed)
                yield Record(line, feed.row_start_end, line + 1, None, f"{problem}; line skipped")
                return feed.row_start_end, line + 1
            yield from _csv_problems(feed)
            feed.row_start = None
            yield Record(line, feed.end, feed.next_line, None, f"{problem}; skipped")
            continue
        yield from _csv_problems(feed)
        line = feed.row_start or feed.next_line
        feed.row_start = None
        if any(cell.strip() for cell in row):
            if len(row) != len(header):
                problem = f"expected {len(header)} fields, got {len(row)}; skipped"
                yield Record(line, feed.end, feed.next_line, None, problem)
            else:
                yield Record(line, feed.end, feed.next_line, dict(zip(header, row, strict=True)))


def _csv_problems(feed: _LineFeed) -> Iterator[Record]:
    # Each dropped line resumes right after itself, not after the row that followed it.
    for raw in feed.problems:
        yield Record(raw.number, raw.end, raw.number + 1, None, raw.problem, raw.fatal)
    feed.problems.clear()


def csv_header(open_stream: Callable[[], BinaryIO], name: str, max_bytes: int,
               delimiter: str | None) -> tuple[list[str], int, str]:
    """The column names (stripped; [] for a file without a line of text), the byte offset where the header line
    ends and the delimiter (`delimiter`, else as `csv_records` chooses it). InputError for an undecodable header."""
    with open_stream() as fh:
        for raw in iter_lines(fh, max_bytes=max_bytes):
            text, problem = _decoded(raw)
            if problem is not None:
                raise InputError(f"{name}:{raw.number}: cannot read the CSV header "
                                 f"({problem.removesuffix('; skipped')})")
            if text is None or not text.strip():
                continue
            delim = delimiter or _sniff_delimiter(text, name)
            header = [name.strip() for name in next(csv.reader([text], delimiter=delim))]
            return header, raw.end, delim
    return [], 0, delimiter or ","


def _sniff_delimiter(header_line: str, name: str) -> str:
    if name.lower().removesuffix(".gz").endswith(".tsv"):
        return "\t"
    # Indonesian-locale Excel writes ';'-separated "CSV"; pick whichever separator the header uses most.
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def read_parquet(path: Path, start_row: int, required: list[str]) -> Iterator[Record]:
    """Rows of a Parquet file in batches, resuming at row index `start_row` (0-based; `line` is 1-based)."""
    name = display_name(path)
    handle = open_random_access(path)
    try:
        try:
            pfile = pq.ParquetFile(handle)
        except (pa.ArrowException, OSError, EOFError) as exc:
            yield Record(
                1, start_row, 1, None, f"not a readable Parquet file ({exc}); file skipped", fatal=True
            )
            return
        missing = [col for col in required if col.split(".")[0] not in pfile.schema_arrow.names]
        if missing:
            raise InputError(
                f"{name}: no column {missing[0]!r}; the columns are: {', '.join(pfile.schema_arrow.names)}"
            )
        groups, first = [], 0
        for index in range(pfile.num_row_groups):
            rows = pfile.metadata.row_group(index).num_rows
            if first + rows > start_row:
                groups.append(index)
            else:
                first += rows
        row_index = first
        try:
            for batch in pfile.iter_batches(batch_size=1024, row_groups=groups):
                for row in batch.to_pylist():
                    row_index += 1
                    if row_index > start_row:
                        yield Record(row_index, row_index, row_index + 1, jsonable(row))
        except (pa.ArrowException, OSError, EOFError) as exc:
            yield Record(
                row_index + 1,
                row_index,
                row_index + 1,
                None,
                f"Parquet data unreadable after row {row_index} ({exc})",
                fatal=True,
            )
    finally:
        handle.close()
