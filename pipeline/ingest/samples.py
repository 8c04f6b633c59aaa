"""The project's own hand-written sample posts (data/samples), read as `Post`s for notebooks and demos."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.config import SAMPLES_DIR
from pipeline.errors import InputError
from pipeline.ingest.files import FilesIngestor
from pipeline.posts import Post

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
        ingestor = FilesIngestor(paths=[str(path)], platform="file", auto_columns=True,
                                 source=f"samples/{path.name}", **_COLUMNS)
        for item in ingestor.iter_posts(None):
            if item.problem is not None:
                raise InputError(f"sample file problem: {item.problem}")
            if item.post is not None:
                posts.append(item.post)
    return posts
