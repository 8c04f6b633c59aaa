"""One batch scan: ingest -> de-duplicate -> score -> flag -> store/enqueue, streamed in chunks.

The library entry points are `scan` (inputs -> DataFrame, for notebooks) and `scan_items` (the streaming core the
CLI and patrol runs drive: it yields each chunk's records, so memory stays flat however large the input).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.claims import claim_index
from pipeline.classify.artifact import Model, load_model
from pipeline.classify.explain import explain_row
from pipeline.errors import ProblemHandler
from pipeline.ingest.base import Item
from pipeline.ingest.files import FilesIngestor
from pipeline.labels import FLAG_LABELS
from pipeline.posts import Post
from pipeline.review import priority


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


class Scorer:
    """Scores posts with a model (and optionally a known-claims index) into scan records."""

    def __init__(self, model: Model, thresholds: dict[str, float] | None = None, claims: Any = None,
                 top_terms: int = 5) -> None:
        self.model = model
        self.thresholds = model.resolve_thresholds(thresholds)
        self.claims = claims
        self.top_terms = top_terms
        self._labels = model.labels
        self._flag_idx = [(label, self._labels.index(label)) for label in FLAG_LABELS if label in self._labels]

    def score(self, posts: Sequence[Post]) -> list[dict[str, Any]]:
        """One record per post: scores, flags, evidence, priority, model version and the post's own fields."""
        if not posts:
            return []
        clf = self.model.estimator
        M, normalized, stemmed = clf.featurize([p.text for p in posts])
        proba = clf.proba_from_features(M)
        matches: list[Any] = [None] * len(posts)
        if self.claims is not None:
            hoax = self._labels.index("hoax")
            matches = self.claims.best_matches([p.text for p in posts])
            similarity = np.array([m.similarity if m is not None else 0.0 for m in matches])
            # A match raises the hoax score past this model's own hoax threshold, so it flags by itself.
            proba[:, hoax] = self.claims.combine_hoax(proba[:, hoax], similarity,
                                                      flag_threshold=self.thresholds["hoax"])
        captured = datetime.now(UTC)
        records = []
        for i, (post, row) in enumerate(zip(posts, proba.tolist(), strict=True)):
            scores = {label: round(p, 6) for label, p in zip(self._labels, row, strict=True)}
            flags = [label for label, j in self._flag_idx if row[j] >= self.thresholds[label]]
            evidence: dict[str, Any] = {}
            if flags:
                evidence.update(explain_row(clf, M[i], normalized[i], stemmed[i], flags, self.top_terms))
            if matches[i] is not None:
                evidence["claim"] = matches[i].as_evidence()
            records.append({
                "platform": post.platform, "post_id": post.post_id, "text": post.text, "author": post.author,
                "url": post.url, "created_at": post.created_at, "shares": post.shares, "views": post.views,
                "followers": post.followers, "source": post.source, "raw": post.raw,
                "content_sha256": post.content_sha256, "captured_at": captured, "scores": scores, "flags": flags,
                "evidence": evidence, "model_version": self.model.version,
                "priority": priority(scores, flags, post.shares, post.views, post.followers) if flags else 0.0,
            })
        return records


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


def scan_items(items: Iterable[Item], scorer: Scorer, *, store: Any = None, source: str | None = None,
               chunk_size: int = 2000, on_problem: ProblemHandler | None = None,
               summary: ScanSummary | None = None, skip_known: bool = False) -> Iterator[list[dict[str, Any]]]:
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
            for label in record["flags"]:
                summary.flagged[label] += 1
            summary.flagged_posts += bool(record["flags"])
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


def records_frame(records: list[dict[str, Any]], labels: Sequence[str]) -> pd.DataFrame:
    """Scan records as a tidy DataFrame: post fields, one float column per label, flags, evidence, priority."""
    columns = ["platform", "post_id", "author", "created_at", "url", "source", "text", *labels, "flags",
               "evidence", "claim_id", "claim_similarity", "priority", "model_version", "content_sha256"]
    rows = []
    for r in records:
        claim = r["evidence"].get("claim") or {}
        rows.append({**{k: r[k] for k in ("platform", "post_id", "author", "created_at", "url", "source", "text",
                                          "flags", "evidence", "priority", "model_version", "content_sha256")},
                     **r["scores"], "claim_id": claim.get("claim_id"), "claim_similarity": claim.get("similarity")})
    frame = pd.DataFrame(rows, columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    for label in labels:
        frame[label] = frame[label].astype("float64")
    frame["claim_similarity"] = frame["claim_similarity"].astype("float64")
    frame["priority"] = frame["priority"].astype("float64")
    return frame


def scan(inputs: str | Path | Sequence[str | Path] | Iterable[Post], *, model: Model | str | Path | None = None,
         text_column: str = "text", id_column: str | None = None, thresholds: dict[str, float] | None = None,
         db: Any = None, claims: Any = None, chunk_size: int = 2000,
         on_problem: ProblemHandler | None = None) -> pd.DataFrame:
    """Scan files (paths, globs, directories) or `Post`s and return one row per post.

    Columns: platform, post_id, author, created_at (UTC), url, source, text, one float column per label, flags
    (list of labels), evidence (dict: label -> [(term, weight)], "claim" -> matched claim), claim_id,
    claim_similarity, priority, model_version, content_sha256. With `db` (a URL or Store), every post is stored,
    flagged ones are enqueued for review, and the database's known claims are matched unless `claims` (a
    ClaimIndex) is given. Malformed records are passed to `on_problem` (default: ignored) and skipped.
    """
    model = model if isinstance(model, Model) else load_model(model)
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    inputs = list(inputs)
    if inputs and all(isinstance(p, Post) for p in inputs):
        items: Iterable[Item] = (Item(post=p) for p in inputs)
    else:
        items = file_items(inputs, text_column=text_column, id_column=id_column)
    from pipeline.store import Store

    store = Store.open(db) if isinstance(db, str) else db
    try:
        if claims is None and store is not None:
            claims = claim_index(store)
        scorer = Scorer(model, thresholds, claims)
        records = [r for chunk in scan_items(items, scorer, store=store, chunk_size=chunk_size,
                                             on_problem=on_problem) for r in chunk]
    finally:
        if isinstance(db, str) and store is not None:
            store.close()
    return records_frame(records, model.labels)

