"""A row's post: the mapping from conventionally named columns to a post's fields, and the row -> `Post` rule that
local scans, the Dask engine and the JSON API ingestor share, so one input gives the same posts whichever reads it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

from pipeline.ingest._fields import as_text, get_path, parse_count
from pipeline.ingest._time import parse_time
from pipeline.posts import Post

#: With `auto_columns = true`, columns under these names are read without being configured.
CONVENTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "post_id"), "time": ("created_at", "timestamp", "date"), "author": ("author", "username", "user"),
    "url": ("url", "link"), "platform": ("platform",), "shares": ("shares", "retweets", "forwards"),
    "views": ("views", "impressions"), "followers": ("followers",),
}


def conventional_columns(fields: Iterable[str]) -> dict[str, str]:
    """role -> column for the conventionally named columns among `fields`: the first of a role's names present (a row
    with both id and post_id uses id)."""
    present = set(fields)
    return {role: next(name for name in names if name in present)
            for role, names in CONVENTIONAL_COLUMNS.items() if not present.isdisjoint(names)}


def post_of_row(row: Mapping[str, Any], where: str, text_column: str, columns: Mapping[str, str], *,
                platform: str, source: str | None, tz: tzinfo) -> tuple[str | None, Post | None]:
    """A row's post as a scan reads it, or a problem (prefixed with `where`, the row's `<file>:<position>`).

    `columns` maps the roles (id, time, author, url, platform, shares, views, followers) to column names or dotted
    paths; without an id column the id is `where`. A time or count that cannot be read leaves that field empty: the
    post matters more than its time (the unparsed value stays in `raw`).
    """
    text = as_text(get_path(row, text_column))
    if text is None:
        return f"{where}: empty text; skipped", None
    post_id = as_text(get_path(row, columns["id"])) if "id" in columns else where
    if post_id is None:
        return f"{where}: no id in column {columns['id']!r}; skipped", None
    created_at = None
    if "time" in columns:
        try:
            created_at = parse_time(get_path(row, columns["time"]), tz)
        except ValueError:
            pass

    def col(role: str) -> Any:
        return get_path(row, columns[role]) if role in columns else None

    return None, Post(
        platform=as_text(col("platform")) or platform,
        post_id=post_id,
        text=text,
        author=as_text(col("author")),
        url=as_text(col("url")),
        created_at=created_at,
        shares=parse_count(col("shares")),
        views=parse_count(col("views")),
        followers=parse_count(col("followers")),
        source=source,
        raw=row,
    )
