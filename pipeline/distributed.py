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

import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from pipeline.claims import ClaimIndex, claim_index
from pipeline.classify.artifact import Model, load_model
from pipeline.errors import ConfigError, InputError, ModelError
from pipeline.ingest._fields import as_text, parse_count
from pipeline.ingest._time import JAKARTA, parse_time
from pipeline.labels import FLAG_LABELS
from pipeline.posts import Post
from pipeline.priority import priority
from pipeline.records import FLAT_COLUMNS, ScanRecord, key_text
from pipeline.scoring import Assessment, Reach, Scorer
from pipeline.store import StoreLike, opened

#: Columns of a read partition: a post per row, or a skipped malformed record (`problem` set, no text).
READ_COLUMNS = ("platform", "post_id", "author", "url", "created_at", "shares", "views", "followers", "source",
                "text", "problem")
#: Conventional input column names read besides the text and id columns.
CONVENTIONAL = {"platform": "platform", "author": "author", "url": "url", "created_at": "created_at",
                "shares": "shares", "views": "views", "followers": "followers"}
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl",
           ".ndjson": "jsonl", ".json": "jsonl"}
#: Posts scored at a time inside a partition.
SCORE_BATCH = 2000
#: At most this many rows of a Parquet row group, or this many bytes of a JSONL file, per partition: a partition is
#: held whole in a worker's memory, so these bound it (about 10,000 posts either way).
PARTITION_ROWS = 10_000
DEFAULT_BLOCKSIZE = 4 * 2**20


@dataclass(frozen=True)
class Part:
    """One partition's input: a whole file, rows of a Parquet row group, or a byte block of a JSONL file.

    Parquet: `start` is the file row number of the part's first row, `offset` where it is in its row group and
    `length` the number of rows. JSONL: `start` and `length` are bytes.
    """

    url: str
    fmt: str
    row_group: int | None = None
    start: int = 0
    length: int | None = None
    problem: str | None = None
    offset: int = 0


@dataclass(frozen=True)
class Columns:
    """Which input columns hold what: the text, the id (None: `<file>:<row>`), the platform when there is no
    platform column, and the source name stamped on every post."""

    text: str = "text"
    id: str | None = None
    platform: str = "file"
    source: str | None = None


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


def plan_parts(inputs: Sequence[str], blocksize: int = DEFAULT_BLOCKSIZE,
               storage_options: dict[str, Any] | None = None) -> list[Part]:
    """The partitions of `inputs` (URLs, globs allowed). InputError when a URL matches no file."""
    import fsspec
    from fsspec.core import get_fs_token_paths

    parts: list[Part] = []
    for url in inputs:
        fs, _, paths = get_fs_token_paths(url, storage_options=storage_options or {})
        if not paths:
            raise InputError(f"{url}: no such file")
        for path in sorted(paths):
            full = fs.unstrip_protocol(path)
            fmt = _format_of(path)
            if fmt is None:
                raise InputError(f"{full}: use .parquet, .jsonl or .csv files (optionally .gz)")
            if fmt == "parquet":
                try:
                    with fsspec.open(full, "rb", **(storage_options or {})) as handle:
                        meta = pq.ParquetFile(handle).metadata
                except Exception as exc:  # any unreadable file: reported, the others go on
                    parts.append(Part(full, fmt, problem=f"{full}: not a readable Parquet file ({_reason(exc)})"))
                    continue
                rows = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
                first = 0
                for g, n in enumerate(rows):
                    parts.extend(Part(full, fmt, row_group=g, start=first + k, length=min(PARTITION_ROWS, n - k),
                                      offset=k) for k in range(0, max(n, 1), PARTITION_ROWS))
                    first += n
            elif fmt == "jsonl" and not path.endswith(".gz"):
                size = fs.size(path)
                parts.extend(Part(full, fmt, start=s, length=blocksize) for s in range(0, max(size, 1), blocksize))
            else:
                parts.append(Part(full, fmt))
    return parts


