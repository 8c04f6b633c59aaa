"""Ingestor kind "rss": one RSS or Atom feed (news sites, blogs), fetched with a conditional GET.

Options::

    url = "https://contoh-berita.id/rss"   # required
    platform = "rss"
    headers = { "Accept-Language" = "id" }  # extra request headers
    timeout = 30.0                            # seconds per request
    max_wait = 300.0                          # longest HTTP 429 back-off before giving up until the next run

The cursor keeps the feed's ETag / Last-Modified (sent back as If-None-Match / If-Modified-Since: an unchanged feed
answers 304 and yields nothing) and the ids of the entries already delivered.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from pipeline.ingest._fields import as_text, html_to_text
from pipeline.ingest._http import Fetcher
from pipeline.ingest._options import OptionReader
from pipeline.ingest._time import parse_time
from pipeline.ingest.base import Ingestor, Item, SourceError, decode_cursor, encode_cursor
from pipeline.posts import Post

_MAX_SEEN = 1000


class RssIngestor(Ingestor):
    """Entries of one RSS/Atom feed, oldest first; see the module docstring for the options."""

    name = "rss"

    def configure(self, opts: OptionReader) -> None:
        self.url: str = opts.str("url")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise opts.error(f"option 'url' must be an http(s) URL, got {self.url!r}")
        self.platform: str = opts.str("platform", "rss")
        self.headers: dict[str, str] = opts.mapping("headers", {})
        self.timeout: float = opts.float("timeout", 30.0, minimum=0.1)
        self.max_wait: float = opts.float("max_wait", 300.0)
        self.sleep = opts.callable("sleep", time.sleep)

    def iter_posts(self, cursor: str | None) -> Iterator[Item]:
        state = decode_cursor(self.name, cursor)
        where = f"rss feed {self.url}"
        conditional = {}
        if state.get("etag"):
            conditional["If-None-Match"] = state["etag"]
        if state.get("modified"):
            conditional["If-Modified-Since"] = state["modified"]
        with Fetcher(
            where, headers=self.headers, timeout=self.timeout, max_wait=self.max_wait, sleep=self.sleep
        ) as fetcher:
            response = fetcher.get(self.url, headers=conditional)
        if response.status_code == 304:
            return
        feed = feedparser.parse(
            response.content,
            response_headers={
                "content-type": response.headers.get("content-type", "application/xml"),
                "content-location": str(response.url),
            },
        )
        if not feed.entries and (feed.bozo or not feed.get("version")):
            reason = feed.get("bozo_exception") or "no feed elements"
            raise SourceError(f"{where}: the response is not an RSS/Atom feed ({reason})")
        if feed.bozo:
            yield Item(
                problem=f"{where}: feed is not well-formed ({feed.bozo_exception}); "
                f"{len(feed.entries)} entries read anyway"
            )
        entries = [(self._entry_id(entry), entry) for entry in feed.entries]
        current = {entry_id for entry_id, _ in entries}
        seen = [i for i in state.get("seen", []) if i in current]
        newest = state.get("newest")
        base = {"etag": state.get("etag"), "modified": state.get("modified")}
        for entry_id, entry in _oldest_first(entries):
            if entry_id in seen:
                continue
            post = self._post(entry_id, entry, feed.feed)
            seen.append(entry_id)
            stamp = post.created_at.astimezone(UTC).isoformat() if post.created_at else None
            if stamp is not None and (newest is None or stamp > newest):
                newest = stamp
            yield Item(
                post=post,
                cursor=encode_cursor(self.name, {**base, "seen": seen[-_MAX_SEEN:], "newest": newest}),
            )
        # Only now may the new validators be stored: saving them earlier would turn a crash into lost entries (304).
        yield Item(
            cursor=encode_cursor(
                self.name,
                {
                    "etag": response.headers.get("etag"),
                    "modified": response.headers.get("last-modified"),
                    "seen": seen[-_MAX_SEEN:],
                    "newest": newest,
                },
            )
        )

    def _entry_id(self, entry: Any) -> str:
        value = as_text(entry.get("id")) or as_text(entry.get("link"))
        if value is None:
            digest = hashlib.sha256(f"{entry.get('title')}\n{entry.get('summary')}".encode()).hexdigest()[:24]
            value = f"sha256:{digest}"
        if "://" in value or value.startswith(("urn:", "tag:", "sha256:")):
            return value
        # A bare guid like "12345" is only unique within its feed.
        return f"{urlsplit(self.url).hostname}:{value}"

    def _post(self, entry_id: str, entry: Any, feed_info: Any) -> Post:
        title = as_text(entry.get("title")) or ""
        body = entry.get("summary") or ""
        if entry.get("content"):
            body = entry["content"][0].get("value") or body
        summary = html_to_text(body) if body else ""
        text = title if not summary or summary == title else f"{title}\n\n{summary}".strip()
        raw = {
            "id": entry.get("id"),
            "title": entry.get("title"),
            "link": entry.get("link"),
            "summary": body,
            "published": dict.get(entry, "published"),
            "updated": dict.get(entry, "updated"),
            "author": entry.get("author"),
            "tags": [tag.get("term") for tag in entry.get("tags", [])],
            "feed_title": feed_info.get("title"),
            "feed_link": feed_info.get("link"),
        }
        return Post(
            platform=self.platform,
            post_id=entry_id,
            text=text,
            author=as_text(entry.get("author")),
            url=as_text(entry.get("link")),
            created_at=self._time(entry),
            source=self.source,
            raw=raw,
        )

    def _time(self, entry: Any) -> datetime | None:
        # dict.get: FeedParserDict.get("updated") silently falls back to "published" (with a DeprecationWarning).
        for key in ("published", "updated", "created"):
            try:
                parsed = parse_time(dict.get(entry, key), self.tz)
            except ValueError:
                parsed = None
            if parsed is not None:
                return parsed
            struct = dict.get(entry, f"{key}_parsed")
            if struct:
                return datetime(*struct[:6], tzinfo=UTC)
        return None


def _oldest_first(entries: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    # Feeds list newest first; sort by date when every entry has one, else trust the document order.
    ordered = list(reversed(entries))
    stamps = [
        dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed") for _, entry in ordered
    ]
    if all(stamps):
        order = sorted(range(len(ordered)), key=lambda i: tuple(stamps[i])[:6])
        ordered = [ordered[i] for i in order]
    return ordered
