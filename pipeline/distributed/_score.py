"""The scoring pass of a Dask job: a partition's posts scored on a worker and written as Parquet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

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
from pipeline.posts import Post
from pipeline.records import FLAT_COLUMNS, ScanRecord, key_text
from pipeline.scoring import Assessment, Scorer

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
    found: dict[str, Assessment] = {}
    firsts: dict[str, str] = {}
    tables: list[pa.Table] = []
    captured = datetime.now(UTC)
    for start in range(0, len(posts), SCORE_BATCH):
        batch = [_post(row) for row in posts.iloc[start:start + SCORE_BATCH].itertuples(index=False)]
        digests = [p.content_sha256 for p in batch]
        new: dict[str, Post] = {}
        for post, digest in zip(batch, digests, strict=True):
            if digest not in found:
                new.setdefault(digest, post)
        reach = [earlier[d][1] if d in earlier else (p.shares, p.views, p.followers) for d, p in new.items()]
        found.update(zip(new, scorer.assess([p.text for p in new.values()], reach), strict=True))
        rows = []
        for post, digest in zip(batch, digests, strict=True):
            a = found[digest]
            if digest in earlier:
                duplicate_of: str | None = earlier[digest][0]
            else:
                duplicate_of = firsts.get(digest)
                if duplicate_of is None:
                    firsts[digest] = key_text(post.key)
            record = ScanRecord.of(post, scores=a.scores, flags=a.flags, evidence=a.evidence, priority=a.priority,
                                   model_version=model.version, captured_at=captured)
            row = record.flat(labels)
            row.update(duplicate_of=duplicate_of, created_at=post.created_at, shares=post.shares, views=post.views,
                       followers=post.followers, captured_at=captured, day=_day(post.created_at))
            rows.append(row)
        tables.append(pa.Table.from_pylist(rows, schema=schema))
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


def _post(row: Any) -> Post:
    def value(name: str) -> Any:
        v = getattr(row, name)
        return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v

    created = value("created_at")
    return Post(platform=row.platform, post_id=row.post_id, text=row.text, author=value("author"),
                url=value("url"), created_at=created.to_pydatetime() if created is not None else None,
                shares=_int(value("shares")), views=_int(value("views")), followers=_int(value("followers")),
                source=value("source"))


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _day(created: datetime | None) -> str:
    return created.astimezone(JAKARTA).date().isoformat() if created is not None else "unknown"


def _problems(frame: pd.DataFrame) -> list[str]:
    return frame.loc[frame["problem"].notna(), "problem"].tolist()