def _format_of(path: str) -> str | None:
    name = path[:-3] if path.endswith(".gz") else path
    return FORMATS.get(Path(name).suffix.lower())


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def read_part(part: Part, spec: Columns, storage_options: dict[str, Any] | None = None) -> pd.DataFrame:
    """One partition as READ_COLUMNS rows; a malformed record or an unreadable file becomes a `problem` row."""
    columns = spec
    import fsspec
    from fsspec.utils import read_block

    if part.problem is not None:
        return _frame([], [part.problem])
    try:
        with fsspec.open(part.url, "rb", compression="infer", **(storage_options or {})) as handle:
            if part.fmt == "parquet":
                group = pq.ParquetFile(handle).read_row_group(part.row_group or 0)
                rows = group.slice(part.offset, part.length).to_pylist()
                return _posts(rows, part, columns, part.start, [])
            if part.fmt == "jsonl":
                data = handle.read() if part.length is None else read_block(handle, part.start, part.length,
                                                                           delimiter=b"\n")
                return _jsonl(data, part, columns)
            problems: list[str] = []

            def bad(fields: list[str]) -> None:
                problems.append(f"{part.url}: a row with {len(fields)} fields; skipped")

            frame = pd.read_csv(handle, dtype=str, keep_default_na=False, sep=None, engine="python",
                                on_bad_lines=bad)
    except Exception as exc:  # any unreadable file: reported, the others go on
        return _frame([], [f"{_where(part)}: unreadable ({_reason(exc)})"])
    if columns.text not in frame.columns:
        return _frame([], [f"{part.url}: no text column {columns.text!r}"])
    return _posts(frame.to_dict(orient="records"), part, columns, 0, problems)


def _where(part: Part) -> str:
    if part.row_group is not None:
        return f"{part.url} (row group {part.row_group})"
    return f"{part.url} (bytes from {part.start})" if part.length is not None else part.url


def _jsonl(data: bytes, part: Part, columns: Columns) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    offset = part.start
    for line in data.split(b"\n"):
        here, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            problems.append(f"{part.url}: byte {here}: invalid JSON ({exc.msg}); skipped")
            continue
        if not isinstance(row, dict):
            problems.append(f"{part.url}: byte {here}: not a JSON object; skipped")
            continue
        row.setdefault("_row", f"@{here}")
        rows.append(row)
    return _posts(rows, part, columns, None, problems)


def _posts(rows: list[dict[str, Any]], part: Part, columns: Columns, first_row: int | None,
           problems: list[str]) -> pd.DataFrame:
    """Input rows (dicts) as posts; rows without text or with an unreadable time or count are problems."""
    name = part.url.rsplit("/", 1)[-1]
    posts: list[Post] = []
    for i, row in enumerate(rows):
        where = f"{name}:{row.pop('_row', None) or (first_row or 0) + i + 1}"
        text = as_text(row.get(columns.text))
        if not text:
            problems.append(f"{part.url}: {where}: no text in column {columns.text!r}; skipped")
            continue
        post_id = as_text(row.get(columns.id)) if columns.id else where
        if not post_id:
            problems.append(f"{part.url}: {where}: no id in column {columns.id!r}; skipped")
            continue
        try:
            created = parse_time(row.get("created_at"), JAKARTA)
            counts = {n: parse_count(row.get(n)) for n in ("shares", "views", "followers")}
        except ValueError as exc:
            problems.append(f"{part.url}: {where}: {_reason(exc)}; skipped")
            continue
        posts.append(Post(platform=as_text(row.get("platform")) or columns.platform, post_id=post_id, text=text,
                          author=as_text(row.get("author")), url=as_text(row.get("url")), created_at=created,
                          source=columns.source, **counts))
    return _frame(posts, problems)


