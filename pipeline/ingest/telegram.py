"""Ingestor kind "telegram": Telegram Desktop exports (`result.json`) of channels and groups.

Options::

    paths = ["exports/ChatExport_2026-11-12/result.json"]   # files, globs or directories (result.json inside)
    platform = "telegram"
    username = "infowargaxyz"   # public channel name, for t.me links (the export does not contain it)

Messages whose text is a list of strings and entity objects are flattened; service messages (joins, pins) and
messages without text are skipped; `forwarded_from`, reactions etc. stay in `raw`. Exports are streamed message by
message (a whole-account export chat by chat), so memory stays flat and a truncated export still yields every message
before the damage plus one clear problem. The cursor keeps the highest message id per chat, so a fresh export of the
same chat yields only newer messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.ingest._fields import as_text, parse_count
from pipeline.ingest._jsonstream import ArrayStream, JsonStreamError
from pipeline.ingest._options import OptionReader
from pipeline.ingest._paths import expand_paths
from pipeline.ingest._time import parse_time
from pipeline.ingest.base import Ingestor, Item, decode_cursor, encode_cursor
from pipeline.posts import Post

_LINKABLE = {"public_channel", "private_channel", "public_supergroup", "private_supergroup"}


class TelegramIngestor(Ingestor):
    """Messages of Telegram Desktop JSON exports; see the module docstring for the options."""

    name = "telegram"

    def configure(self, opts: OptionReader) -> None:
        self.paths: list[str] = opts.str_list("paths")
        self.platform: str = opts.str("platform", "telegram")
        self.username: str | None = opts.str("username", None)

    def iter_posts(self, cursor: str | None) -> Iterator[Item]:
        last_ids: dict[str, int] = dict(decode_cursor(self.name, cursor).get("chats") or {})
        for path in expand_paths(self.paths, ("result.json",)):
            yield from self._iter_export(path, last_ids)

    def _iter_export(self, path: Path, last_ids: dict[str, int]) -> Iterator[Item]:
        where = _where(path)
        read = 0
        try:
            with ArrayStream(path, ("messages", "chats.list")) as stream:
                if stream.array == "messages":  # one chat
                    chat = {k: stream.head[k] for k in ("id", "name", "type") if k in stream.head}
                    for index, message in enumerate(stream):
                        read += 1
                        if _has_id(message):
                            yield from self._message(chat, message, where, last_ids)
                        else:
                            yield Item(
                                problem=f"{where}:{stream.line(index)}: message without an id; skipped"
                            )
                else:  # a whole-account export: chats.list holds the chats, each with its messages
                    for chat in stream:
                        if not isinstance(chat, dict):
                            continue
                        for message in chat.get("messages") or []:
                            read += 1
                            if _has_id(message):
                                yield from self._message(chat, message, where, last_ids)
                            else:
                                yield Item(problem=f"{where}: message without an id; skipped")
        except JsonStreamError as exc:
            yield Item(
                problem=f"{where}: export is truncated or not valid JSON at line {exc.line} ({exc.message}); "
                f"the {read} messages before it were read and their posts kept"
            )

    def _message(
        self, chat: dict[str, Any], message: dict[str, Any], where: str, last_ids: dict[str, int]
    ) -> Iterator[Item]:
        chat_key = str(chat.get("id") or chat.get("name") or where)
        if message["id"] <= last_ids.get(chat_key, -1):
            return
        last_ids[chat_key] = message["id"]
        post = self._post(chat, chat_key, message) if message.get("type", "message") == "message" else None
        if post is not None:
            yield Item(post=post, cursor=encode_cursor(self.name, {"chats": last_ids}))

    def _post(self, chat: dict[str, Any], chat_key: str, message: dict[str, Any]) -> Post | None:
        text = flatten_text(message.get("text"))
        if not text.strip():
            return None
        created_at = None
        for value in (message.get("date_unixtime"), message.get("date")):  # unixtime is exact, date is local
            try:
                created_at = parse_time(value, self.tz)
            except ValueError:
                continue
            if created_at is not None:
                created_at = created_at.astimezone(self.tz)
                break
        msg_id = message["id"]
        if self.username:
            url: str | None = f"https://t.me/{self.username}/{msg_id}"
        elif chat.get("type") in _LINKABLE and chat.get("id"):
            url = f"https://t.me/c/{chat['id']}/{msg_id}"
        else:
            url = None
        return Post(
            platform=self.platform,
            post_id=f"{chat_key}:{msg_id}",
            text=text.strip(),
            author=as_text(message.get("from"))
            or as_text(message.get("author"))
            or as_text(chat.get("name")),
            url=url,
            created_at=created_at,
            shares=parse_count(message.get("forwards")),
            views=parse_count(message.get("views")),
            source=self.source,
            raw={**message, "chat": {k: chat.get(k) for k in ("id", "name", "type")}},
        )


def flatten_text(value: Any) -> str:
    """Telegram's `text`: a string, or a list of strings and entity objects ({"type": "bold", "text": ...})."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", "")) if isinstance(part, dict) else ""
            for part in value
        )
    return ""


def _has_id(message: Any) -> bool:
    return isinstance(message, dict) and isinstance(message.get("id"), int)


def _where(path: Path) -> str:
    # "result.json" alone says nothing: name the export folder too.
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name
