"""The scoring pass of a Dask job: a partition's posts scored on a worker and written as Parquet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from pipeline.claims import ClaimIndex
from pipeline.classify.artifact import Model, load_model
from pipeline.distributed._copies import entries_of
from pipeline.distributed._read import fs_path
from pipeline.errors import ModelError
from pipeline.ingest._time import JAKARTA
from pipeline.labels import FLAG_LABELS
from pipeline.posts import content_sha256
from pipeline.records import FLAT_COLUMNS, evidence_json, key_text
from pipeline.scoring import Assessment, Reach, Scorer

#: Posts scored at a time inside a partition.
SCORE_BATCH = 2000


def output_columns(labels: Sequence[str]) -> list[str]:
    """The scored dataset's columns: the flat record (FLAT_COLUMNS, as a local scan writes them: `duplicate_of` is
    "platform:post_id" of the first post with the same text, null for a first post), a score per label, the reach
    figures, capture time and `day`."""
    return [*FLAT_COLUMNS, *(f"score_{label}" for label in labels), "shares", "views", "followers", "captured_at",
            "day"]


def output_schema(labels: Sequence[str]) -> pa.Schema:
    """The scored dataset's Arrow schema (`output_columns`)."""
    def kind(name: str) -> pa.DataType:
        if name.startswith("score_") or name in ("priority", "claim_similarity"):
            return pa.float64()
        if name in ("shares", "views", "followers"):
            return pa.int64()
        if name in ("created_at", "captured_at"):
            return pa.timestamp("us", tz="UTC")
        return pa.string()

    return pa.schema([pa.field(name, kind(name)) for name in output_columns(labels)])


# A worker process keeps each model it loaded: (path, expected SHA-256) -> Model.
_MODELS: dict[tuple[str | None, str], Model] = {}


def worker_model(path: str | None, sha256: str) -> Model:
    """The model at `path` (None: the worker's shipped default), loaded once per worker process; ModelError unless
    its card names the file the driver was given (`sha256`), so every worker scores with the same model."""
    key = (path, sha256)
    model = _MODELS.get(key)
    if model is None:
        model = load_model(path)
        if model.card.get("model_sha256") != sha256:
            raise ModelError(f"the worker's model {path or '(shipped default)'} is not the driver's "
                             f"(SHA-256 {str(model.card.get('model_sha256'))[:12]}… instead of {sha256[:12]}…)")
        _MODELS[key] = model
    return model


def score_part(frame: pd.DataFrame, model_path: str | None, sha256: str, thresholds: dict[str, float],
               claims: ClaimIndex | None, out: str, storage_options: dict[str, Any] | None = None,
               partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """Score a read partition's posts and write them: one row per post into `<out>/scored/day=…/` and the flagged
    ones into `<out>/flagged/`, both under this partition's number, so a retried task rewrites the same files.

    Copies are marked as a local scan marks them: a post whose text an earlier post has (in an earlier partition,
    by the entries `find_copies` left for this one, or earlier in this partition) gets `duplicate_of` naming the
    first post, and that post's results. Each text is scored once per partition; a text whose first post is in
    another partition is scored again here (scoring is deterministic, so it gets the same results), and, as in
    `ScanRecord.copy_for`, a copy's priority is its first post's: computed from the first post's reach, which the
    entries carry, so the queue ranks a text by where it was first seen (its spread is counted when loaded).

    Returns the partition's summary (SUMMARY_COLUMNS): a row of counts, then one row per problem. Only that
    travels back, and scored rows are turned into Arrow a batch at a time, so a worker's memory stays flat however
    many partitions it scores.
    """
    model = worker_model(model_path, sha256)
    labels = model.labels
    scorer = Scorer(model, thresholds, claims)
    number = (partition_info or {}).get("number", 0)
    schema = output_schema(labels)
    posts = frame[frame["problem"].isna()]
    earlier = entries_of(out, number, storage_options)
    found: dict[str, _Result] = {}
    firsts: dict[str, str] = {}
    tables: list[pa.Table] = []
    captured = datetime.now(UTC)
    for start in range(0, len(posts), SCORE_BATCH):
        batch = posts.iloc[start:start + SCORE_BATCH]
        texts = batch["text"].tolist()
        digests = [content_sha256(text) for text in texts]
        new: dict[str, int] = {}
        for at, digest in enumerate(digests):
            if digest not in found:
                new.setdefault(digest, at)
        reach = _reach(batch, list(new.values()))
        reach = [earlier[d][1] if d in earlier else r for d, r in zip(new, reach, strict=True)]
        assessed = scorer.assess([texts[at] for at in new.values()], reach)
        found.update(zip(new, (_result(a, labels) for a in assessed), strict=True))
        duplicate_of: list[str | None] = []
        for platform, post_id, digest in zip(batch["platform"].tolist(), batch["post_id"].tolist(), digests,
                                             strict=True):
            if digest in earlier:
                duplicate_of.append(earlier[digest][0])
                continue
            first = firsts.get(digest)
            if first is None:
                firsts[digest] = key_text((platform, post_id))
            duplicate_of.append(first)
        tables.append(_table(batch, texts, digests, duplicate_of, [found[d] for d in digests], labels,
                             model.version, captured, schema))
    scored = pa.concat_tables(tables) if tables else schema.empty_table()
    flagged = scored.filter(pc.not_equal(scored["flags"], ""))
    fs, root = fs_path(out, storage_options)
    if scored.num_rows:
        pads.write_dataset(scored, f"{root}/scored", format="parquet", filesystem=fs,
                           partitioning=pads.partitioning(pa.schema([("day", pa.string())]), flavor="hive"),
                           basename_template=f"part.{number}.{{i}}.parquet",
                           existing_data_behavior="overwrite_or_ignore")
    with fs.open(f"{root}/flagged/part.{number}.parquet", "wb") as handle:
        pq.write_table(flagged, handle)
    return _summary(scored, _problems(frame))


#: A partition's summary: posts, copies, flagged posts and posts per flag label (first row), then problems (one
#: per row).
SUMMARY_COLUMNS = ("posts", "copies", "flagged", *FLAG_LABELS, "problem")


def _summary(scored: pa.Table, problems: list[str]) -> pd.DataFrame:
    flags = [f.split(";") if f else [] for f in scored["flags"].to_pylist()]
    counts: dict[str, Any] = {"posts": len(flags), "copies": len(flags) - scored["duplicate_of"].null_count,
                              "flagged": sum(1 for f in flags if f)}
    counts.update({label: sum(1 for f in flags if label in f) for label in FLAG_LABELS})
    rows = [counts | {"problem": None}]
    rows += [{name: 0 for name in SUMMARY_COLUMNS[:-1]} | {"problem": p} for p in problems]
    return summary_types(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)))


