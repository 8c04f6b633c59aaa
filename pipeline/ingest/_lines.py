"""Byte-level line reading for the text formats: gzip, fingerprints, binary sniffing, bounded line length.

Lines are read as bytes with a length limit, so a 50 MB single line is skipped in bounded memory, and decoding
errors are reported per line instead of failing the whole file.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
_HEAD_BYTES = 4096
_SKIP_CHUNK = 1 << 20
#: The default longest line (bytes) a reader takes; a longer one is reported and skipped.
MAX_LINE_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class RawLine:
    """One physical line: `number` is 1-based, `end` the byte offset just after it (the resume point).

    `data` is None when the line was unusable; then `problem` says why. `fatal` marks the end of a readable file
    (a truncated or corrupt gzip stream).
    """

    number: int
    end: int
    data: bytes | None
    problem: str | None = None
    fatal: bool = False


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


class _GzipStream(io.RawIOBase):
    """A gzip file's content that ends cleanly where the file is damaged, instead of losing what came before.

    `gzip.GzipFile` raises at a truncated or corrupt stream and drops what it had decompressed into its buffer, so a
    small damaged file gave nothing at all. Here everything inflated before the damage is returned, then EOF, and
    `damage` says what was wrong. Concatenated members and zero padding are read like gzip does; memory stays
    bounded (1 MiB of output per step). Seeking forward inflates and discards; seeking back starts over.
    """

    _STEP = 1 << 20

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._raw = path.open("rb")
        self._rewind()

    def _rewind(self) -> None:
        self._raw.seek(0)
        self._inflater: Any = None
        self._input = b""
        self._buffer = b""
        self._pos = 0
        self._eof = False
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self._pos + offset if whence == io.SEEK_CUR else None
        if target is None:
            while self.read(self._STEP):
                pass
            target = self._pos + offset
        if target < self._pos:
            self._rewind()
        while self._pos < target and self.read(min(self._STEP, target - self._pos)):
            pass
        return self._pos

    def readinto(self, buffer: Any) -> int:
        while not self._buffer and not self._eof:
            self._inflate()
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        self._pos += size
        return size

    def _inflate(self) -> None:
        if not self._input:
            self._input = self._raw.read(1 << 16)
            if not self._input:
                if self._inflater is not None:
                    self.damage = "compressed file ends early (truncated gzip?)"
                self._eof = True
                return
        if self._inflater is None:
            if not self._input.strip(b"\x00"):  # padding after the last member
                self._input = b""
                return
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out = self._inflater.decompress(self._input, self._STEP)
        except zlib.error as exc:
            self.damage = f"compressed data is corrupt ({exc})"
            self._eof = True
            return
        self._input = self._inflater.unconsumed_tail
        if self._inflater.eof:
            self._input = self._inflater.unused_data
            self._inflater = None
        self._buffer += out

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_binary(path: Path) -> BinaryIO:
    """The file's content stream: transparently gunzipped when the file is gzip (by magic bytes, not name).

    A damaged gzip stream ends at the damage; `damage(stream)` then says what was wrong.
    """
    if is_gzip(path):
        return io.BufferedReader(_GzipStream(path))  # type: ignore[return-value]
    return path.open("rb")


def open_random_access(path: Path) -> BinaryIO:
    """Like `open_binary`, for readers that seek all over the file (Parquet); damage raises on read."""
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def damage(stream: BinaryIO) -> str | None:
    """What was wrong with the gzip stream `stream` from `open_binary` when it ended early (None: nothing)."""
    raw = getattr(stream, "raw", None)
    return raw.damage if isinstance(raw, _GzipStream) else None


def fingerprint(path: Path) -> dict[str, object]:
    """Identity of a file's *beginning*: a file that was only appended to keeps the fingerprint of its old head."""
    stat = path.stat()
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    return {
        "head": hashlib.sha256(head).hexdigest()[:32],
        "head_len": len(head),
        "size": stat.st_size,
        "mtime": stat.st_mtime_ns,
    }


