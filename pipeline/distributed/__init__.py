"""The same scoring on a Dask cluster, for archives one machine cannot get through (extra `patroli[dask]`).

    result = score_dataset("s3://arsip/2026/*.parquet", "s3://arsip/scored", scheduler="tcp://10.0.0.5:8786")
    load_flagged(result.flagged, "postgresql+psycopg://patroli@db/patroli")     # idempotent

Inputs are CSV, JSONL or Parquet files at any fsspec URL (local paths, `s3://`, `gs://`, `hdfs://` once the
matching fsspec backend is installed), optionally gzipped. They are cut into partitions of about 10,000 posts
(Parquet: row groups, split when larger; JSONL: byte blocks split at line ends; CSV and gzipped files: one per
file), read and scored on the workers with `map_partitions` through `Scorer.assess`, the code a local scan uses;
each task writes its own output files and returns only counts, so a worker's memory stays flat. Copies are marked as
a local scan marks them (`duplicate_of`): a first, cheaper pass over the inputs finds each text's first post with two
shuffles on the cluster, never on the driver (`find_copies`). The model travels by path: each worker process loads
it once (checked against the driver's card) and keeps it for every later task; the known-claims index, when there
is one, is sent to each worker once. A malformed line or an unreadable file is reported and skipped; the rest is
scored. The result is a Parquet dataset partitioned by day (`day=YYYY-MM-DD`, WIB; `day=unknown` without a time)
with one row per post, plus the flagged subset; a re-run overwrites both.

Dask is imported only here, and only when a job runs, so the core package does not depend on it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from pipeline.claims import ClaimIndex, claim_index
from pipeline.classify.artifact import load_model
from pipeline.distributed._copies import COPIES_DIR, find_copies
from pipeline.distributed._read import (
    DEFAULT_BLOCKSIZE,
    READ_COLUMNS,
    Columns,
    count_lines,
    fs_path,
    number_lines,
    plan_parts,
    read_part,
    read_types,
)
from pipeline.distributed._score import (
    SUMMARY_COLUMNS,
    output_schema,
    score_part,
    summary_types,
)
from pipeline.errors import ConfigError, InputError
from pipeline.labels import FLAG_LABELS
from pipeline.priority import priority
from pipeline.records import ScanRecord
from pipeline.store import StoreLike, opened

__all__ = ["Columns", "DaskResult", "load_flagged", "score_dataset"]


@dataclass
class DaskResult:
    """What a Dask scan did: posts scored, copies among them (posts whose text an earlier post has), flagged posts,
    malformed records skipped (with their messages), where the scored and flagged datasets are, how long it took
    and how much of that the first pass (finding the copies) took."""

    posts: int
    flagged_posts: int
    problems: list[str]
    scored: str
    flagged: str
    seconds: float
    partitions: int
    flags: dict[str, int] = field(default_factory=dict)
    copies: int = 0
    first_pass_seconds: float = 0.0

    def line(self) -> str:
        per_label = ", ".join(f"{label} {n}" for label, n in self.flags.items())
        rate = self.posts / self.seconds if self.seconds > 0 else 0.0
        return (f"{self.posts} posts scanned ({self.copies} copies of earlier posts) in {self.partitions} "
                f"partitions, {self.flagged_posts} flagged ({per_label}); {len(self.problems)} malformed records "
                f"skipped; {rate:,.0f} posts/s (copies found in {self.first_pass_seconds:,.1f} s); "
                f"scored: {self.scored}; flagged: {self.flagged}")


def score_dataset(inputs: str | Sequence[str], out: str, *, model: str | Path | None = None,
                  scheduler: str | None = None, workers: int | None = None, columns: Columns | None = None,
                  thresholds: dict[str, float] | None = None, db: StoreLike | None = None,
                  claims: ClaimIndex | None = None, blocksize: int = DEFAULT_BLOCKSIZE,
                  storage_options: dict[str, Any] | None = None, client: Any = None) -> DaskResult:
    """Score `inputs` (URLs or globs) on a Dask cluster and write `<out>/scored` (partitioned by day) and
    `<out>/flagged`.

    The cluster: `client` (a `distributed.Client`), else the scheduler at `scheduler` ("tcp://host:8786"), else a
    local cluster of `workers` processes (default: the machine's cores) for the job's duration. `model` must be a
    path every worker can read (None: each worker's shipped default; either way checked against the driver's
    card). Known claims: `claims`, else those of the database `db` (when given). Returns counts and the problems.

    Copies within the job's inputs are marked as in a local scan (`score_part`): `duplicate_of` names the first
    post with the same text in input order (the planned partitions in order: inputs as given, a glob's files
    sorted, then rows in file order). The inputs are read twice: once to find the copies (`find_copies`), once
    to score. Posts already stored in a database are not looked up here; `load_flagged` stores a flagged post
    whose text is stored already as a copy.
    """
    try:
        import dask.dataframe as dd
        from dask.distributed import Client, LocalCluster
    except ImportError as err:
        raise ConfigError("the Dask engine needs the dask extra: pip install 'patroli[dask]'") from err

    start = datetime.now(UTC)
    inputs = [inputs] if isinstance(inputs, str) else list(inputs)
    columns = columns or Columns()
    # The driver loads the model too: to check it and resolve thresholds before any worker starts.
    model_path = None if model is None else str(Path(model).resolve())
    driver = load_model(model_path)
    labels, resolved, sha256 = driver.labels, driver.resolve_thresholds(thresholds), driver.card["model_sha256"]
    if claims is None and db is not None:
        with opened(db) as store:
            claims = claim_index(store)
    parts = plan_parts(inputs, blocksize, storage_options)
    if not parts:
        raise InputError("no input files")
    owned: list[Any] = []
    if client is None:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers or None, threads_per_worker=1, processes=True,
                                   dashboard_address=":0")
            client = Client(cluster)
            owned.append(cluster)
        owned.insert(0, client)
    try:
        claims_arg: Any = client.scatter(claims, broadcast=True, hash=False) if claims is not None else None
        parts = number_lines(parts, lambda blocks: client.gather(
            client.map(count_lines, blocks, storage_options=storage_options, pure=False)))
        meta_read = read_types(pd.DataFrame(columns=list(READ_COLUMNS)))
        read = dd.from_map(read_part, parts, args=(columns, storage_options), meta=meta_read,
                           enforce_metadata=False)
        target = out.rstrip("/")
        _clear(target, storage_options)
        first_pass = time.perf_counter()
        find_copies(read, target, storage_options)
        first_pass = time.perf_counter() - first_pass
        meta = summary_types(pd.DataFrame(columns=list(SUMMARY_COLUMNS)))
        summaries = read.map_partitions(score_part, model_path, sha256, resolved, claims_arg, target,
                                        storage_options, meta=meta, enforce_metadata=False)
        summary = summaries.compute()
    finally:
        for thing in owned:
            thing.close()
    fs, root = fs_path(target, storage_options)
    fs.rm(f"{root}/{COPIES_DIR}", recursive=True)
    seconds = (datetime.now(UTC) - start).total_seconds()
    counts = summary.loc[summary["problem"].isna()]
    if not int(counts["posts"].sum()):
        _write_empty(target, labels, storage_options)
    return DaskResult(posts=int(counts["posts"].sum()), copies=int(counts["copies"].sum()),
                      flagged_posts=int(counts["flagged"].sum()), first_pass_seconds=round(first_pass, 1),
                      problems=summary.loc[summary["problem"].notna(), "problem"].tolist(),
                      scored=f"{target}/scored", flagged=f"{target}/flagged", seconds=seconds,
                      partitions=len(parts),
                      flags={label: int(counts[label].sum()) for label in FLAG_LABELS if label in labels})


def _clear(out: str, storage_options: dict[str, Any] | None) -> None:
    """Remove an earlier run's scored and flagged datasets (a re-run overwrites them) and copy entries, and make
    their folders."""
    fs, root = fs_path(out, storage_options)
    for name in ("scored", "flagged", COPIES_DIR):
        if fs.exists(f"{root}/{name}"):
            fs.rm(f"{root}/{name}", recursive=True)
        fs.makedirs(f"{root}/{name}", exist_ok=True)


def _write_empty(out: str, labels: Sequence[str], storage_options: dict[str, Any] | None) -> None:
    """A job without a single post still leaves two readable (empty) datasets with the output schema."""
    fs, root = fs_path(out, storage_options)
    schema = output_schema(labels)
    for name, fields in (("scored", schema.remove(schema.get_field_index("day"))), ("flagged", schema)):
        with fs.open(f"{root}/{name}/part.empty.parquet", "wb") as handle:
            pq.write_table(fields.empty_table(), handle)


def load_flagged(flagged: str, db: StoreLike = None, *, batch: int = 2000,
                 storage_options: dict[str, Any] | None = None) -> tuple[int, int, int]:
    """Load a flagged dataset (written by `score_dataset`) into the review queue of `db`, from this process.

    Idempotent: a post already stored is skipped, a text already stored becomes a copy of its first post, so a job
    killed mid-way and run again adds nothing twice. First posts are loaded before the copies (rows with
    `duplicate_of`), so each copy is stored as a copy of the post the dataset names, whatever the order of its
    files. Returns (posts stored, copies stored, items enqueued).
    """
    dataset = pads.dataset(flagged, format="parquet", filesystem=_filesystem(flagged, storage_options))
    column = pc.field("duplicate_of")
    # A dataset written before copies were marked has no duplicate_of: it is loaded in one go, as it was then.
    filters = [column.is_null(), column.is_valid()] if "duplicate_of" in dataset.schema.names else [None]
    stored = copies = enqueued = 0
    with opened(db) as store:
        labels = [c.removeprefix("score_") for c in dataset.schema.names if c.startswith("score_")]
        for where in filters:
            for table in _batches(dataset, batch, where):
                records = [_record(row, labels) for row in table.to_pylist()]
                result = store.save_scan(records, rank=priority)
                stored, copies = stored + result.stored, copies + result.copies
                enqueued += result.enqueued
    return stored, copies, enqueued


def _filesystem(url: str, storage_options: dict[str, Any] | None) -> Any:
    return fs_path(url, storage_options)[0] if "://" in url else None


def _batches(dataset: pads.Dataset, size: int, where: pc.Expression | None = None) -> Iterator[pa.Table]:
    for batch in dataset.to_batches(batch_size=size, filter=where):
        yield pa.Table.from_batches([batch])


def _record(row: dict[str, Any], labels: list[str]) -> ScanRecord:
    evidence = json.loads(row["evidence"]) if row.get("evidence") else {}
    return ScanRecord(platform=row["platform"], post_id=row["post_id"], text=row["text"],
                      scores={label: row[f"score_{label}"] for label in labels},
                      flags=[f for f in (row["flags"] or "").split(";") if f], evidence=evidence,
                      priority=float(row["priority"] or 0.0), model_version=row["model_version"],
                      captured_at=row["captured_at"], author=row["author"], url=row["url"],
                      created_at=row["created_at"], shares=row["shares"], views=row["views"],
                      followers=row["followers"], source=row["source"], content_sha256=row["content_sha256"])