def summary_types(frame: pd.DataFrame) -> pd.DataFrame:
    for name in SUMMARY_COLUMNS[:-1]:
        frame[name] = frame[name].astype("int64")
    frame["problem"] = frame["problem"].astype(object)
    return frame


class _Result(NamedTuple):
    """A text's results as its output rows carry them: its scores in label order, the flags `;`-joined, the
    evidence as JSON, the priority and the matched claim."""

    scores: list[float]
    flags: str
    evidence: str
    priority: float
    claim_id: str | None
    claim_similarity: float | None


def _result(a: Assessment, labels: Sequence[str]) -> _Result:
    claim = a.evidence.get("claim") or {}
    return _Result([a.scores[label] for label in labels], ";".join(a.flags), evidence_json(a.evidence),
                   a.priority, claim.get("claim_id"), claim.get("similarity"))


def _reach(batch: pd.DataFrame, rows: list[int]) -> list[Reach]:
    """The reach figures (shares, views, followers) of these rows of a read partition, None where unknown."""
    columns = [[None if v is pd.NA else int(v) for v in batch[name].iloc[rows].tolist()]
               for name in ("shares", "views", "followers")]
    return list(zip(*columns, strict=True))


def _table(batch: pd.DataFrame, texts: list[str], digests: list[str], duplicate_of: list[str | None],
           results: list[_Result], labels: Sequence[str], version: str, captured: datetime,
           schema: pa.Schema) -> pa.Table:
    """A batch's output rows (`output_columns`) as one Arrow table, built a column at a time: the post's fields
    from the read partition, each row's results from its text's."""
    def strings(name: str) -> pa.Array:
        return pa.array([v if isinstance(v, str) else None for v in batch[name].tolist()], pa.string())

    created = batch["created_at"]
    # A batch spans few days: each distinct day is formatted once.
    midnights = created.dt.tz_convert(JAKARTA).dt.normalize()
    names = {day: day.date().isoformat() for day in midnights.dropna().unique()}
    days = [names.get(day, "unknown") for day in midnights.tolist()]
    columns: dict[str, Any] = {
        "platform": strings("platform"), "post_id": strings("post_id"), "author": strings("author"),
        "created_at": pa.Array.from_pandas(created).cast(pa.timestamp("us", tz="UTC"), safe=False),
        "url": strings("url"), "source": strings("source"), "text": pa.array(texts, pa.string()),
        "flags": [r.flags for r in results], "priority": [r.priority for r in results],
        "claim_id": [r.claim_id for r in results], "claim_similarity": [r.claim_similarity for r in results],
        "model_version": [version] * len(texts), "content_sha256": digests, "duplicate_of": duplicate_of,
        "evidence": [r.evidence for r in results],
        **{f"score_{label}": [r.scores[k] for r in results] for k, label in enumerate(labels)},
        **{name: pa.Array.from_pandas(batch[name], type=pa.int64()) for name in ("shares", "views", "followers")},
        "captured_at": pa.array([captured] * len(texts), pa.timestamp("us", tz="UTC")),
        "day": days,
    }
    return pa.Table.from_arrays([pa.array(columns[f.name], f.type) if not isinstance(columns[f.name], pa.Array)
                                 else columns[f.name] for f in schema], schema=schema)


def _problems(frame: pd.DataFrame) -> list[str]:
    return frame.loc[frame["problem"].notna(), "problem"].tolist()
