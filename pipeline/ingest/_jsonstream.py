"""Streaming the one big array of a large JSON document (Telegram's `messages`) with ijson.

ijson decodes the array's elements one at a time with its C backend (yajl2_c, picked automatically when installed;
`ijson.backend` names the one in use), so memory holds one element whatever the file size, and a truncated or
broken file still yields every element before the damage, then raises `JsonStreamError` naming the line where the
broken value starts.

ijson reports no positions, so lines come from a second reader that feeds the parser one line at a time. It reads the
members before the array (`ArrayStream.head`), and after that it only moves when asked where an element starts or
where the damage is, because line by line is five times slower and locations are needed only for problems.

Measured on two shared cores (indicative): a 99 MiB indented export of 200,000 messages took 5.7-6.1 s with peak
memory +1 MiB (28 s line by line; the earlier hand-written reader, stdlib `json` on a sliding buffer: 4.6-4.8 s,
+6 MiB); a 55 MiB whole-account export of 250,000 messages took 2.7-3.2 s and +11 MiB, where the earlier reader,
which decoded the `chats` member whole and again for every megabyte read, took 50-58 s and +224 MiB.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import ijson

_CHUNK = 1 << 16  # characters per read
_SCALARS = frozenset({"string", "number", "boolean", "null"})


class JsonStreamError(ValueError):
    """The JSON text is truncated or malformed in the value starting at `line` (1-based)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message, self.line = message, line


class _Broken(Exception):
    def __init__(self, exc: ijson.JSONError, line: int) -> None:
        # ijson's messages run over several lines (the text around the error, a caret); the first line says what.
        first = (str(exc).strip().splitlines() or ["not valid JSON"])[0]
        if "premature EOF" in first or "Incomplete" in first:
            first = "unexpected end of the file (file truncated?)"
        self.message, self.line = first, line


class _Reader:
    """What ijson reads: the UTF-8 bytes of a text file, a chunk per read, or a line (at most a chunk) per read when
    `by_line`; `line` is the 1-based line of the last read.

    The file is decoded leniently (exports are UTF-8, sometimes with a BOM): a stray byte must not cost the rest of
    the file.
    """

    def __init__(self, path: Path, *, by_line: bool = False) -> None:
        self.fh: TextIO = path.open(encoding="utf-8-sig", errors="replace")
        self.by_line, self.line, self._newline = by_line, 1, False

    def read(self, size: int) -> bytes:
        if self._newline:
            self.line += 1
        piece = self.fh.readline(size) if self.by_line else self.fh.read(size)
        self._newline = piece.endswith("\n")
        return piece.encode()


class _LineReader:
    """ijson parse events read one line at a time, so the line of each event is known.

    ijson's parser reads again only once it has handed out the events of the last read. The reader counts the
    elements of the array at `item_prefix` (set once the array is found): how many have started, where the last
    one started, and whether it is still open.
    """

    def __init__(self, path: Path) -> None:
        self.reader = _Reader(path, by_line=True)
        self.events = ijson.parse(self.reader, buf_size=_CHUNK, use_float=True)
        self.item_prefix: str | None = None
        self.started, self.last_start, self.open = 0, 0, False

    @property
    def line(self) -> int:
        return self.reader.line

    def next(self) -> tuple[str, str, Any] | None:
        """The next event (None at the end); raises `_Broken` where the text is."""
        try:
            prefix, event, value = next(self.events)
        except StopIteration:
            return None
        except ijson.JSONError as exc:
            raise _Broken(exc, self.reader.line) from None
        if prefix == self.item_prefix:
            if event in ("start_map", "start_array"):
                self.started, self.last_start, self.open = self.started + 1, self.reader.line, True
            elif event in ("end_map", "end_array"):
                self.open = False
            elif event in _SCALARS:
                self.started, self.last_start = self.started + 1, self.reader.line
        return prefix, event, value

    def close(self) -> None:
        self.reader.fh.close()


class ArrayStream:
    """The elements of the first array found at one of `arrays` (dotted paths such as "messages" or "chats.list")
    in the JSON object stored at `path`; use as a context manager.

    `head` holds the top-level scalar members that come before the array, `array` the path of the array found (None
    when the object has none of them). Iterating yields the elements in order. `line(index)` is the line where element
    `index` starts; ask in increasing order. Raises `JsonStreamError` for a file that is not such a JSON object, when
    opened, or once the elements before the damage have been yielded.
    """

    def __init__(self, path: Path, arrays: Sequence[str]) -> None:
        self.path = path
        self.head: dict[str, Any] = {}
        self.array: str | None = None
        self._lines = _LineReader(path)
        try:
            self._read_head(arrays)
        except BaseException:
            self._lines.close()
            raise

    def _read_head(self, arrays: Sequence[str]) -> None:
        first = True
        while (found := self._next()) is not None:
            prefix, event, value = found
            if first and (prefix, event) != ("", "start_map"):
                raise JsonStreamError("expected a JSON object", self._lines.line)
            first = False
            if event in _SCALARS and prefix and "." not in prefix:
                self.head[prefix] = value
            elif event == "start_array" and prefix in arrays:
                self.array = prefix
                self._lines.item_prefix = prefix + ".item"
                return

    def _next(self) -> tuple[str, str, Any] | None:
        try:
            return self._lines.next()
        except _Broken as broken:
            raise JsonStreamError(broken.message, broken.line) from None

    def __iter__(self) -> Iterator[Any]:
        if self.array is None:
            return
        reader = _Reader(self.path)
        try:
            yield from ijson.items(reader, self.array + ".item", buf_size=_CHUNK, use_float=True)
        except ijson.JSONError:
            raise self._damage() from None
        finally:
            reader.fh.close()

    def _damage(self) -> JsonStreamError:
        """Where the line reader meets the damage the fast reader met: the start of the open element, if any."""
        lines = self._lines
        try:
            while lines.next() is not None:
                pass
        except _Broken as broken:
            return JsonStreamError(broken.message, lines.last_start if lines.open else broken.line)
        return JsonStreamError("the file changed while it was read", lines.line)

    def line(self, index: int) -> int:
        """The line where element `index` (0-based) starts."""
        while self._lines.started <= index and self._next() is not None:
            pass
        return self._lines.last_start

    def __enter__(self) -> ArrayStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._lines.close()
