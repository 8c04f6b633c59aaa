"""Incremental reading of one big JSON object whose bulk is a single array (Telegram's `messages`).

Array elements are decoded one at a time from a sliding buffer, so memory holds one element, and a truncated or
broken file still yields every element before the damage, then raises `JsonStreamError` with the line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

_WS = re.compile(r"[ \t\r\n]*")
_CHUNK = 1 << 20


class JsonStreamError(ValueError):
    """The JSON text is truncated or malformed in the value starting at `line` (1-based)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message, self.line = message, line


class _Buffer:
    def __init__(self, fh: TextIO, max_value_chars: int) -> None:
        self.fh, self.max_value_chars = fh, max_value_chars
        self.buf, self.pos, self.eof = "", 0, False
        self.line_no, self.counted = 1, 0
        self.decoder = json.JSONDecoder()

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.line()  # count the newlines of the part about to be dropped
        self.buf, self.pos, self.counted = self.buf[self.pos :] + chunk, 0, 0
        return True

    def line(self) -> int:
        """The 1-based line at the current position, counted incrementally."""
        self.line_no += self.buf.count("\n", self.counted, self.pos)
        self.counted = self.pos
        return self.line_no

    def peek(self) -> str:
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or not self.fill():
                return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            what = repr(found) if found else "the end of the file"
            raise JsonStreamError(f"expected {char!r} but found {what}", self.line())
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos < self.max_value_chars and self.fill():
                    continue
                if self.eof:
                    # json says "Unterminated string starting at" and gives the place separately: drop the "at".
                    what = exc.msg.removesuffix(" starting at").removesuffix(" at")
                    raise JsonStreamError(f"{what} (file truncated?)", self.line()) from None
                raise JsonStreamError(
                    f"value longer than {self.max_value_chars:,} characters", self.line()
                ) from None
            # A number or literal ending exactly at the buffer's end may continue in the next chunk.
            if end == len(self.buf) and not self.eof and self.fill():
                continue
            self.pos = end
            return value


def iter_object(
    fh: TextIO, array_key: str, *, max_value_chars: int = 64 << 20
) -> Iterator[tuple[str, Any, int]]:
    """Events of a top-level JSON object: ("field", key, value) for ordinary members (decoded whole) and
    ("item", element, line) for each element of the member named `array_key` (streamed)."""
    buf = _Buffer(fh, max_value_chars)
    buf.expect("{")
    if buf.peek() == "}":
        return
    while True:
        key = buf.value()
        if not isinstance(key, str):
            raise JsonStreamError("expected a member name", buf.line())
        buf.expect(":")
        if key == array_key and buf.peek() == "[":
            buf.expect("[")
            if buf.peek() == "]":
                buf.pos += 1
            else:
                while True:
                    line = buf.line()
                    yield "item", buf.value(), line
                    if _separator(buf, "]"):
                        break
        else:
            yield "field", key, buf.value()
        if _separator(buf, "}"):
            return


def _separator(buf: _Buffer, closer: str) -> bool:
    """Consume ',' (False: more follows) or `closer` (True: done)."""
    found = buf.peek()
    if found in (",", closer):
        buf.pos += 1
        return found == closer
    what = repr(found) if found else "the end of the file"
    raise JsonStreamError(f"expected ',' or {closer!r} but found {what} (file truncated?)", buf.line())
