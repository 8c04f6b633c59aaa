"""Reports of a period: what was scanned and flagged, per label, source and day; the top flagged posts with their
evidence; the most-matched known hoaxes; the review queue. As DataFrames, a self-contained HTML page, CSV or JSON.

Notebook use::

    from pipeline import report
    data = report.report_data("sqlite:///patroli.db", since="2026-11-01", until="2026-11-30")
    data["labels"]                   # DataFrame: label, flagged, flagged_share, mean_score, max_score
    report.write_report("report.html", "sqlite:///patroli.db", since="2026-11-01")
    report.tables(pipeline.scan(...))  # the same tables straight from a scan result, no database

The module also holds the helpers the notebooks use: `sample_posts`/`sample_labels` (the project's own samples),
`review_tables` (the queue from the analysts' side) and the evaluation helpers of `pipeline._report_eval`.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import config
from pipeline._report_eval import (
    calibration_frame,
    confusion_frame,
    evaluation_data,
    holdout_predictions,
    pr_curve_frame,
    workload_frame,
)
from pipeline._report_queue import review_tables
from pipeline._report_samples import sample_labels, sample_posts
from pipeline._report_tables import REPORT_TZ, TABLES, evidence_terms, tables
from pipeline.errors import InputError, StoreError
from pipeline.store import Store, opened
from pipeline.store.engine import parse_url

FORMATS = ("html", "csv", "json")
BY = ("captured_at", "created_at")
# Spreadsheets run cells starting with these as formulas; post text is written by adversaries.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

__all__ = [
    "BY", "FORMATS", "REPORT_TZ", "TABLES", "calibration_frame", "confusion_frame", "evaluation_data", "evidence_terms",
    "holdout_predictions", "parse_when", "pr_curve_frame", "report_data", "review_tables", "sample_labels",
    "sample_posts", "tables", "workload_frame", "write_report",
]


def parse_when(value: str | date | datetime | None, name: str = "time", *, end: bool = False) -> datetime | None:
    """A timezone-aware bound from a date (YYYY-MM-DD), an ISO 8601 time, a `date` or a `datetime`.

    Dates and times without an offset are in Asia/Jakarta (WIB). A bare date means its midnight, or with
    `end=True` (an "until" bound, exclusive) the midnight after it, so `until=2026-11-30` includes that day.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise InputError(f"{name}: {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time()) + (timedelta(days=1) if end else timedelta(0))
    return value.replace(tzinfo=REPORT_TZ) if value.tzinfo is None else value


@contextmanager
def _open(store_or_url: Store | str | None) -> Iterator[Store]:
    if isinstance(store_or_url, Store):
        yield store_or_url
        return
    url = parse_url(config.db_url(store_or_url))
    # Opening a missing SQLite file would create an empty database and report nothing: a typo deserves an error.
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not Path(url.database).exists():
        raise StoreError(f"no database at {url.database} (give --db or set PATROLI_DB)")
    with opened(store_or_url) as store:
        yield store


def report_data(store_or_url: Store | str | None = None, since: str | date | datetime | None = None,
                until: str | date | datetime | None = None, *, by: str = "captured_at",
                top: int = 20) -> dict[str, pd.DataFrame]:
    """The report's tables for posts with `since <= <by> < until` (`by`: captured_at, when patroli stored them,
    or created_at, when they were posted). Times are tz-aware; counts int64; shares and scores float64.

    - summary (one row): since, until, by, posts, flagged_posts, flagged_share, enqueued, claim_matches, first,
      last (of `by`), model_versions, generated_at, database
    - labels: label, flagged, flagged_share, mean_score, max_score (one row per flagging label)
    - by_platform / by_source: platform|source, posts, flagged, flagged_share, one flagged count per label
    - daily: day (midnight WIB), posts, flagged, one count per label; every day from first to last
    - top_flagged: the `top` flagged posts by priority: rank, item_id, platform, post_id, author, url, source,
      created_at, captured_at, queue_status, priority, flags, scores {label: score}, evidence {label: [(term,
      weight)]}, claim_id, claim_title, text
    - claims: known hoaxes matched, most first: claim_id, title, url, posts, flagged_hoax, max_similarity,
      mean_similarity, first_seen, last_seen (empty without claim matches)
    - queue: status, items: the review-queue state of the period's flagged posts
    """
    if by not in BY:
        raise InputError(f"by must be one of {', '.join(BY)}, not {by!r}")
    if top < 0:
        raise InputError("top must be 0 or more")
    start, stop = parse_when(since, "since"), parse_when(until, "until", end=True)
    if start is not None and stop is not None and start >= stop:
        raise InputError(f"since ({start.isoformat()}) must be before until ({stop.isoformat()})")
    with _open(store_or_url) as store:
        posts = store.posts_frame(start, stop, by=by)
        known = store.claims_frame()
        database = store.url
    data = tables(posts, by=by, top=top, known_claims=known)
    data["summary"] = data["summary"].assign(
        since=pd.Timestamp(start) if start else pd.NaT, until=pd.Timestamp(stop) if stop else pd.NaT, by=by,
        generated_at=pd.Timestamp.now(tz="UTC"), database=database)
    for name in ("since", "until"):
        data["summary"][name] = pd.to_datetime(data["summary"][name], utc=True)
    return data


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value.item() if hasattr(value, "item") else value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.astype(object).to_dict(orient="records")]


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ";".join(value)
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _write_atomic(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(path: str | Path, store_or_url: Store | str | None = None,
                 since: str | date | datetime | None = None, until: str | date | datetime | None = None,
                 fmt: str = "html", *, by: str = "captured_at", top: int = 20,
                 title: str = "patroli report") -> dict[str, pd.DataFrame]:
    """Write the report of a period (see `report_data`) and return its tables.

    fmt "html": one self-contained page at `path` (charts embedded as PNG, every post text HTML-escaped, no
    scripts); "json": one JSON object at `path`, {"summary": {...}, "<table>": [records], ...}; "csv": `path` is
    a directory that receives one <table>.csv per table (lists `;`-joined, dicts as JSON, cells that a
    spreadsheet would run as a formula prefixed with ').
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}; formats: {', '.join(FORMATS)}")
    data = report_data(store_or_url, since, until, by=by, top=top)
    out = Path(path)
    try:
        if fmt == "csv":
            out.mkdir(parents=True, exist_ok=True)
            for name in TABLES:
                frame = data[name]
                cells = pd.DataFrame({c: frame[c].astype(object).map(_cell) for c in frame.columns},
                                     columns=frame.columns)
                _write_atomic(out / f"{name}.csv", cells.to_csv(index=False))
            return data
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "json":
            payload = {name: _records(data[name]) for name in TABLES}
            payload["summary"] = payload["summary"][0]
            _write_atomic(out, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        else:
            from pipeline._report_charts import charts
            from pipeline._report_html import page

            _write_atomic(out, page(data, charts(data), title))
    except OSError as err:
        raise InputError(f"cannot write report to {out}: {err.strerror or err}") from err
    return data