def same_file(path: Path, old: dict[str, object]) -> bool:
    """Whether `path` still starts with the bytes fingerprinted in `old` (so a saved offset is still valid)."""
    head_len = old.get("head_len")
    if not isinstance(head_len, int):
        return False
    with path.open("rb") as fh:
        head = fh.read(head_len)
    return len(head) == head_len and hashlib.sha256(head).hexdigest()[:32] == old.get("head")


def unchanged(path: Path, old: dict[str, object]) -> bool:
    """Cheap check that a file is byte-for-byte as last seen (size and mtime), without reading it."""
    stat = path.stat()
    return old.get("size") == stat.st_size and old.get("mtime") == stat.st_mtime_ns


def looks_binary(path: Path) -> str | None:
    """A reason why the (decompressed) start of `path` is not text, or None when it looks like text."""
    try:
        with open_binary(path) as fh:
            head = fh.read(8192)
    except OSError as exc:
        return f"cannot read ({exc})"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_like(head):
        return "looks like UTF-16 text, not UTF-8: save it as UTF-8 (Excel: 'CSV UTF-8')"
    # A stray NUL byte or two in a text file costs only its line (the line readers report it); a file is binary
    # when control characters (NUL among them) or undecodable bytes are more than a tenth of its start.
    text = head.decode("utf-8", errors="replace")
    controls = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\r\n\t\f"))
    if text and controls / len(text) > 0.1:
        if b"\x00" in head:
            return "looks like a binary file (NUL bytes), not text"
        return "looks like a binary file (mostly undecodable bytes), not UTF-8 text"
    return None


def _utf16_like(head: bytes) -> bool:
    """Mostly-ASCII UTF-16 without a BOM: every other byte is NUL."""
    halves = (head[0::2], head[1::2])
    return len(head) >= 8 and any(half.count(0) > 0.8 * len(half) for half in halves)


def iter_lines(fh: BinaryIO, *, start: int = 0, first_line: int = 1, max_bytes: int) -> Iterator[RawLine]:
    """Physical lines of `fh` from byte offset `start` (already positioned there by the caller's seek).

    A line longer than `max_bytes` is consumed in chunks and reported, never held in memory. Read errors of the
    underlying stream (truncated gzip) end the iteration with a fatal RawLine.
    """
    offset, number = start, first_line
    while True:
        try:
            line = fh.readline(max_bytes + 1)
        except (EOFError, OSError, zlib.error) as exc:
            yield RawLine(number, offset, None, _read_error(exc, number), fatal=True)
            return
        broken = damage(fh) if not line or not line.endswith(b"\n") else None
        if broken is not None:
            # A last line cut off by the damage is part of it; every complete line before it was yielded.
            yield RawLine(number, offset, None, f"{broken} at line {number}; the rest of the file is unreadable",
                          fatal=True)
            return
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            size = len(line)
            try:
                while not line.endswith(b"\n"):
                    line = fh.readline(_SKIP_CHUNK)
                    if not line:
                        break
                    size += len(line)
            except (EOFError, OSError, zlib.error) as exc:
                yield RawLine(number, offset, None, _read_error(exc, number), fatal=True)
                return
            offset += size
            yield RawLine(
                number, offset, None, f"line is {size:,} bytes, over the {max_bytes:,}-byte limit; skipped"
            )
        else:
            offset += len(line)
            yield RawLine(number, offset, line)
        number += 1


def _read_error(exc: BaseException, number: int) -> str:
    if isinstance(exc, EOFError):
        return f"compressed file ends early (truncated gzip?) at line {number}; the rest of the file is unreadable"
    return f"read error at line {number}: {exc}"


def decode_line(data: bytes, number: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, problem) for one line; strips the UTF-8 BOM on line 1 and the line ending."""
    if number == 1 and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"invalid UTF-8 at byte {exc.start + 1} of the line; skipped"
    return text.rstrip("\r\n"), None


def display_name(path: Path) -> str:
    """How a file is named in ids and messages: its file name (ids stay stable when a directory is moved)."""
    return os.path.basename(path)
