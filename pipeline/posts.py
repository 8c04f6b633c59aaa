"""`Post`: the one record every stage passes on, from ingestors to the review queue."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def content_sha256(text: str) -> str:
    """SHA-256 of a post text as captured (UTF-8): the evidence hash and the content de-duplication key."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Post:
    """One social-media post.

    `platform` and `post_id` identify it; `created_at` is timezone-aware when known; `shares`, `views` and
    `followers` are reach figures where the source has them; `raw` keeps the source record as read.
    """

    platform: str
    post_id: str
    text: str
    author: str | None = None
    url: str | None = None
    created_at: datetime | None = None
    shares: int | None = None
    views: int | None = None
    followers: int | None = None
    source: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.created_at is not None and self.created_at.tzinfo is None:
            raise ValueError(f"created_at of post {self.platform}:{self.post_id} must be timezone-aware")

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.post_id)

    @property
    def content_sha256(self) -> str:
        """SHA-256 of the post text as captured (UTF-8): the evidence hash and the content de-duplication key."""
        return content_sha256(self.text)
