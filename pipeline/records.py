"""`ScanRecord`: one scored post, and its one mapping to the JSON output, flat CSV/Parquet rows and the database
row (`scanner.records_frame` makes the scan DataFrame of them)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pipeline.errors import InputError
from pipeline.labels import LABELS
from pipeline.posts import Post, content_sha256
from pipeline.values import as_utc, jsonable

#: Columns of a flat (CSV or Parquet) output row, before one score_<label> column per label.
FLAT_COLUMNS = ("platform", "post_id", "author", "created_at", "url", "source", "text", "flags", "priority",
                "claim_id", "claim_similarity", "model_version", "content_sha256", "duplicate_of", "evidence")
#: Columns of the copies table that a copy's record fills (besides original_id, the stored first post).
COPY_COLUMNS = ("platform", "post_id", "content_sha256", "author", "url", "created_at", "captured_at", "shares",
                "views", "followers", "source", "raw")
#: Columns of the posts table that a record fills.
ROW_COLUMNS = ("platform", "post_id", "content_sha256", "text", "author", "url", "created_at", "captured_at",
               "shares", "views", "followers", "source", "raw", "scores", "flags", "evidence", "model_version",
               "priority")
_KNOWN_LABELS = frozenset(LABELS)
# What `values.to_json` encodes with, built once (json.dumps with these options builds an encoder per call).
_JSON = json.JSONEncoder(ensure_ascii=False, default=jsonable)
# What json.dumps(..., ensure_ascii=False) encodes a flat row's evidence with, built once.
_EVIDENCE = json.JSONEncoder(ensure_ascii=False)


def evidence_json(evidence: dict[str, Any]) -> str:
    """A record's evidence as a flat (CSV/Parquet) row holds it: JSON, non-ASCII kept."""
    return _EVIDENCE.encode(evidence)


