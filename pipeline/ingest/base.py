"""The ingestor contract: a kind name and one generator of `Item`s.

An ingestor never stores anything itself. The framework (scan / patrol) calls `iter_posts(cursor)` with the cursor it
saved last time (None on the first run or with --full-refresh), commits the posts it receives, and then saves the
`cursor` of the last item it has fully handled. Cursors are opaque strings; delivery is at-least-once (a crash between
commit and cursor save re-delivers a few posts), so the framework de-duplicates every post on its (platform, post_id)
and on the SHA-256 of its content: an ingestor only has to give each post a stable `post_id` within its platform.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from pipeline.errors import ConfigError, InputError
from pipeline.ingest._options import OptionReader
from pipeline.posts import Post

__all__ = ["Ingestor", "Item", "SourceError", "decode_cursor", "encode_cursor"]


class SourceError(InputError):
    """A remote source could not be reached or answered with an error (HTTP 4xx/5xx, not a feed, rate limit too long)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One step of an ingest: a post, a skipped malformed record (`problem`), or a bare checkpoint.

    `cursor` is where the source can resume *after* this item; None means "no resume point" (the framework keeps
    whatever it had). A problem is a one-line message naming the location ("posts.csv:17: ...") of a record that was
    skipped; the ingest goes on after it. A checkpoint (post and problem both None) only advances the cursor, e.g.
    when a feed answered with a new ETag but no new entries.
    """

    post: Post | None = None
    cursor: str | None = None
    problem: str | None = None

    def __post_init__(self) -> None:
        if self.post is not None and self.problem is not None:
            raise ValueError("an Item carries either a post or a problem, not both")


class Ingestor(abc.ABC):
    """Base class of every ingestor, built-in or third-party (registered in entry-point group `patroli.ingestors`).

    Construct with the source's options as keyword arguments (a TOML table without `kind`); unknown or invalid options
    raise `ConfigError`. The common option `source` names the configured source and is stamped on every `Post.source`;
    `timezone` (default Asia/Jakarta) is the zone for naive timestamps.

    Subclasses set `name`, read their options in `configure(opts)` and implement `iter_posts`.
    """

    name: ClassVar[str] = ""

    def __init__(self, **options: Any) -> None:
        opts = OptionReader(self.name or type(self).__name__, options)
        self.options: dict[str, Any] = dict(options)
        self.source: str | None = opts.str("source", None)
        self.tz = opts.timezone("timezone", "Asia/Jakarta")
        self.configure(opts)
        opts.finish()

    def configure(self, opts: OptionReader) -> None:  # noqa: B027 (an optional hook, not abstract)
        """Override to read and validate this kind's options, one `opts.<type>(name, default)` call each; options
        never read here are rejected as unknown."""

    @abc.abstractmethod
    def iter_posts(self, cursor: str | None) -> Iterator[Item]:
        """Yield items in source order, starting after `cursor` (None: from the beginning).

        Malformed records become problem items and never abort the run; an unusable source as a whole (missing text
        column, unreachable API) raises `InputError` / `SourceError`, and items already yielded stay valid.
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} kind={self.name!r} source={self.source!r}>"


def encode_cursor(kind: str, state: dict[str, Any]) -> str:
    """Serialise an ingestor's resume state (JSON-able dict) as an opaque cursor string tagged with the kind."""
    return json.dumps({"kind": kind, **state}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def decode_cursor(kind: str, cursor: str | None) -> dict[str, Any]:
    """The state stored by `encode_cursor`, or {} for None; a cursor that is not this kind's raises `ConfigError`."""
    if cursor is None:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict) or state.get("kind") != kind:
        raise ConfigError(
            f"the saved cursor is not a valid {kind!r} cursor (was the source's kind changed?); "
            "re-run with --full-refresh to start this source over"
        )
    state.pop("kind")
    return state
