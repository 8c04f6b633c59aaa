"""Reading known claims from CSV, JSON Lines and schema.org ClaimReview JSON-LD (private to `pipeline.claims`)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from pipeline.errors import InputError, ProblemHandler
from pipeline.ingest._lines import MAX_LINE_BYTES
from pipeline.ingest._readers import csv_header, csv_records
from pipeline.store.claims import FIELDS as CLAIM_COLUMNS

log = logging.getLogger("pipeline.claims")

_ALIASES = {"id": "claim_id", "claim": "text", "claim_text": "text", "claimreviewed": "text", "rating": "verdict",
            "published": "date", "date_published": "date", "datepublished": "date", "link": "url"}


def read_claims(path: str | os.PathLike[str], *, on_problem: ProblemHandler | None = None) -> pd.DataFrame:
    """Known claims from a file, one row per claim with the columns CLAIM_COLUMNS (missing values None).

    Formats, by suffix (else sniffed): CSV (header with at least claim_id and text, or title; optional
    verdict, url, date, narrative, source), JSON Lines (one object per line: the same keys, or a ClaimReview
    object), and schema.org ClaimReview JSON-LD (`.json`/`.jsonld`: one object, a list, or an `@graph`).
    ClaimReview maps claimReviewed -> text, headline/name -> title, reviewRating.alternateName -> verdict,
    url, datePublished -> date, identifier (else a hash of url, else of the text) -> claim_id,
    author.name -> source.

    A malformed row or item is reported ("file:line: reason") to `on_problem` (default: a logged warning) and
    skipped; the messages are also in `frame.attrs["problems"]`. An unreadable file or a missing required
    column raises InputError. The same claim_id twice: the later row wins.
    """
    p = Path(path)
    problems: list[str] = []

    def report(where: str, reason: str) -> None:
        message = f"{p.name}:{where}: {reason}"
        problems.append(message)
        (on_problem or log.warning)(message)

    try:
        raw = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read claims file {p}: {getattr(err, 'strerror', None) or err}") from err
    kind = _kind(p, raw)
    if kind == "csv":
        records = list(_csv_records(p, report))
    elif kind == "jsonl":
        records = list(_jsonl_records(raw, p, report))
    else:
        records = list(_jsonld_records(raw, p, report))
    by_id: dict[str, dict[str, Any]] = {}
    for rec in records:
        by_id.pop(rec["claim_id"], None)
        by_id[rec["claim_id"]] = rec
    frame = pd.DataFrame(list(by_id.values()), columns=list(CLAIM_COLUMNS)).astype(object)
    frame = frame.where(frame.notna(), None)
    frame.attrs["problems"] = problems
    return frame


def _kind(p: Path, raw: str) -> str:
    suffix = p.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".json", ".jsonld"):
        return "jsonld"
    head = raw.lstrip()[:1]
    if head == "[":
        return "jsonld"
    if head == "{":
        first = raw.lstrip().splitlines()[0]
        try:
            json.loads(first)
            return "jsonl"
        except json.JSONDecodeError:
            return "jsonld"
    return "csv"


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("value", value.get("name", value.get("@id")))
    if isinstance(value, list):
        value = value[0] if value else None
        return _clean(value)
    text = str(value).strip()
    return text or None


def _date(value: Any) -> str | None:
    text = _clean(value)
    if text is None:
        return None
    stamp = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    return text if pd.isna(stamp) else stamp.date().isoformat()


def _record(fields: dict[str, Any], default_source: str) -> tuple[dict[str, Any] | None, str | None]:
    rec = {name: _clean(fields.get(name)) for name in CLAIM_COLUMNS}
    rec["date"] = _date(fields.get("date"))
    rec["text"] = rec["text"] or rec["title"]
    rec["title"] = rec["title"] or rec["text"]
    rec["source"] = rec["source"] or default_source
    if not rec["claim_id"]:
        return None, "no claim_id"
    if not rec["text"]:
        return None, "no claim text"
    return rec, None


def _csv_records(p: Path, report: Callable[[str, str], None]) -> Iterator[dict[str, Any]]:
    """The claims of a CSV/TSV file, parsed as a scan parses its input (`ingest._readers.csv_records`): strictly, so
    a quote never closed costs its line instead of swallowing the claims after it; `,` `;` `|` or tab, whichever
    the header uses most (tab for .tsv). The file is known to be UTF-8 (`read_claims` decoded it)."""

    def open_stream() -> BinaryIO:
        return p.open("rb")

    header = csv_header(open_stream, p.name, MAX_LINE_BYTES, None)[0]
    if not header:
        raise InputError(f"claims file {p} is empty")
    names = {h: _ALIASES.get(h.lower(), h.lower()) for h in header}
    found = set(names.values())
    missing = [n for n in ("claim_id", "text") if n not in found and not (n == "text" and "title" in found)]
    if missing:
        raise InputError(f"claims file {p}: missing column(s) {', '.join(missing)} (has: {', '.join(names.values())})")
    for record in csv_records(open_stream, p.name, 0, 1, MAX_LINE_BYTES, None):
        if record.row is None:
            report(str(record.line), str(record.problem).removesuffix("; skipped"))
            continue
        rec, reason = _record({names[k]: v for k, v in record.row.items()}, p.name)
        if rec is None:
            report(str(record.line), str(reason))
        else:
            yield rec


def _jsonl_records(raw: str, p: Path, report: Callable[[str, str], None]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            report(str(number), f"bad JSON: {err.msg}")
            continue
        if not isinstance(obj, dict):
            report(str(number), "not a JSON object")
            continue
        if _is_claim_review(obj):
            rec, reason = _claim_review(obj, p.name)
        else:
            rec, reason = _record({_ALIASES.get(k.lower(), k.lower()): v for k, v in obj.items()}, p.name)
        if rec is None:
            report(str(number), str(reason))
        else:
            yield rec


def _jsonld_records(raw: str, p: Path, report: Callable[[str, str], None]) -> Iterator[dict[str, Any]]:
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputError(f"claims file {p}: bad JSON at line {err.lineno}: {err.msg}") from err
    items = doc.get("@graph", [doc]) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InputError(f"claims file {p}: expected a ClaimReview object, a list or an @graph")
    found = 0
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            report(f"item {number}", "not a JSON object")
            continue
        if not _is_claim_review(item):
            continue  # other nodes of a graph (publisher, web page) are legitimately there
        found += 1
        rec, reason = _claim_review(item, p.name)
        if rec is None:
            report(f"item {number}", str(reason))
        else:
            yield rec
    if not found:
        raise InputError(f"claims file {p}: no ClaimReview items")


def _is_claim_review(obj: dict[str, Any]) -> bool:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "ClaimReview" in kinds or "claimReviewed" in obj


def _claim_review(obj: dict[str, Any], default_source: str) -> tuple[dict[str, Any] | None, str | None]:
    rating = obj.get("reviewRating")
    rating = rating[0] if isinstance(rating, list) and rating else rating
    verdict = _clean(rating.get("alternateName") or rating.get("name")) if isinstance(rating, dict) else None
    reviewed = obj.get("itemReviewed")
    author = obj.get("author")
    author = author[0] if isinstance(author, list) and author else author
    text = _clean(obj.get("claimReviewed"))
    url = _clean(obj.get("url"))
    claim_id = _clean(obj.get("identifier"))
    if not claim_id and (url or text):
        claim_id = "cr-" + hashlib.sha256((url or text or "").encode("utf-8")).hexdigest()[:16]
    fields = {
        "claim_id": claim_id, "text": text, "title": obj.get("headline") or obj.get("name"), "verdict": verdict,
        "url": url, "date": obj.get("datePublished"),
        "narrative": reviewed.get("text") if isinstance(reviewed, dict) else None,
        "source": author.get("name") if isinstance(author, dict) else author,
    }
    if not text:
        return None, "ClaimReview without claimReviewed"
    return _record(fields, default_source)