def _frame(posts: list[Post], problems: list[str]) -> pd.DataFrame:
    rows = [{"platform": p.platform, "post_id": p.post_id, "author": p.author, "url": p.url,
             "created_at": p.created_at, "shares": p.shares, "views": p.views, "followers": p.followers,
             "source": p.source, "text": p.text, "problem": None} for p in posts]
    rows += [{name: None for name in READ_COLUMNS} | {"problem": problem} for problem in problems]
    return _read_types(pd.DataFrame(rows, columns=list(READ_COLUMNS)))


def _read_types(frame: pd.DataFrame) -> pd.DataFrame:
    for name in ("platform", "post_id", "author", "url", "source", "text", "problem"):
        frame[name] = frame[name].astype(object)
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    for name in ("shares", "views", "followers"):
        frame[name] = frame[name].astype("Int64")
    return frame


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


#: A post's place in the input order: its partition's number times ORDER_SPAN plus its row among the partition's
#: posts (partitions in planned order, then rows in their order within the partition).
ORDER_SPAN = 2**32
#: Rows of the first pass: a text (`sha`, its SHA-256) with the first post that has it in a partition: that post's
#: place in the input order, its key ("platform:post_id") and its reach.
HASH_COLUMNS = ("sha", "order", "key", "shares", "views", "followers")
#: Copy entries: partition `part` has posts with text `sha` whose first post, `first`, is in an earlier partition
#: (with that post's reach, which a copy's priority is computed from).
ENTRY_COLUMNS = ("part", "sha", "first", "shares", "views", "followers")
#: Where the first pass leaves each partition's copy entries (`part.N.parquet`) for the scoring pass, under the
#: output directory; removed when the job is done. Readers of Parquet datasets skip `_` names.
COPIES_DIR = "_copies"


def hash_part(frame: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """The first pass over a read partition: a HASH_COLUMNS row per distinct text, for its first post there (later
    posts with the same text in the partition are found again when it is scored)."""
    number = (partition_info or {}).get("number", 0)
    posts = frame[frame["problem"].isna()]
    out = pd.DataFrame({
        "sha": [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in posts["text"]],
        "order": number * ORDER_SPAN + np.arange(len(posts), dtype="int64"),
        "key": [f"{platform}:{post_id}" for platform, post_id in zip(posts["platform"], posts["post_id"],
                                                                        strict=True)],
        **{name: posts[name].to_numpy() for name in ("shares", "views", "followers")}})
    return _hash_types(out.drop_duplicates("sha", keep="first"))


def _hash_types(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"sha": object, "order": "int64", "key": object})
    for name in ("shares", "views", "followers"):
        frame[name] = frame[name].astype("Int64")
    return frame.reset_index(drop=True)


