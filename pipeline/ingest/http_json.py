"""Ingestor kind "http_json": any JSON HTTP API that returns a list of posts, with page or cursor pagination.

Options::

    url = "https://api.contoh.id/v1/posts"     # required
    items_path = "data.items"                  # dotted path to the list in each response (unset: the body is it)
    id_field = "id"   text_field = "text"      # dotted paths inside one item (id and text required)
    time_field, author_field, url_field, shares_field, views_field, followers_field   # optional
    platform = "http_json"
    params = { q = "hoaks" }                   # fixed query parameters
    headers = { "X-Api-Key-Id" = "patroli" }   # fixed request headers
    bearer_token_env = "CONTOH_TOKEN"          # optional: send "Authorization: Bearer $CONTOH_TOKEN"
    pagination = "none"                        # or "page" (stops at an empty page) or "cursor"
    page_param = "page"   page_start = 1       # pagination = "page"
    next_cursor_path = "meta.next"   cursor_param = "cursor"   # pagination = "cursor" (stops when absent)
    since_field = "id"   since_param = "since_id"   # optional high-water mark: skip items at or below it, and
                                                     # send it as a query parameter when since_param is set
    max_pages = 100   timeout = 30.0   max_wait = 300.0

The cursor remembers the page / next-cursor reached (so an interrupted run continues) and the high-water mark of the
last completed run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from pipeline.ingest._fields import as_text, get_path
from pipeline.ingest._http import Fetcher, json_body
from pipeline.ingest._options import OptionReader
from pipeline.ingest._rows import post_of_row
from pipeline.ingest._time import parse_time
from pipeline.ingest.base import Ingestor, Item, SourceError, decode_cursor, encode_cursor
from pipeline.posts import Post

_ROLES = ("time", "author", "url", "shares", "views", "followers")


class HttpJsonIngestor(Ingestor):
    """Posts from a generic JSON API; see the module docstring for the options."""

    name = "http_json"

    def configure(self, opts: OptionReader) -> None:
        self.url: str = opts.str("url")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise opts.error(f"option 'url' must be an http(s) URL, got {self.url!r}")
        self.items_path: str | None = opts.str("items_path", None)
        self.id_field: str = opts.str("id_field", "id")
        self.text_field: str = opts.str("text_field", "text")
        self.fields = {role: opts.str(f"{role}_field", None) for role in _ROLES}
        self.platform: str = opts.str("platform", "http_json")
        self.params: dict[str, str] = opts.mapping("params", {})
        self.headers: dict[str, str] = dict(opts.mapping("headers", {}))
        token = opts.env_secret("bearer_token_env", None)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.pagination: str = opts.choice("pagination", ("none", "page", "cursor"), "none")
        self.page_param: str = opts.str("page_param", "page")
        self.page_start: int = opts.int("page_start", 1, minimum=0)
        self.next_cursor_path: str | None = opts.str("next_cursor_path", None)
        self.cursor_param: str = opts.str("cursor_param", "cursor")
        if self.pagination == "cursor" and self.next_cursor_path is None:
            raise opts.error(
                "pagination = 'cursor' needs next_cursor_path (where the next cursor is in a response)"
            )
        self.since_field: str | None = opts.str("since_field", None)
        self.since_param: str | None = opts.str("since_param", None)
        if self.since_param and not self.since_field:
            self.since_field = self.id_field
        self.max_pages: int = opts.int("max_pages", 100, minimum=1)
        self.timeout: float = opts.float("timeout", 30.0, minimum=0.1)
        self.max_wait: float = opts.float("max_wait", 300.0)
        self.sleep = opts.callable("sleep", time.sleep)

    def iter_posts(self, cursor: str | None) -> Iterator[Item]:
        state = decode_cursor(self.name, cursor)
        since, high = state.get("since"), state.get("high")
        position: Any = state.get("position")  # page number or next-cursor of an unfinished run
        where = f"http_json {self.url}"
        with Fetcher(
            where, headers=self.headers, timeout=self.timeout, max_wait=self.max_wait, sleep=self.sleep
        ) as fetcher:
            for _ in range(self.max_pages):
                params = dict(self.params)
                if self.since_param and since is not None:
                    params[self.since_param] = since
                if self.pagination == "page":
                    position = position if isinstance(position, int) else self.page_start
                    params[self.page_param] = position
                elif self.pagination == "cursor" and position:
                    params[self.cursor_param] = position
                body = json_body(fetcher.get(self.url, params=params), where)
                items = body if not self.items_path else get_path(body, self.items_path)
                if items is None and isinstance(body, dict):
                    raise SourceError(
                        f"{where}: the response has no {self.items_path!r} "
                        f"(top-level keys: {', '.join(list(body)[:15])}); check items_path"
                    )
                if not isinstance(items, list):
                    raise SourceError(f"{where}: {self.items_path or 'the response'} is not a list")
                next_position = self._next(position, body, items)
                page_where = f"{where} ({self.page_param}={position})" if self.pagination == "page" else where
                done = next_position is None
                for index, item in enumerate(items):
                    value = get_path(item, self.since_field) if self.since_field else None
                    if value is not None and since is not None and not _above(value, since):
                        continue  # at or below the high-water mark: seen in an earlier run
                    if value is not None and (high is None or _above(value, high)):
                        high = value
                    problem, post = self._post(item, page_where, index)
                    last = index == len(items) - 1
                    after = {
                        "since": high if done else since,
                        "high": None if done else high,
                        "position": None if done else next_position,
                    }
                    current = after if last else {"since": since, "high": high, "position": position}
                    if problem or post:
                        yield Item(post=post, problem=problem, cursor=encode_cursor(self.name, current))
                if not items or done:
                    yield Item(
                        cursor=encode_cursor(
                            self.name,
                            {"since": high if high is not None else since, "high": None, "position": None},
                        )
                    )
                    return
                position = next_position

    def _next(self, position: Any, body: Any, items: list[Any]) -> Any:
        if self.pagination == "page":
            return position + 1 if items else None
        if self.pagination == "cursor":
            value = get_path(body, self.next_cursor_path or "")
            # A missing, empty or repeated cursor ends the walk (some APIs echo the last cursor forever).
            return value if value not in (None, "", position) and items else None
        return None

    def _post(self, item: Any, where: str, index: int) -> tuple[str | None, Post | None]:
        location = f"{where} item #{index + 1}"
        if not isinstance(item, dict):
            return f"{location}: not a JSON object; skipped", None
        post_id, text = as_text(get_path(item, self.id_field)), as_text(get_path(item, self.text_field))
        if post_id is None or text is None:
            missing = self.id_field if post_id is None else self.text_field
            return f"{location}: no {missing!r} field; skipped", None
        columns = {"id": self.id_field, **{role: path for role, path in self.fields.items() if path}}
        return post_of_row(item, location, self.text_field, columns, platform=self.platform, source=self.source,
                           tz=self.tz)


def _above(value: Any, mark: Any) -> bool:
    """Whether `value` is newer than the high-water `mark`: numerically, as times, or as strings."""
    if value is None:
        return True
    for convert in (_number, _timestamp):
        a, b = convert(value), convert(mark)
        if a is not None and b is not None:
            return a > b
    return str(value) > str(mark)


def _number(value: Any) -> float | None:
    try:
        return float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _timestamp(value: Any) -> float | None:
    try:
        parsed = parse_time(value)
    except ValueError:
        return None
    return parsed.timestamp() if parsed else None
