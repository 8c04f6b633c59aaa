"""One batch scan: ingest -> find copies -> score -> flag -> store/enqueue, streamed in chunks.

The library entry points are `scan` (inputs -> DataFrame, for notebooks), `open_session` (the model, the store and
the scorer that a scan, a patrol run and the CLI set up the same way) and `scan_items` (the streaming core the CLI
and patrol runs drive: it yields each chunk's records, so memory stays flat however large the input).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.claims import ClaimIndex, claim_index
from pipeline.classify.artifact import Model, load_model
from pipeline.errors import ProblemHandler
from pipeline.ingest.base import Item
from pipeline.ingest.files import FilesIngestor
from pipeline.labels import FLAG_LABELS
from pipeline.pool import ScoringPool
from pipeline.posts import Post
from pipeline.priority import priority
from pipeline.records import ScanRecord, key_text
from pipeline.scoring import Assessment, Reach, Scorer
from pipeline.store import Store, StoreLike


@dataclass
class ScanSummary:
    """What a scan did: posts read (every one has its record), copies among them, posts skipped as already stored
    (patrol runs), malformed records, flags per label, what was stored and enqueued, time taken."""

    posts: int = 0
    copies: int = 0
    duplicates: int = 0
    problems: int = 0
    #: Inputs skipped whole or cut short by damage (problems that cost more than one record).
    files_skipped: int = 0
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
        for name in ("posts", "copies", "duplicates", "problems", "files_skipped", "flagged_posts", "stored",
                     "enqueued", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for label, n in other.flagged.items():
            self.flagged[label] = self.flagged.get(label, 0) + n

    def line(self) -> str:
        """The one-line human summary."""
        per_label = ", ".join(f"{label} {n}" for label, n in self.flagged.items())
        skipped = f", {self.files_skipped} input files skipped or cut short" if self.files_skipped else ""
        # Only a patrol run skips stored posts; a scan scores every post again.
        known = f"{self.duplicates} already stored, skipped; " if self.duplicates else ""
        return (f"{self.posts} posts scanned ({self.copies} copies of earlier posts), {self.flagged_posts} flagged "
                f"({per_label}); {known}{self.problems} malformed records skipped{skipped}; {self.enqueued} "
                f"enqueued; {self.posts_per_second:,.0f} posts/s")


def _chunks(items: Iterable[Item], size: int, on_problem: ProblemHandler | None,
            summary: ScanSummary) -> Iterator[tuple[list[Post], str | None]]:
    """Posts in chunks of `size`, each with the cursor after its last item; problems are reported and counted."""
    chunk: list[Post] = []
    cursor: str | None = None
    for item in items:
        if item.cursor is not None:
            cursor = item.cursor
        if item.problem is not None:
            if item.partial:
                summary.files_skipped += 1
            else:
                summary.problems += 1
            if on_problem is not None:
                on_problem(item.problem)
        if item.post is None:
            continue
        chunk.append(item.post)
        if len(chunk) >= size:
            yield chunk, cursor
            chunk = []
    if chunk or cursor is not None:
        yield chunk, cursor


@dataclass
class _Plan:
    """One chunk, decided: its posts in input order, each with its content hash and whether it is a copy."""

    posts: list[Post]
    digests: list[str]
    is_copy: list[bool]
    cursor: str | None

    @property
    def to_score(self) -> list[Post]:
        return [p for p, copy in zip(self.posts, self.is_copy, strict=True) if not copy]


class _Planner:
    """Decides, in input order, which posts are scored and which are copies of an earlier post.

    A post whose text was seen earlier in the run, or is stored under another key, is a copy: it takes the first
    post's results. `firsts` maps each text's SHA-256 to the first post's record template (filled when that post's
    chunk is finished, which is always before a later copy is built). With `skip_known` (patrol runs), posts whose
    key is stored or was read earlier in the run are dropped instead: they are re-deliveries, not new posts.
    """

    def __init__(self, store: Store | None, skip_known: bool, summary: ScanSummary) -> None:
        self.store = store
        self.skip_known = skip_known
        self.summary = summary
        self.firsts: dict[str, ScanRecord | None] = {}
        self.keys: set[tuple[str, str]] = set()

    def plan(self, posts: list[Post], cursor: str | None) -> _Plan:
        digests = [p.content_sha256 for p in posts]
        stored_keys: set[tuple[str, str]] = set()
        stored: dict[str, dict[str, Any]] = {}
        if self.store is not None and posts:
            if self.skip_known:
                stored_keys = self.store.known([p.key for p in posts], [])[0]
            stored = self.store.originals([d for d in digests if d not in self.firsts])
        plan = _Plan([], [], [], cursor)
        for post, digest in zip(posts, digests, strict=True):
            if self.skip_known:
                if post.key in self.keys or post.key in stored_keys:
                    self.summary.duplicates += 1
                    continue
                self.keys.add(post.key)
            copy = digest in self.firsts
            if not copy:
                found = stored.get(digest)
                if found is not None and (found["platform"], found["post_id"]) != post.key:
                    self.firsts[digest] = ScanRecord(
                        platform=found["platform"], post_id=found["post_id"], text="", scores=found["scores"],
                        flags=list(found["flags"]), evidence=found["evidence"] or {}, priority=found["priority"],
                        model_version=found["model_version"], content_sha256=digest)
                    copy = True
                else:
                    self.firsts[digest] = None
            plan.posts.append(post)
            plan.digests.append(digest)
            plan.is_copy.append(copy)
        return plan

    def finish(self, plan: _Plan, found: list[Assessment], model_version: str) -> list[ScanRecord]:
        """The chunk's records in input order: scored posts from `found`, copies from their first post."""
        captured = datetime.now(UTC)
        assessments = iter(found)
        records = []
        for post, digest, copy in zip(plan.posts, plan.digests, plan.is_copy, strict=True):
            if copy:
                first = self.firsts[digest]
                assert first is not None, "a copy came before its first post was finished"
                records.append(first.copy_for(post, captured))
                continue
            a = next(assessments)
            record = ScanRecord.of(post, scores=a.scores, flags=a.flags, evidence=a.evidence, priority=a.priority,
                                   model_version=model_version, captured_at=captured)
            records.append(record)
            if self.firsts.get(digest) is None:
                # Only what a copy takes, so a long run keeps little per distinct text.
                self.firsts[digest] = ScanRecord(
                    platform=post.platform, post_id=post.post_id, text="", scores=a.scores, flags=a.flags,
                    evidence=a.evidence, priority=a.priority, model_version=model_version, content_sha256=digest)
        return records


