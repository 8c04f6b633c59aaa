"""The project's own hand-written sample posts, with their metadata and expected labels, for notebooks and demos."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.config import SAMPLES_DIR
from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.posts import Post
from pipeline.scan import file_items

LABELLED_FILES = ("posts.csv", "posts.jsonl")
_COLUMNS = {"id_column": "id", "time_column": "created_at", "author_column": "author",
            "platform_column": "platform", "shares_column": "shares", "views_column": "views",
            "followers_column": "followers"}


def sample_posts(files: Sequence[str | Path] = LABELLED_FILES) -> list[Post]:
    """The sample posts as `Post`s with platform, author, created_at and reach figures filled in.

    `files` are names inside data/samples (or any paths) in the samples' column layout; each post's `source` is
    "samples/<file name>". `pipeline.scan(posts)` scores them like any other input.
    """
    posts = []
    for name in files:
        path = Path(name) if Path(name).is_absolute() else SAMPLES_DIR / name
        for item in file_items([path], source=f"samples/{path.name}", **_COLUMNS):
            if item.problem is not None:
                raise InputError(f"sample file problem: {item.problem}")
            if item.post is not None:
                posts.append(item.post)
    return posts


def sample_labels() -> pd.DataFrame:
    """Expected labels of the labelled samples: post_id, text, then one 0/1 float column per label."""
    csv = pd.read_csv(SAMPLES_DIR / "posts.csv", dtype=str, keep_default_na=False)
    csv["expected_labels"] = csv["expected_labels"].map(lambda s: [x for x in s.split(";") if x])
    jsonl = pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True, dtype={"id": str})
    both = pd.concat([csv[["id", "text", "expected_labels"]], jsonl[["id", "text", "expected_labels"]]],
                     ignore_index=True)
    out = pd.DataFrame({"post_id": both["id"].astype(str), "text": both["text"].astype(str)})
    for label in LABELS:
        out[label] = both["expected_labels"].map(lambda labels, lab=label: float(lab in labels)).astype("float64")
    return out.sort_values("post_id", ignore_index=True)