@dataclass(slots=True)
class ScanRecord:
    """A post as scanned: its own fields, a score per label, the labels it is flagged for, their evidence (top
    terms per flagged label, "claim" -> the matched known claim), its queue priority and the model version.

    `content_sha256` is the SHA-256 of `text` (computed when not given); `captured_at` is when patroli read it.
    `duplicate_of` is set on a copy: the key (platform, post_id) of the first post with the same content, whose
    scores, flags, evidence and priority the copy carries without being scored again.
    """

    platform: str
    post_id: str
    text: str
    scores: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    priority: float = 0.0
    model_version: str | None = None
    captured_at: datetime | None = None
    author: str | None = None
    url: str | None = None
    created_at: datetime | None = None
    shares: int | None = None
    views: int | None = None
    followers: int | None = None
    source: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    content_sha256: str = ""
    duplicate_of: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.content_sha256 and isinstance(self.text, str):
            self.content_sha256 = content_sha256(self.text)

    @classmethod
    def of(cls, post: Post, *, scores: dict[str, float], flags: list[str], evidence: dict[str, Any],
           priority: float, model_version: str | None, captured_at: datetime) -> ScanRecord:
        """The record of `post` with its scan results."""
        return cls(platform=post.platform, post_id=post.post_id, text=post.text, scores=scores, flags=flags,
                   evidence=evidence, priority=priority, model_version=model_version, captured_at=captured_at,
                   author=post.author, url=post.url, created_at=post.created_at, shares=post.shares,
                   views=post.views, followers=post.followers, source=post.source, raw=post.raw,
                   content_sha256=post.content_sha256)

    def copy_for(self, post: Post, captured_at: datetime) -> ScanRecord:
        """The record of `post`, a copy of this record's post (same content): this record's scan results, the
        copy's own fields, and `duplicate_of` naming this record's post (or the post it is itself a copy of)."""
        return ScanRecord(platform=post.platform, post_id=post.post_id, text=post.text, scores=self.scores,
                          flags=self.flags, evidence=self.evidence, priority=self.priority,
                          model_version=self.model_version, captured_at=captured_at, author=post.author,
                          url=post.url, created_at=post.created_at, shares=post.shares, views=post.views,
                          followers=post.followers, source=post.source, raw=post.raw,
                          content_sha256=self.content_sha256, duplicate_of=self.duplicate_of or self.key)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.post_id)

    @property
    def claim(self) -> dict[str, Any]:
        """The matched known claim's evidence ({} when none)."""
        return self.evidence.get("claim") or {}

    def output(self) -> dict[str, Any]:
        """The public, JSON-able form (the raw source record is left out)."""
        claim = self.claim
        return {
            "id": self.post_id, "platform": self.platform, "author": self.author,
            "created_at": self.created_at.isoformat() if self.created_at else None, "url": self.url,
            "source": self.source, "text": self.text, "scores": self.scores, "flags": self.flags,
            "evidence": self.evidence, "priority": self.priority, "claim_id": claim.get("claim_id"),
            "claim_similarity": claim.get("similarity"), "model_version": self.model_version,
            "content_sha256": self.content_sha256, "duplicate_of": key_text(self.duplicate_of),
        }

    def jsonl(self) -> str:
        """The record as one JSON line (its `output` form)."""
        return _JSON.encode(self.output()) + "\n"

    def flat(self, labels: Sequence[str]) -> dict[str, Any]:
        """A CSV/Parquet row: FLAT_COLUMNS (flags `;`-joined, evidence as JSON), then score_<label> per label."""
        out = self.output()
        row = {name: out["id" if name == "post_id" else name] for name in FLAT_COLUMNS}
        row["flags"] = ";".join(out["flags"])
        row["evidence"] = evidence_json(out["evidence"])
        for label in labels:
            row[f"score_{label}"] = out["scores"][label]
        return row

    def row(self) -> dict[str, Any]:
        """The posts-table row, checked: text hash, known flag labels, whole-number reach, aware UTC times."""
        platform, post_id, text = str(self.platform), str(self.post_id), self.text
        if not isinstance(text, str):
            raise InputError(f"post {platform}:{post_id}: text must be a string")
        digest = content_sha256(text)
        if self.content_sha256 != digest:
            raise InputError(f"post {platform}:{post_id}: content_sha256 does not match the SHA-256 of its text")
        if not _KNOWN_LABELS.issuperset(self.flags):
            unknown = sorted(set(self.flags) - _KNOWN_LABELS)
            raise InputError(f"post {platform}:{post_id}: unknown flag label(s) {', '.join(unknown)}")
        key = (platform, post_id)
        return {
            "platform": platform, "post_id": post_id, "content_sha256": digest, "text": text,
            "author": self.author, "url": self.url, "created_at": _utc(self.created_at, "created_at", key),
            "captured_at": _utc(self.captured_at or datetime.now(UTC), "captured_at", key),
            "shares": _count(self.shares, "shares", key), "views": _count(self.views, "views", key),
            "followers": _count(self.followers, "followers", key), "source": self.source, "raw": self.raw or {},
            "scores": {str(k): float(v) for k, v in self.scores.items()}, "flags": list(self.flags),
            "evidence": self.evidence or {}, "model_version": self.model_version, "priority": float(self.priority),
        }


def key_text(key: tuple[str, str] | None) -> str | None:
    """A post key as the text "platform:post_id" (None stays None)."""
    return None if key is None else f"{key[0]}:{key[1]}"


def _utc(value: datetime | None, name: str, key: tuple[str, str]) -> datetime | None:
    """`as_utc`, with the message of its error (naming the post) made only for a naive time."""
    if value is not None and value.tzinfo is not None:
        return value.astimezone(UTC)
    return as_utc(value, f"post {key[0]}:{key[1]}: {name}")


def _count(value: Any, name: str, key: tuple[str, str]) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise InputError(f"post {key[0]}:{key[1]}: {name} must be a whole number, got {value!r}") from err
