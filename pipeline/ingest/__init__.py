"""Ingestors: one contract (`Ingestor.iter_posts(cursor) -> Iterator[Item]`) for every source of posts.

Build one from a config table with `make_ingestor(name, {"kind": "files", "paths": [...]})`; the caller stores the
cursor of the last item it committed and passes it back next time.
"""

from __future__ import annotations

from pipeline.ingest.base import Ingestor, Item, SourceError, decode_cursor, encode_cursor
from pipeline.ingest.registry import available, get_ingestor, make_ingestor

__all__ = [
    "Ingestor",
    "Item",
    "SourceError",
    "available",
    "decode_cursor",
    "encode_cursor",
    "get_ingestor",
    "make_ingestor",
]
