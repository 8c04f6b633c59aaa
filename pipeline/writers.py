"""Streaming writers for scan results: JSON lines, CSV and Parquet, one chunk at a time."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import ConfigError
from pipeline.records import FLAT_COLUMNS, ScanRecord


class ResultWriter:
    """Writes records to FILE.jsonl, FILE.csv or FILE.parquet, appending chunk by chunk."""

    def __init__(self, path: str | Path, labels: Sequence[str]) -> None:
        self.path = Path(path)
        self.labels = list(labels)
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

    def write(self, records: Sequence[ScanRecord]) -> None:
        if not records:
            return
        if self.kind == "jsonl":
            assert self._handle is not None
            for record in records:
                self._handle.write(record.jsonl())
            return
        rows = [r.flat(self.labels) for r in records]
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
                  for c in FLAT_COLUMNS]
        fields += [pa.field(f"score_{label}", pa.float64()) for label in self.labels]
        return pa.schema(fields)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._parquet is not None:
            self._parquet.close()
        elif self.kind == "parquet":
            pq.write_table(pa.Table.from_pylist([], schema=self._schema()), self.path)
