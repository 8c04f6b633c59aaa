"""Evidence: exporting confirmed and escalated items as CSV, JSONL and a printable, self-contained HTML page, with
the evidence chain's signed head (evidence.head.json, and on the page) and a SHA-256 manifest (`frames.export`
returns the files written as a DataFrame)."""

from __future__ import annotations

import csv
import html
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.digest import sha256_file
from pipeline.errors import InputError
from pipeline.review._common import now_utc
from pipeline.signing import HTML_ATTRIBUTE, Head
from pipeline.store import StoreLike, opened
from pipeline.store.evidence import records as evidence_records
from pipeline.store.head import chain_head
from pipeline.values import cell, jsonable, to_json

FORMATS = ("csv", "jsonl", "html")
CSV_COLUMNS = ("item_id", "status", "platform", "post_id", "url", "author", "created_at", "captured_at",
               "content_sha256", "sha256_verified", "text", "flags", "confirmed_labels", "dismissed_labels",
               "decided_by", "decided_at", "escalated_by", "escalated_at", "model_version", "priority", "scores",
               "evidence", "audit_trail")
def write_csv(path: Path, records: list[dict[str, Any]]) -> None:
    """One row per item; label lists `;`-joined, scores/evidence/audit_trail as JSON. A cell that would start
    with = + - @ is prefixed with ' so spreadsheets do not run it: the exact text is in the JSONL file."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for record in records:
            writer.writerow([cell(record[name]) for name in CSV_COLUMNS])


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """One JSON object per line, every field exactly as stored (times ISO 8601 UTC)."""
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(to_json(record, sort_keys=True) + "\n")


_STYLE = """
body { font: 11pt/1.4 sans-serif; margin: 2em; color: #111; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 2em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: .5em 0; width: 100%; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; vertical-align: top; font-size: 9.5pt; }
th { background: #eee; width: 14em; }
pre.post { white-space: pre-wrap; word-break: break-word; border: 1px solid #444; padding: .6em; }
code { font-size: 8.5pt; word-break: break-all; }
.bad { color: #b00; font-weight: bold; }
section { page-break-inside: avoid; }
@media print { body { margin: 0; } h2 { page-break-before: auto; } }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(jsonable(value)), quote=True)


def _row(name: str, value: str) -> str:
    return f"<tr><th>{_e(name)}</th><td>{value}</td></tr>"


def _item(record: dict[str, Any]) -> str:
    ok = record["sha256_verified"]
    check = "matches the text" if ok else '<span class="bad">DOES NOT MATCH the text</span>'
    meta = "".join([
        _row("status", _e(record["status"])),
        _row("post", f"{_e(record['platform'])}:{_e(record['post_id'])}"),
        _row("url", _e(record["url"])), _row("author", _e(record["author"])),
        _row("created at", _e(record["created_at"])), _row("captured at", _e(record["captured_at"])),
        _row("SHA-256", f"<code>{_e(record['content_sha256'])}</code> ({check})"),
        _row("model flags", _e(", ".join(record["flags"] or []))),
        _row("scores", _e(", ".join(f"{k} {v:.3f}" for k, v in sorted((record["scores"] or {}).items())))),
        _row("confirmed", _e(", ".join(record["confirmed_labels"]))),
        _row("dismissed", _e(", ".join(record["dismissed_labels"]))),
        _row("decided", f"{_e(record['decided_by'])} at {_e(record['decided_at'])}"),
        _row("escalated", f"{_e(record['escalated_by'])} at {_e(record['escalated_at'])}"
             if record["escalated_by"] else "no"),
        _row("model version", _e(record["model_version"])),
        _row("evidence", f"<code>{_e(to_json(record['evidence'], sort_keys=True))}</code>"),
    ])
    trail = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in (
            e["at"], e["actor"], e["action"], f"{e['from_status'] or ''} → {e['to_status']}", e["note"],
            e["reason_code"], to_json(e["verdicts"], sort_keys=True) if e["verdicts"] else "")) +
        f"<td><code>{_e(e['entry_sha256'])}</code></td></tr>" for e in record["audit_trail"])
    return (f"<section><h2>Item {_e(record['item_id'])}</h2><table>{meta}</table>"
            f"<pre class=\"post\">{_e(record['text'])}</pre>"
            "<table><tr><th>at</th><th>who</th><th>action</th><th>status</th><th>note</th><th>reason</th>"
            f"<th>verdicts</th><th>entry SHA-256</th></tr>{trail}</table></section>")


def head_html(head: Head) -> str:
    """A paragraph stating the evidence chain's head, carrying it (as JSON) for `verify --against`."""
    signed = (f"signed with key <code>{_e(head.key_id)}</code>" if head.signature
              else '<span class="bad">not signed</span> (no signing key configured)')
    return (f"<p>Evidence chain head at {_e(head.at)}: entry {head.seq:,}, SHA-256 "
            f"<code {HTML_ATTRIBUTE}=\"{_e(head.to_json())}\">{_e(head.sha256)}</code>, "
            f"{signed}. <code>patroli review verify --against</code> this page proves that nothing recorded up to "
            f"this point was changed or removed since.</p>")


def write_html(path: Path, records: list[dict[str, Any]], *, generated_at: datetime, generated_by: str,
               database: str, head: Head) -> None:
    """A self-contained page (no scripts, no external resources, every value HTML-escaped) for printing."""
    bad = sum(not r["sha256_verified"] for r in records)
    summary = (f"{len(records)} item(s); text SHA-256 recomputed at export: "
               + (f'<span class="bad">{bad} mismatch(es)</span>' if bad else "all match"))
    page = (
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>patroli evidence report</title><style>{_STYLE}</style></head><body>"
        "<h1>patroli evidence report</h1>"
        f"<p>Generated {_e(generated_at)} by {_e(generated_by)} from {_e(database)}. {summary}</p>"
        + head_html(head) + "".join(_item(r) for r in records) + "</body></html>\n")
    path.write_text(page, encoding="utf-8")


EXPORT_COLUMNS = ("format", "path", "items", "sha256")


def write_evidence(store: StoreLike, out_dir: str | Path, *, formats: Iterable[str] = FORMATS,
                   analyst: str = "patroli", now: datetime | None = None,
                   signing_key: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Write the evidence report of confirmed and escalated items to `out_dir`: evidence.csv, evidence.jsonl,
    evidence.html (any of them), evidence.head.json (the evidence chain's head, signed with `signing_key`, default
    the configured key) and evidence.sha256 (a `sha256sum -c` manifest of the files written).

    Each item carries its post, recorded and recomputed SHA-256, decisions and audit trail. Returns one dict per
    file written: format, path, items, sha256 (the EXPORT_COLUMNS).
    """
    formats = list(dict.fromkeys(formats))
    bad = sorted(set(formats) - set(FORMATS))
    if bad or not formats:
        raise InputError(f"unknown export format {', '.join(bad) or '(none)'}; formats: {', '.join(FORMATS)}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create {out}: {err.strerror}") from err
    now = now_utc(now)
    with opened(store) as st:
        with st.transaction("cannot read evidence") as conn:
            records = evidence_records(conn)
        # Read after the records, so the head covers everything they show.
        head = chain_head(st, signing_key)
        rows = []
        for fmt in formats:
            path = out / f"evidence.{fmt}"
            if fmt == "csv":
                write_csv(path, records)
            elif fmt == "jsonl":
                write_jsonl(path, records)
            else:
                write_html(path, records, generated_at=now, generated_by=analyst, database=st.url, head=head)
            rows.append({"format": fmt, "path": str(path), "items": len(records), "sha256": sha256_file(path)})
        path = out / "evidence.head.json"
        path.write_text(to_json({**head.to_dict(), "database": st.url}, indent=2, sort_keys=True) + "\n",
                        encoding="utf-8")
        rows.append({"format": "head", "path": str(path), "items": len(records), "sha256": sha256_file(path)})
    manifest = "".join(f"{r['sha256']}  {Path(r['path']).name}\n" for r in rows)
    (out / "evidence.sha256").write_text(manifest, encoding="utf-8")
    return rows
