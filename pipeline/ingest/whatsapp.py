"""Ingestor kind "whatsapp": WhatsApp "export chat" text files, Indonesian and English locales.

Options::

    paths = ["wa/Chat WhatsApp dengan Info Warga RT 05.txt"]   # files, globs or directories of .txt
    chat = "Info Warga RT 05"   # group/chat name kept in raw; default: taken from the file name
    timezone = "Asia/Jakarta"   # exports carry the phone's local time without a zone
    date_order = "dmy"          # or "mdy" for exports from US-locale phones
    platform = "whatsapp"

Both layouts are read: Android "12/11/26 21.05 - Budi: pesan" and iOS "[12/11/26 21.05.33] Budi: pesan", with or
without seconds, 2- or 4-digit years. Continuation lines join the message above. System lines (no sender), deleted
messages and media placeholders ("<Media tidak disertakan>", "<Media omitted>", "gambar dihilangkan") carry no text
and are skipped; a media placeholder inside a message with a caption is dropped and flagged in raw.
Post ids hash file name + timestamp + sender + the message's index among same-minute messages of that sender, so a
later export of the same chat gives the same ids; the cursor keeps the last timestamp delivered per chat file.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.ingest._lines import decode_line, iter_lines, open_binary
from pipeline.ingest._options import OptionReader
from pipeline.ingest._paths import expand_paths
from pipeline.ingest.base import Ingestor, Item, decode_cursor, encode_cursor
from pipeline.posts import Post

_HEADER = re.compile(
    r"^(\[)?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2}),?\s+(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?"
    r"(?:\s*([AaPp])\.?\s*[Mm]\.?)?(?(1)\]\s*|\s+-\s+)(.*)$"
)
_SENDER = re.compile(r"^([^:\"“”]{1,80}?): (.*)$", re.DOTALL)
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff"), None) | {
    0x202F: " ",
    0xA0: " ",
}
_MEDIA = re.compile(
    r"^(<media (tidak disertakan|omitted)>|(gambar|video|audio|stiker|gif|dokumen|image|sticker|document|"
    r"kontak|contact card) (tidak disertakan|dihilangkan|omitted)|<(lampiran|attached): [^>]*>|"
    r".+ \((file terlampir|file attached)\))$",
    re.IGNORECASE,
)
_DELETED = re.compile(
    r"^(pesan ini (telah )?dihapus\.?|anda menghapus pesan ini\.?|this message was deleted\.?|"
    r"you deleted this message\.?|null)$",
    re.IGNORECASE,
)
_EDITED = re.compile(r"\s*<(pesan ini diedit|this message was edited)>\s*$", re.IGNORECASE)
_FILE_NAME = re.compile(r"^(chat whatsapp dengan|whatsapp chat with|whatsapp chat -)\s+", re.IGNORECASE)


@dataclass
class _Message:
    line: int
    when: datetime
    sender: str | None
    lines: list[str] = field(default_factory=list)
    marked: bool = False  # iOS marks system and media lines with an invisible LRM after the sender


class WhatsAppIngestor(Ingestor):
    """Messages of WhatsApp chat exports; see the module docstring for the options."""

    name = "whatsapp"

    def configure(self, opts: OptionReader) -> None:
        self.paths: list[str] = opts.str_list("paths")
        self.chat: str | None = opts.str("chat", None)
        self.date_order: str = opts.choice("date_order", ("dmy", "mdy"), "dmy")
        self.platform: str = opts.str("platform", "whatsapp")
        self.max_line_bytes: int = opts.int("max_line_bytes", 1 << 20, minimum=1024)

    def iter_posts(self, cursor: str | None) -> Iterator[Item]:
        chats: dict[str, Any] = dict(decode_cursor(self.name, cursor).get("chats") or {})
        for path in expand_paths(self.paths, (".txt",)):
            yield from self._iter_chat(path, chats)

    def _iter_chat(self, path: Path, chats: dict[str, Any]) -> Iterator[Item]:
        name = path.name
        saved = chats.get(name) if isinstance(chats.get(name), dict) else {}
        emitter = _Emitter(self, path, chats, saved.get("ts"), set(saved.get("ids") or []))
        current: _Message | None = None
        with open_binary(path) as fh:
            for raw in iter_lines(fh, max_bytes=self.max_line_bytes):
                text, problem = (
                    decode_line(raw.data, raw.number) if raw.data is not None else (None, raw.problem)
                )
                if text is None:
                    yield Item(problem=f"{name}:{raw.number}: {problem}")
                    if raw.fatal:
                        break
                    continue
                message = self._header(text, raw.number)
                if message is not None:
                    if current is not None:
                        yield from emitter.emit(current)
                    current = message
                elif current is not None:
                    current.lines.append(text.translate(_INVISIBLE))
        if current is not None:
            yield from emitter.emit(current)

    def _header(self, line: str, number: int) -> _Message | None:
        match = _HEADER.match(line.translate(_INVISIBLE)) if line[:1] in "[0123456789\u200e" else None
        if match is None:
            return None
        _, first, second, year, hour, minute, second_s, meridiem, rest = match.groups()
        day, month = (first, second) if self.date_order == "dmy" else (second, first)
        hours = int(hour)
        if meridiem:
            hours = hours % 12 + (12 if meridiem.lower() == "p" else 0)
        try:
            when = datetime(
                int(year) + (2000 if len(year) == 2 else 0),
                int(month),
                int(day),
                hours,
                int(minute),
                int(second_s or 0),
                tzinfo=self.tz,
            )
        except ValueError:
            return None
        marked = "\u200e" in line.split(": ", 1)[-1][:2]
        sender = _SENDER.match(rest)
        if sender is None:
            return _Message(number, when, None, [rest], marked)
        return _Message(number, when, sender.group(1).strip(), [sender.group(2)], marked)

    def chat_name(self, path: Path) -> str:
        return self.chat or _FILE_NAME.sub("", path.stem).strip() or path.stem


class _Emitter:
    """Turns parsed messages of one chat file into items: stable ids, skipping, cursor bookkeeping."""

    def __init__(
        self,
        owner: WhatsAppIngestor,
        path: Path,
        chats: dict[str, Any],
        last_ts: str | None,
        delivered: set[str],
    ) -> None:
        self.owner, self.path, self.chats = owner, path, chats
        self.chat = owner.chat_name(path)
        self.last_ts, self.delivered = last_ts, delivered
        self.counts: Counter[tuple[str, str]] = Counter()

    def emit(self, message: _Message) -> Iterator[Item]:
        stamp, sender = message.when.isoformat(), message.sender or ""
        index = self.counts[(stamp, sender)]
        self.counts[(stamp, sender)] += 1
        post_id = hashlib.sha256(f"{self.path.name}\x1f{stamp}\x1f{sender}\x1f{index}".encode()).hexdigest()[
            :24
        ]
        # Timestamps are ISO strings in one zone, so string order is time order.
        if self.last_ts is not None and (
            stamp < self.last_ts or (stamp == self.last_ts and post_id in self.delivered)
        ):
            return
        if stamp != self.last_ts:
            self.last_ts, self.delivered = stamp, set()
        self.delivered.add(post_id)
        text, media = _body(message)
        if message.sender is None or not text:
            return
        self.chats[self.path.name] = {"ts": stamp, "ids": sorted(self.delivered)}
        yield Item(
            cursor=encode_cursor(self.owner.name, {"chats": self.chats}),
            post=Post(
                platform=self.owner.platform,
                post_id=post_id,
                text=text,
                author=message.sender,
                created_at=message.when,
                source=self.owner.source,
                raw={
                    "chat": self.chat,
                    "file": self.path.name,
                    "line": message.line,
                    "sender": message.sender,
                    "time": stamp,
                    "lines": message.lines,
                    "media_omitted": media,
                },
            ),
        )


def _body(message: _Message) -> tuple[str, bool]:
    """The message text without media placeholders and edit marks, and whether a placeholder was dropped."""
    lines, media = message.lines, False
    if message.marked:  # iOS: the first line is a system notice or an attachment, never typed text
        lines, media = lines[1:], True
    kept = []
    for line in lines:
        cleaned = _EDITED.sub("", line).rstrip()
        if _MEDIA.match(cleaned.strip()):
            media = True
        elif not (len(lines) == 1 and _DELETED.match(cleaned.strip())):
            kept.append(cleaned)
    return "\n".join(kept).strip(), media
