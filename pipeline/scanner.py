"""One batch scan: ingest -> de-duplicate -> score -> flag -> store/enqueue, streamed in chunks.

The library entry points are `scan` (inputs -> DataFrame, for notebooks), `open_session` (the model, the store and
the scorer that a scan, a patrol run and the CLI set up the same way) and `scan_items` (the streaming core the CLI
and patrol runs drive: it yields each chunk's records, so memory stays flat however large the input).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.claims import ClaimIndex, claim_index
from pipeline.classify.artifact import Model, load_model
from pipeline.errors import ProblemHandler
from pipeline.ingest.base import Item
from pipeline.ingest.files import FilesIngestor
from pipeline.labels import FLAG_LABELS
from pipeline.posts import Post
from pipeline.records import ScanRecord, records_frame
from pipeline.scoring import Scorer
from pipeline.store import Store, StoreLike


@dataclass
class ScanSummary:
    """What a scan did: posts scored, duplicates skipped, malformed records, flags per label, time taken."""

    posts: int = 0
    duplicates: int = 0
    problems: int = 0
    flagged: dict[str, int] = field(default_factory=lambda: {label: 0 for label in FLAG_LABELS})
    flagged_posts: int = 0
    stored: int = 0
    enqueued: int = 0
    seconds: float = 0.0

    @property
    def posts_per_second(self) -> float:
        return self.posts / self.seconds if self.seconds > 0 else 0.0

    def add(self, other: ScanSummary) -> None:
        """Add another summary's counts (and time) to this one."""
        for name in ("posts", "duplicates", "problems", "flagged_posts", "stored", "enqueued", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for label, n in other.flagged.items():
            self.flagged[label] = self.flagged.get(label, 0) + n

    def line(self) -> str:
        """The one-line human summary."""
        per_label = ", ".join(f"{label} {n}" for label, n in self.flagged.items())
        return (f"{self.posts} posts scanned, {self.flagged_posts} flagged ({per_label}); "
                f"{self.duplicates} duplicates skipped, {self.problems} malformed records skipped; "
                f"{self.enqueued} enqueued; {self.posts_per_second:,.0f} posts/s")


def _chunks(items: Iterable[Item], size: int, on_problem: ProblemHandler | None,
            summary: ScanSummary) -> Iterator[tuple[list[Post], str | None]]:
    """Posts in chunks of `size` (de-duplicated within the run), each with the cursor after its last item."""
    seen_keys: set[tuple[str, str]] = set()
    seen_hashes: set[str] = set()
    chunk: list[Post] = []
    cursor: str | None = None
    for item in items:
        if item.cursor is not None:
            cursor = item.cursor
        if item.problem is not None:
            summary.problems += 1
            if on_problem is not None:
                on_problem(item.problem)
        post = item.post
        if post is None:
            continue
        digest = post.content_sha256
        if post.key in seen_keys or digest in seen_hashes:
            summary.duplicates += 1
            continue
        seen_keys.add(post.key)
        seen_hashes.add(digest)
        chunk.append(post)
        if len(chunk) >= size:
            yield chunk, cursor
            chunk = []
    if chunk or cursor is not None:
        yield chunk, cursor


def scan_items(items: Iterable[Item], scorer: Scorer, *, store: Store | None = None, source: str | None = None,
               chunk_size: int = 2000, on_problem: ProblemHandler | None = None,
               summary: ScanSummary | None = None, skip_known: bool = False) -> Iterator[list[ScanRecord]]:
    """The streaming core: yields each chunk's records after storing it.

    With a `store`, each chunk is saved in one transaction together with `source`'s cursor (when `source` is
    given), so a crashed run resumes after the last committed chunk. `skip_known` drops posts the store already
    holds before scoring them (patrol runs); otherwise every post is scored and the store ignores known ones.
    """
    summary = summary if summary is not None else ScanSummary()
    start = time.perf_counter()
    for posts, cursor in _chunks(items, chunk_size, on_problem, summary):
        if store is not None and skip_known and posts:
            keys, hashes = store.known([p.key for p in posts], [p.content_sha256 for p in posts])
            kept = [p for p in posts if p.key not in keys and p.content_sha256 not in hashes]
            summary.duplicates += len(posts) - len(kept)
            posts = kept
        records = scorer.score(posts)
        summary.posts += len(records)
        for record in records:
            for label in record.flags:
                summary.flagged[label] += 1
            summary.flagged_posts += bool(record.flags)
        if store is not None:
            result = store.save_scan(records, cursor=(source, cursor) if source and cursor else None)
            summary.stored += result.stored
            summary.enqueued += result.enqueued
        summary.seconds = time.perf_counter() - start
        yield records


def file_items(inputs: Sequence[str | Path], text_column: str = "text", id_column: str | None = None,
               platform: str = "file", **options: Any) -> Iterator[Item]:
    """Items from local files (CSV, JSONL, Parquet, plain text; globs, directories, .gz) via the files ingestor.

    Conventionally named columns (id, platform, author, created_at, url, shares, views, followers) are read too.
    """
    ingestor = FilesIngestor(paths=[str(p) for p in inputs], text_column=text_column, platform=platform,
                             auto_columns=True, **({"id_column": id_column} if id_column else {}), **options)
    return ingestor.iter_posts(None)


@dataclass
class Session:
    """What a scan needs, set up once: the model, the store (None: store nothing) and the scorer."""

    model: Model
    store: Store | None
    scorer: Scorer


@contextmanager
def open_session(*, model: Model | str | Path | None = None, db: StoreLike = None,
                 thresholds: dict[str, float] | None = None, claims: ClaimIndex | None = None) -> Iterator[Session]:
    """Load the model (a Model, a model directory, or None for the shipped one), open the store (a Store, a URL,
    or None for no store), and build the scorer with `thresholds` overriding the model's and the known claims:
    `claims` when given, else the store's. A store opened here is closed after."""
    model = model if isinstance(model, Model) else load_model(model)
    store = Store.open(db) if isinstance(db, str) else db
    try:
        if claims is None and store is not None:
            claims = claim_index(store)
        yield Session(model, store, Scorer(model, thresholds, claims))
    finally:
        if store is not None and store is not db:
            store.close()


def scan(inputs: str | Path | Sequence[str | Path] | Iterable[Post], *, model: Model | str | Path | None = None,
         text_column: str = "text", id_column: str | None = None, thresholds: dict[str, float] | None = None,
         db: StoreLike = None, claims: ClaimIndex | None = None, chunk_size: int = 2000,
         on_problem: ProblemHandler | None = None) -> pd.DataFrame:
    """Scan files (paths, globs, directories) or `Post`s and return one row per post.

    Columns: platform, post_id, author, created_at (UTC), url, source, text, one float column per label, flags
    (list of labels), evidence (dict: label -> [(term, weight)], "claim" -> matched claim), claim_id,
    claim_similarity, priority, model_version, content_sha256. With `db` (a URL or Store), every post is stored,
    flagged ones are enqueued for review, and the database's known claims are matched unless `claims` (a
    ClaimIndex) is given. Malformed records are passed to `on_problem` (default: ignored) and skipped.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    inputs = list(inputs)
    if inputs and all(isinstance(p, Post) for p in inputs):
        items: Iterable[Item] = (Item(post=p) for p in inputs)
    else:
        items = file_items(inputs, text_column=text_column, id_column=id_column)
    with open_session(model=model, db=db, thresholds=thresholds, claims=claims) as session:
        records = [r for chunk in scan_items(items, session.scorer, store=session.store, chunk_size=chunk_size,
                                             on_problem=on_problem) for r in chunk]
    return records_frame(records, session.model.labels)