def scan_items(items: Iterable[Item], scorer: Scorer, *, store: Store | None = None, source: str | None = None,
               chunk_size: int = 2000, on_problem: ProblemHandler | None = None,
               summary: ScanSummary | None = None, skip_known: bool = False,
               workers: int = 1,
               before_save: Callable[[list[ScanRecord]], Sequence[tuple[str, str]]] | None = None,
               ) -> Iterator[list[ScanRecord]]:
    """The streaming core: yields each chunk's records, in input order, after storing it.

    Every post gets its record. A post whose text was seen earlier in the run (or is stored under another key) is
    a copy: its record carries `duplicate_of` and the first post's results, without being scored again, and the
    store links it to the first post, whose queue item counts it. With a `store`, each chunk is saved in one
    transaction together with `source`'s cursor (when `source` is given), so a crashed run resumes after the last
    committed chunk. `skip_known` drops posts whose key the store already holds (patrol runs). `workers` > 1
    scores in that many worker processes (see `pipeline.pool`) while this process reads, keeps the order and
    writes; the records and stored rows are the same as with one. `before_save(records)` runs just before each
    chunk is saved and returns (name, value) cursors to commit with it (an output file's length, so that file and
    database stay in step across a crash).
    """
    summary = summary if summary is not None else ScanSummary()
    start = time.perf_counter()
    planner = _Planner(store, skip_known, summary)
    version = scorer.model.version

    def finish(plan: _Plan, found: list[Assessment]) -> list[ScanRecord]:
        records = planner.finish(plan, found, version)
        summary.posts += len(records)
        for record in records:
            summary.copies += record.duplicate_of is not None
            for label in record.flags:
                summary.flagged[label] += 1
            summary.flagged_posts += bool(record.flags)
        if store is not None:
            marks = list(before_save(records)) if before_save is not None else []
            result = store.save_scan(records, cursor=(source, plan.cursor) if source and plan.cursor else None,
                                     rank=priority, marks=marks)
            summary.stored += result.stored
            summary.enqueued += result.enqueued
        summary.seconds = time.perf_counter() - start
        return records

    def task(plan: _Plan) -> tuple[list[str], list[Reach]]:
        posts = plan.to_score
        return [p.text for p in posts], [(p.shares, p.views, p.followers) for p in posts]

    chunks = _chunks(items, chunk_size, on_problem, summary)
    if workers <= 1:
        for posts, cursor in chunks:
            plan = planner.plan(posts, cursor)
            yield finish(plan, scorer.assess(*task(plan)))
        return
    if store is not None:
        # Forked workers must not inherit open database connections; this process reopens its own on next use.
        store.engine.dispose()
    pool = ScoringPool(scorer, workers)
    pending: deque[tuple[_Plan, Future[list[Assessment]]]] = deque()
    try:
        for posts, cursor in chunks:
            plan = planner.plan(posts, cursor)
            pending.append((plan, pool.submit(*task(plan))))
            # Two chunks per worker in flight: workers never wait for the reader, and memory stays bounded.
            while len(pending) > 2 * workers:
                plan, future = pending.popleft()
                yield finish(plan, pool.result(future))
        while pending:
            plan, future = pending.popleft()
            yield finish(plan, pool.result(future))
    finally:
        pool.close()


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
         on_problem: ProblemHandler | None = None, workers: int = 1) -> pd.DataFrame:
    """Scan files (paths, globs, directories) or `Post`s and return one row per post.

    Columns: platform, post_id, author, created_at (UTC), url, source, text, one float column per label, flags
    (list of labels), evidence (dict: label -> [(term, weight)], "claim" -> matched claim), claim_id,
    claim_similarity, priority, model_version, content_sha256, duplicate_of. Every post gets its row, in input
    order; a copy of an earlier post's text has `duplicate_of` ("platform:post_id" of the first) and that post's
    scores. With `db` (a URL or Store), every post is stored (copies as copies of their first post), flagged ones
    are enqueued for review, and the database's known claims are matched unless `claims` (a ClaimIndex) is given.
    Malformed records are passed to `on_problem` (default: ignored) and skipped. `workers` > 1 scores in that many
    processes, with the same result.
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
                                             on_problem=on_problem, workers=workers) for r in chunk]
    return records_frame(records, session.model.labels)


def records_frame(records: Sequence[ScanRecord], labels: Sequence[str]) -> pd.DataFrame:
    """Scan records as a tidy DataFrame: platform, post_id, author, created_at (UTC), url, source, text, one float64
    column per label, flags, evidence, claim_id, claim_similarity, priority, model_version, content_sha256,
    duplicate_of ("platform:post_id" of the first post with the same content, None for a first post)."""
    columns = ["platform", "post_id", "author", "created_at", "url", "source", "text", *labels, "flags",
               "evidence", "claim_id", "claim_similarity", "priority", "model_version", "content_sha256",
               "duplicate_of"]
    rows = [{"platform": r.platform, "post_id": r.post_id, "author": r.author, "created_at": r.created_at,
             "url": r.url, "source": r.source, "text": r.text, "flags": r.flags, "evidence": r.evidence,
             "priority": r.priority, "model_version": r.model_version, "content_sha256": r.content_sha256,
             "duplicate_of": key_text(r.duplicate_of), **r.scores, "claim_id": r.claim.get("claim_id"),
             "claim_similarity": r.claim.get("similarity")}
            for r in records]
    frame = pd.DataFrame(rows, columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    for name in (*labels, "claim_similarity", "priority"):
        frame[name] = frame[name].astype("float64")
    return frame
