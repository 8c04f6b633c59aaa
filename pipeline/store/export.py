"""Writing evidence records as CSV, JSONL and a printable, self-contained HTML page."""

from __future__ import annotations

import csv
import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any

FORMATS = ("csv", "jsonl", "html")
CSV_COLUMNS = ("item_id", "status", "platform", "post_id", "url", "author", "created_at", "captured_at",
               "content_sha256", "sha256_verified", "text", "flags", "confirmed_labels", "dismissed_labels",
               "decided_by", "decided_at", "escalated_by", "escalated_at", "model_version", "priority", "scores",
               "evidence", "audit_trail")
# Spreadsheet programs run cells starting with these as formulas; post text is adversarial (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = ";".join(value)
    elif isinstance(value, dict | list):
        text = _json(value)
    else:
        text = str(_plain(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(path: Path, records: list[dict[str, Any]]) -> None:
    """One row per item; label lists `;`-joined, scores/evidence/audit_trail as JSON. A cell that would start
    with = + - @ is prefixed with ' so spreadsheets do not run it: the exact text is in the JSONL file."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for record in records:
            writer.writerow([_cell(record[name]) for name in CSV_COLUMNS])


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """One JSON object per line, every field exactly as stored (times ISO 8601 UTC)."""
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(_json(record) + "\n")


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
    return html.escape("" if value is None else str(_plain(value)), quote=True)


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
        _row("evidence", f"<code>{_e(_json(record['evidence']))}</code>"),
    ])
    trail = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in (
            e["at"], e["actor"], e["action"], f"{e['from_status'] or ''} → {e['to_status']}", e["note"],
            e["reason_code"], _json(e["verdicts"]) if e["verdicts"] else "")) +
        f"<td><code>{_e(e['entry_sha256'])}</code></td></tr>" for e in record["audit_trail"])
    return (f"<section><h2>Item {_e(record['item_id'])}</h2><table>{meta}</table>"
            f"<pre class=\"post\">{_e(record['text'])}</pre>"
            "<table><tr><th>at</th><th>who</th><th>action</th><th>status</th><th>note</th><th>reason</th>"
            f"<th>verdicts</th><th>entry SHA-256</th></tr>{trail}</table></section>")


def write_html(path: Path, records: list[dict[str, Any]], *, generated_at: datetime, generated_by: str,
               database: str) -> None:
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
        + "".join(_item(r) for r in records) + "</body></html>\n")
    path.write_text(page, encoding="utf-8")

