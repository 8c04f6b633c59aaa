"""Ingestor kind "files": CSV/TSV, JSONL, Parquet and plain-text files (optionally gzipped), by path, glob or directory.

Options (TOML table, all optional except `paths`)::

    paths = ["exports/*.csv.gz", "inbox/"]   # files, globs (** recursive) and directories
    format = "auto"            # or csv | jsonl | parquet | text (auto: by extension, .gz ignored)
    text_column = "text"       # dotted paths allowed for JSONL ("tweet.text")
    id_column, time_column, author_column, url_column, platform_column,
    shares_column, views_column, followers_column        # unset: not read
    platform = "file"          # when there is no platform column
    delimiter                  # CSV; default: sniffed from the header (',', ';', tab, '|')
    max_record_bytes = 4194304 # longer lines are reported and skipped
    auto_columns = false       # true: also read conventionally named columns (id, created_at, author, shares…)

Without `id_column` a post's id is `<file name>:<line>` (`<file name>:<row>` for Parquet). Text files give one post
per non-blank line. The cursor remembers, per file, its fingerprint and the byte offset / row reached, so a re-run
reads only what was appended; a file whose beginning changed is read again from the start.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.ingest._fields import get_path
from pipeline.ingest._lines import (
    MAX_LINE_BYTES,
    display_name,
    fingerprint,
    looks_binary,
    same_file,
    unchanged,
)
from pipeline.ingest._options import OptionReader
from pipeline.ingest._paths import expand_paths
from pipeline.ingest._readers import Record, read_csv, read_jsonl, read_parquet, read_text
from pipeline.ingest._rows import conventional_columns, post_of_row
from pipeline.ingest.base import Ingestor, Item, decode_cursor
from pipeline.posts import Post

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "text",
}
_ROLES = ("id", "time", "author", "url", "platform", "shares", "views", "followers")


class FilesIngestor(Ingestor):
    """Posts from local files; see the module docstring for the options."""

    name = "files"

    def configure(self, opts: OptionReader) -> None:
        self.paths: list[str] = opts.str_list("paths")
        self.format: str = opts.choice("format", ("auto", "csv", "jsonl", "parquet", "text"), "auto")
        self.text_column: str = opts.str("text_column", "text")
        self.columns: dict[str, str] = {}
        for role in _ROLES:
            column = opts.str(f"{role}_column", None)
            if column is not None:
                self.columns[role] = column
        self.platform: str = opts.str("platform", "file")
        self.delimiter: str | None = opts.str("delimiter", None)
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise opts.error(f"option 'delimiter' must be one character, got {self.delimiter!r}")
        self.max_record_bytes: int = opts.int("max_record_bytes", MAX_LINE_BYTES, minimum=1024)
        self.auto_columns: bool = opts.bool("auto_columns", False)
        # auto_columns: the role -> column mapping of each field list seen (the rows of one file share theirs).
        self._mappings: dict[tuple[str, ...], dict[str, str]] = {}

    def iter_posts(self, cursor: str | None) -> Iterator[Item]:
        paths = expand_paths(self.paths, tuple(FORMATS))
        # Files no longer matched (rotated away) are forgotten, so the cursor does not grow forever.
        saved = decode_cursor(self.name, cursor).get("files") or {}
        cursor_state = _FilesCursor({str(p): saved[str(p)] for p in paths if str(p) in saved})
        for path in paths:
            yield from self._iter_file(path, cursor_state)

    def _format_of(self, path: Path) -> str | None:
        if self.format != "auto":
            return self.format
        return FORMATS.get(
            path.suffix.lower() if path.suffix.lower() != ".gz" else Path(path.stem).suffix.lower()
        )

    def _mapping(self) -> str:
        """What reading a file depends on in the options: a file skipped for a missing column is read again when
        this changes (the source's config was fixed), not only when the file does."""
        return json.dumps([self.format, self.text_column, sorted(self.columns.items()), self.delimiter])

    def _iter_file(self, path: Path, files: _FilesCursor) -> Iterator[Item]:
        key, name = str(path), display_name(path)
        old = files.start(key)
        try:
            if old.get("eof") and unchanged(path, old) and old.get("skipped") in (None, self._mapping()):
                return
            state: dict[str, Any] = {**fingerprint(path), "off": 0, "line": 1, "eof": False}
            if old and same_file(path, old) and isinstance(old.get("off"), int) and not old.get("skipped"):
                state["off"], state["line"] = old["off"], old.get("line", 1)
        except OSError as exc:
            yield Item(problem=f"{name}: cannot read ({exc.strerror or exc}); file skipped", partial=True)
            return
        fmt = self._format_of(path)
        if fmt is None:
            yield Item(
                problem=f"{name}: unknown file type (set format = csv|jsonl|parquet|text); file skipped",
                cursor=files.snapshot(key, {**state, "eof": True}), partial=True,
            )
            return
        if fmt != "parquet":
            reason = looks_binary(path)
            if reason is not None:
                yield Item(
                    problem=f"{name}: {reason}; file skipped",
                    cursor=files.snapshot(key, {**state, "eof": True}), partial=True,
                )
                return
        checked = fmt == "text"
        at = files.positions(key, state)
        try:
            for record in self._records(path, fmt, state["off"], state["line"]):
                state.update(off=record.end, line=record.next_line, eof=record.fatal)
                if record.row is not None and not checked:
                    self._check_columns(name, fmt, record.row)
                    checked = True
                problem, post = self._item(name, fmt, record)
                yield Item(post=post, problem=problem, cursor=at(record.end, record.next_line, record.fatal),
                           partial=record.fatal)
        except InputError as exc:
            # One unusable file (no text column, unreadable header) must not cost the other files their rows.
            skipped = {**state, "eof": True, "skipped": self._mapping()}
            yield Item(problem=f"{exc}; file skipped", cursor=files.snapshot(key, skipped), partial=True)
            return
        state["eof"] = True
        yield Item(cursor=files.snapshot(key, state))

    def _records(self, path: Path, fmt: str, off: int, line: int) -> Iterator[Record]:
        if fmt == "csv":
            return read_csv(path, off, line, self.max_record_bytes, self.delimiter)
        if fmt == "jsonl":
            return read_jsonl(path, off, line, self.max_record_bytes)
        if fmt == "parquet":
            return read_parquet(path, off, [self.text_column, *self.columns.values()])
        return read_text(path, off, line, self.max_record_bytes)

    def _check_columns(self, name: str, fmt: str, row: dict[str, Any]) -> None:
        # Checked on the first row: a wrong mapping is a config mistake for the whole source, not a bad record.
        # JSON records may omit optional fields, so there only the text field is required up front.
        checks = [("text_column", self.text_column)]
        if fmt != "jsonl":
            checks += [(f"{role}_column", column) for role, column in self.columns.items()]
        for option, column in checks:
            if get_path(row, column, _ABSENT) is _ABSENT:
                where = "columns" if fmt == "csv" else "fields of the first record"
                raise InputError(
                    f"{name}: no {option.removesuffix('_column')} column {column!r} "
                    f"(the {where}: {', '.join(list(row)[:20])}); name it with --{option.replace('_', '-')} "
                    f"(or {option} in a patrol source)"
                )

    def _item(self, name: str, fmt: str, record: Record) -> tuple[str | None, Post | None]:
        where = f"{name}:{record.line}"
        if record.row is None:
            return f"{where}: {record.problem}", None
        row = record.row
        if fmt == "text":  # a bare line has no columns to map
            return None, Post(
                platform=self.platform, post_id=where, text=row["text"], source=self.source, raw=row
            )
        return post_of_row(row, where, self.text_column, self._columns_for(row), platform=self.platform,
                           source=self.source, tz=self.tz)

    def _columns_for(self, row: dict[str, Any]) -> dict[str, str]:
        """The role -> column mapping for a row: the configured one, plus conventional names with auto_columns."""
        if not self.auto_columns:
            return self.columns
        fields = tuple(row)
        mapping = self._mappings.get(fields)
        if mapping is None:
            if len(self._mappings) >= _MAPPINGS_KEPT:  # rows of ever new shapes: keep the memory bounded
                self._mappings.clear()
            mapping = self._mappings[fields] = {**conventional_columns(fields), **self.columns}
        return mapping


_ABSENT = object()
#: Field lists whose auto_columns mapping is kept.
_MAPPINGS_KEPT = 64

class _FilesCursor:
    """Builds the cursor string per item without re-serialising every other file's state each time, nor (while a
    file is read) the state of that file beyond its position."""

    def __init__(self, files: dict[str, Any]) -> None:
        self._files = dict(files) if isinstance(files, dict) else {}
        self._others_key: str | None = None
        self._others_json = ""

    def start(self, key: str) -> dict[str, Any]:
        """Begin `key`: returns its saved state ({} if none)."""
        old = self._files.get(key)
        return old if isinstance(old, dict) else {}

    def snapshot(self, key: str, state: dict[str, Any]) -> str:
        self._files[key] = dict(state)
        if self._others_key != key:
            others = {k: v for k, v in self._files.items() if k != key}
            self._others_json = json.dumps(others, ensure_ascii=False, separators=(",", ":"))[1:-1]
            self._others_key = key
        current = json.dumps(key, ensure_ascii=False) + ":" + json.dumps(state, separators=(",", ":"))
        body = f"{self._others_json},{current}" if self._others_json else current
        return '{"files":{' + body + '},"kind":"files"}'

    def positions(self, key: str, state: dict[str, Any]) -> Callable[[int, int, bool], str]:
        """at(off, line, eof): `snapshot(key, state)` with the position in `state` (its last fields, "off", "line"
        and "eof") set to these, its other fields as they are now; the text around the position is made once."""
        fixed = {k: v for k, v in state.items() if k not in _POSITION}
        if list(state)[len(fixed):] != list(_POSITION):
            raise ValueError(f"a files cursor state ends with {', '.join(_POSITION)}")
        marked = self.snapshot(key, {**fixed, "off": 0, "line": 0, "eof": False})
        head = marked[:marked.rindex('"off":0,"line":0,"eof":false}')]
        self._files[key] = dict(state)
        files = self._files

        def at(off: int, line: int, eof: bool) -> str:
            files[key] = {**fixed, "off": off, "line": line, "eof": eof}
            return f'{head}"off":{off:d},"line":{line:d},"eof":{"true" if eof else "false"}}}}},"kind":"files"}}'

        return at


#: The fields of a file's cursor state that change as it is read, in their order at its end.
_POSITION = ("off", "line", "eof")
