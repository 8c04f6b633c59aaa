"""The first pass of a Dask job: which posts are copies of a post in an earlier partition, found on the cluster."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.distributed._read import fs_path
from pipeline.posts import content_sha256
from pipeline.scoring import Reach

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
        "sha": [content_sha256(text) for text in posts["text"]],
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
    fs, root = fs_path(out, storage_options)
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
    fs, root = fs_path(out, storage_options)
    fs.makedirs(f"{root}/{COPIES_DIR}", exist_ok=True)
    written = entries.shuffle(on="part").map_partitions(
        write_entries, out, storage_options, meta=pd.DataFrame({"entries": []}, dtype="int64"),
        enforce_metadata=False)
    return int(written.compute()["entries"].sum())


def entries_of(out: str, number: int, storage_options: dict[str, Any] | None) -> dict[str, tuple[str, Reach]]:
    """Partition `number`'s copy entries: text SHA-256 -> (its first post's key, that post's reach)."""
    fs, root = fs_path(out, storage_options)
    path = f"{root}/{COPIES_DIR}/part.{number}.parquet"
    if not fs.exists(path):
        return {}
    with fs.open(path, "rb") as handle:
        rows = pq.read_table(handle).to_pylist()
    return {r["sha"]: (r["first"], (r["shares"], r["views"], r["followers"])) for r in rows}
