"""Storage: posts, scores, the review queue, its audit log, ingest cursors and known claims (SQLAlchemy 2).

Open with `Store.open(url)`; a SQLite file by default, PostgreSQL (`postgresql+psycopg://...`) for a team.
"""

from __future__ import annotations

from pipeline.store.core import Store, StoreLike, opened
from pipeline.store.posts import SaveResult
from pipeline.store.schema import SCHEMA_VERSION, STATUSES

__all__ = ["SCHEMA_VERSION", "STATUSES", "SaveResult", "Store", "StoreLike", "opened"]
