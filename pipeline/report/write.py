"""Writing the report of a period: a self-contained HTML page, one JSON file, or one CSV per table."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import InputError
from pipeline.report.charts import charts
from pipeline.report.data import report_data
from pipeline.report.html import page
from pipeline.report.tables import TABLES
from pipeline.signing import Head
from pipeline.store import StoreLike, opened
from pipeline.store.head import chain_head
from pipeline.values import cell, jsonable

FORMATS = ("html", "csv", "json")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: jsonable(v) for k, v in row.items()} for row in frame.astype(object).to_dict(orient="records")]


def _write_atomic(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _head_csv(head: Head) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(head.to_dict()))
    writer.writeheader()
    writer.writerow(head.to_dict())
    return buffer.getvalue()


def write_report(path: str | Path, store_or_url: StoreLike = None,
                 since: str | date | datetime | None = None, until: str | date | datetime | None = None,
                 fmt: str = "html", *, by: str = "captured_at", top: int = 20,
                 title: str = "patroli report", signing_key: str | os.PathLike[str] | None = None,
                 ) -> dict[str, pd.DataFrame]:
    """Write the report of a period (see `report_data`) and return its tables.

    fmt "html": one self-contained page at `path` (charts embedded as PNG, every post text HTML-escaped, no
    scripts); "json": one JSON object at `path`, {"summary": {...}, "<table>": [records], ..., "chain_head":
    {...}}; "csv": `path` is a directory that receives one <table>.csv per table (lists `;`-joined, dicts as
    JSON, cells that a spreadsheet would run as a formula prefixed with ') and chain_head.csv. Every format carries
    the evidence chain's head, signed with `signing_key` (default: the configured key), for `review verify
    --against`.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; formats: {', '.join(FORMATS)}")
    with opened(store_or_url, must_exist=True) as store:
        data = report_data(store, since, until, by=by, top=top)
        # Read after the data, so the head covers everything the report shows.
        head = chain_head(store, signing_key)
    out = Path(path)
    try:
        if fmt == "csv":
            out.mkdir(parents=True, exist_ok=True)
            for name in TABLES:
                frame = data[name]
                cells = pd.DataFrame({c: frame[c].astype(object).map(cell) for c in frame.columns},
                                     columns=frame.columns)
                _write_atomic(out / f"{name}.csv", cells.to_csv(index=False))
            _write_atomic(out / "chain_head.csv", _head_csv(head))
            return data
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "json":
            payload = {name: _records(data[name]) for name in TABLES}
            payload["summary"] = payload["summary"][0]
            payload["chain_head"] = head.to_dict()
            _write_atomic(out, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        else:
            _write_atomic(out, page(data, charts(data), title, head))
    except OSError as err:
        raise InputError(f"cannot write report to {out}: {err.strerror or err}") from err
    return data
