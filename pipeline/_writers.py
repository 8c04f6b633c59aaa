"""Streaming writers for scan results: JSON lines, CSV and Parquet, one chunk at a time."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import ConfigError

_FLAT_COLUMNS = ("platform", "post_id", "author", "created_at", "url", "source", "text", "flags", "priority",
                 "claim_id", "claim_similarity", "model_version", "content_sha256", "evidence")


def jsonable(value: Any) -> Any:
    """`json.dumps(default=...)` for scan records and tables: times as ISO 8601 (NaT as null), numpy scalars as
    numbers, anything else as its text."""
    if value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def output_record(record: dict[str, Any]) -> dict[str, Any]:
    """The public, JSON-able form of a scan record (the raw source record is left out)."""
    claim = record["evidence"].get("claim") or {}
    return {
        "id": record["post_id"], "platform": record["platform"], "author": record["author"],
        "created_at": record["created_at"].isoformat() if record["created_at"] else None, "url": record["url"],
        "source": record["source"], "text": record["text"], "scores": record["scores"], "flags": record["flags"],
        "evidence": record["evidence"], "priority": record["priority"], "claim_id": claim.get("claim_id"),
        "claim_similarity": claim.get("similarity"), "model_version": record["model_version"],
        "content_sha256": record["content_sha256"],
    }


def jsonl_line(record: dict[str, Any]) -> str:
    """One scan record as a JSON line (its `output_record` form)."""
    return json.dumps(output_record(record), ensure_ascii=False, default=jsonable) + "\n"


def _flat(record: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    out = output_record(record)
    flat = {k: out[k if k != "post_id" else "id"] for k in _FLAT_COLUMNS}
    flat["flags"] = ";".join(out["flags"])
    flat["evidence"] = json.dumps(out["evidence"], ensure_ascii=False)
    for label in labels:
        flat[f"score_{label}"] = out["scores"][label]
    return flat


class ResultWriter:
    """Writes records to FILE.jsonl, FILE.csv or FILE.parquet, appending chunk by chunk."""

    def __init__(self, path: str | Path, labels: list[str]) -> None:
        self.path = Path(path)
        self.labels = labels
        self.kind = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(
            self.path.suffix.lower())
        if self.kind is None:
            raise ConfigError(f"--out {self.path}: use a .jsonl, .csv or .parquet file name")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = None if self.kind == "parquet" else self.path.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise ConfigError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self._csv: csv.DictWriter[str] | None = None
        self._parquet: pq.ParquetWriter | None = None

    def write(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        if self.kind == "jsonl":
            assert self._handle is not None
            for record in records:
                self._handle.write(jsonl_line(record))
            return
        rows = [_flat(r, self.labels) for r in records]
        if self.kind == "csv":
            assert self._handle is not None
            if self._csv is None:
                self._csv = csv.DictWriter(self._handle, fieldnames=list(rows[0]))
                self._csv.writeheader()
            self._csv.writerows(rows)
            return
        table = pa.Table.from_pylist(rows, schema=self._schema())
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table)

    def _schema(self) -> pa.Schema:
        fields = [pa.field(c, pa.float64() if c in ("priority", "claim_similarity") else pa.string())
                  for c in _FLAT_COLUMNS]
        fields += [pa.field(f"score_{label}", pa.float64()) for label in self.labels]
        return pa.schema(fields)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._parquet is not None:
            self._parquet.close()
        elif self.kind == "parquet":
            pq.write_table(pa.Table.from_pylist([], schema=self._schema()), self.path)