def first_posts(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy entries (ENTRY_COLUMNS) from first-pass rows holding every row of the texts they have: each text's
    first post is its row earliest in the input order, and every later row's partition gets an entry naming it."""
    frame = frame.sort_values("order")
    later = frame.duplicated("sha", keep="first")
    firsts = frame[~later].set_index("sha")
    copies = frame[later]
    first = firsts.loc[copies["sha"]]
    out = pd.DataFrame({"part": (copies["order"] // ORDER_SPAN).to_numpy(), "sha": copies["sha"].to_numpy(),
                        "first": first["key"].to_numpy(),
                        **{name: first[name].to_numpy() for name in ("shares", "views", "followers")}})
    return _entry_types(out)


def _entry_types(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"part": "int64", "sha": object, "first": object})
    for name in ("shares", "views", "followers"):
        frame[name] = frame[name].astype("Int64")
    return frame


def write_entries(frame: pd.DataFrame, out: str, storage_options: dict[str, Any] | None = None) -> pd.DataFrame:
    """Write copy entries holding every entry of the partitions they name: one file per partition, so a
    retried task rewrites the same files. Returns how many entries it wrote."""
    fs, root = _fs(out, storage_options)
    for part, entries in frame.groupby("part", sort=False):
        table = pa.Table.from_pandas(entries.drop(columns="part"), preserve_index=False)
        with fs.open(f"{root}/{COPIES_DIR}/part.{int(part)}.parquet", "wb") as handle:
            pq.write_table(table, handle)
    return pd.DataFrame({"entries": [len(frame)]}, dtype="int64")


def find_copies(read: Any, out: str, storage_options: dict[str, Any] | None = None) -> int:
    """The first pass: read every partition (`read`, a Dask DataFrame of READ_COLUMNS rows) and leave, for each
    partition holding copies of a post in an earlier partition, its entries (text -> that first post) in
    `<out>/_copies/`. Nothing but counts reaches the driver: the partitions' distinct texts are shuffled by text
    to find each one's first post, then the entries are shuffled by the partition that needs them. Returns the
    number of entries (partition, text)."""
    hashes = read.map_partitions(hash_part, meta=_hash_types(pd.DataFrame(columns=list(HASH_COLUMNS))),
                                 enforce_metadata=False)
    entries = hashes.shuffle(on="sha").map_partitions(
        first_posts, meta=_entry_types(pd.DataFrame(columns=list(ENTRY_COLUMNS))), enforce_metadata=False)
    fs, root = _fs(out, storage_options)
    fs.makedirs(f"{root}/{COPIES_DIR}", exist_ok=True)
    written = entries.shuffle(on="part").map_partitions(
        write_entries, out, storage_options, meta=pd.DataFrame({"entries": []}, dtype="int64"),
        enforce_metadata=False)
    return int(written.compute()["entries"].sum())


def _entries_of(out: str, number: int, storage_options: dict[str, Any] | None) -> dict[str, tuple[str, Reach]]:
    """Partition `number`'s copy entries: text SHA-256 -> (its first post's key, that post's reach)."""
    fs, root = _fs(out, storage_options)
    path = f"{root}/{COPIES_DIR}/part.{number}.parquet"
    if not fs.exists(path):
        return {}
    with fs.open(path, "rb") as handle:
        rows = pq.read_table(handle).to_pylist()
    return {r["sha"]: (r["first"], (r["shares"], r["views"], r["followers"])) for r in rows}


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
    earlier = _entries_of(out, number, storage_options)
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
    fs, root = _fs(out, storage_options)
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
    return _summary_types(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)))


def _summary_types(frame: pd.DataFrame) -> pd.DataFrame:
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
        meta_read = _read_types(pd.DataFrame(columns=list(READ_COLUMNS)))
        read = dd.from_map(read_part, parts, args=(columns, storage_options), meta=meta_read,
                           enforce_metadata=False)
        target = out.rstrip("/")
        _clear(target, storage_options)
        first_pass = time.perf_counter()
        find_copies(read, target, storage_options)
        first_pass = time.perf_counter() - first_pass
        meta = _summary_types(pd.DataFrame(columns=list(SUMMARY_COLUMNS)))
        summaries = read.map_partitions(score_part, model_path, sha256, resolved, claims_arg, target,
                                        storage_options, meta=meta, enforce_metadata=False)
        summary = summaries.compute()
    finally:
        for thing in owned:
            thing.close()
    fs, root = _fs(target, storage_options)
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
    fs, root = _fs(out, storage_options)
    for name in ("scored", "flagged", COPIES_DIR):
        if fs.exists(f"{root}/{name}"):
            fs.rm(f"{root}/{name}", recursive=True)
        fs.makedirs(f"{root}/{name}", exist_ok=True)


def _write_empty(out: str, labels: Sequence[str], storage_options: dict[str, Any] | None) -> None:
    """A job without a single post still leaves two readable (empty) datasets with the output schema."""
    fs, root = _fs(out, storage_options)
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
    return _fs(url, storage_options)[0] if "://" in url else None


def _fs(url: str, storage_options: dict[str, Any] | None) -> tuple[Any, str]:
    """(the fsspec filesystem of `url`, the path within it)."""
    from fsspec.core import url_to_fs

    return url_to_fs(url, **(storage_options or {}))


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
