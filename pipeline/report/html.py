"""The report as one self-contained, printable HTML page. Post text is adversarial: every value is escaped, and
evidence terms are highlighted by escaping the text around and inside each match separately, never by inserting
markup into already escaped text."""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd

from pipeline.report.tables import REPORT_TZ
from pipeline.signing import HTML_ATTRIBUTE, Head
from pipeline.text.hashtags import TAG

# Obfuscations posters use to dodge keyword filters ("b.a.b.i", "k4f1r", "a n j i n g"): a term also matches with
# these look-alike characters and up to two separators between its letters.
_LOOKALIKE = {"a": "a4@", "e": "e3", "i": "i1!", "o": "o0", "s": "s5$", "t": "t7", "g": "g9", "b": "b8"}
_SEP = r"[\s._*\-]{0,2}"
#: Longer periods show the daily chart only: a table of months of days is not something anyone reads on paper.
DAILY_TABLE_DAYS = 31

_STYLE = """
body { font: 11pt/1.45 "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 60em; color: #111; }
h1 { font-size: 18pt; margin-bottom: .2em; } h2 { font-size: 13pt; margin-top: 1.8em; border-bottom: 2px solid #2c3e50; }
.meta { color: #444; font-size: 9.5pt; }
.kpis { display: flex; gap: 1em; flex-wrap: wrap; margin: 1em 0; }
.kpi { border: 1px solid #bbb; border-radius: 4px; padding: .4em .9em; min-width: 8em; }
.kpi b { display: block; font-size: 17pt; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #bbb; padding: 2px 8px; text-align: left; vertical-align: top; font-size: 9.5pt; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } th { background: #eef1f4; }
img.chart { max-width: 100%; height: auto; display: block; margin: .5em 0; }
.post { border: 1px solid #999; border-left: 5px solid #7b241c; padding: .5em .8em; margin: .9em 0;
        page-break-inside: avoid; break-inside: avoid; }
.post .head { font-size: 9pt; color: #333; }
.post .text { white-space: pre-wrap; word-break: break-word; margin: .4em 0; font-size: 10.5pt; }
.post .terms { font-size: 9pt; color: #333; }
mark { background: #ffe066; padding: 0 1px; }
.empty { color: #666; font-style: italic; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } }
"""


def esc(value: Any) -> str:
    """HTML-escaped text of any value (None, NaN and NaT as empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(REPORT_TZ).strftime("%Y-%m-%d %H:%M %Z")
    elif isinstance(value, float):
        value = f"{value:.3f}"
    return html.escape(str(value), quote=True)


def _term_regex(term: str, bounded: bool = True) -> str | None:
    """A regex matching `term` as a whole word (`bounded`) or anywhere, obfuscated or not; None for a 1-character
    word."""
    words = term.lower().split()
    if not words or (len(term.strip()) < 2 and term.strip().isalnum()):
        return None
    parts = []
    for word in words:
        if word.isalnum():
            parts.append(_SEP.join(f"[{re.escape(_LOOKALIKE[c])}]" if c in _LOOKALIKE else re.escape(c)
                                   for c in word))
        else:
            parts.append(re.escape(word))
    body = r"\s+".join(parts)
    if not bounded:
        return body
    if term.strip()[0].isalnum():
        body = r"(?<!\w)" + body
    if term.strip()[-1].isalnum():
        body += r"(?!\w)"
    return body


def _in_tag(text: str, start: int, end: int, tags: list[tuple[int, int]]) -> bool:
    """Whether text[start:end] may be one of the words a hashtag is read as: inside a tag's body and, when the tag is
    in CamelCase, beginning at its start, an underscore, a digit or a capital and ending at its end or before one
    ("#UsirMadura"; in a one-case tag, "#usirmadura", anywhere)."""
    for first, last in tags:
        if first <= start and end <= last:
            body = text[first:last]
            if body.islower() or body.isupper():
                return True
            return ((start == first or not text[start - 1].isalpha() or text[start].isupper())
                    and (end == last or not text[end].isalpha() or text[end].isupper()))
    return False


def highlight(text: str, terms: dict[str, Iterable[str]]) -> str:
    """`text` HTML-escaped, with each match of an evidence term (label -> terms) in <mark title="labels">: a whole
    word, or one of the words of a hashtag (the model reads "#UsirMadura" as "usir madura")."""
    spans: list[tuple[int, int, set[str]]] = []
    tags = [m.span(1) for m in TAG.finditer(text)] if "#" in text else []
    for label, words in terms.items():
        for term in words:
            pattern = _term_regex(str(term))
            if pattern is None:
                continue
            spans.extend((m.start(), m.end(), {label}) for m in re.finditer(pattern, text, re.IGNORECASE)
                         if m.end() > m.start())
            if tags:
                inner = _term_regex(str(term), bounded=False)
                spans.extend((m.start(), m.end(), {label}) for m in re.finditer(inner, text, re.IGNORECASE)
                             if m.end() > m.start() and _in_tag(text, m.start(), m.end(), tags))
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, set[str]]] = []
    for start, end, labels in spans:
        if merged and (start < merged[-1][1] or (start == merged[-1][1] and labels == merged[-1][2])):
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2] | labels)
        else:
            merged.append((start, end, set(labels)))
    out, pos = [], 0
    for start, end, labels in merged:
        out.append(html.escape(text[pos:start], quote=True))
        out.append(f'<mark title="{esc(", ".join(sorted(labels)))}">{html.escape(text[start:end], quote=True)}</mark>')
        pos = end
    out.append(html.escape(text[pos:], quote=True))
    return "".join(out)


def table_html(frame: pd.DataFrame, columns: list[str] | None = None) -> str:
    """A plain HTML table of `frame` (numbers right-aligned), or a note when it is empty."""
    if frame.empty:
        return '<p class="empty">None in this period.</p>'
    columns = columns or list(frame.columns)
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for _, row in frame[columns].iterrows():
        cells = []
        for value in row:
            number = isinstance(value, numbers.Number) and not isinstance(value, bool)
            cells.append(f'<td class="n">{esc(value)}</td>' if number else f"<td>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def chart_html(png_base64: str | None, alt: str) -> str:
    if not png_base64:
        return ""
    return f'<img class="chart" alt="{esc(alt)}" src="data:image/png;base64,{png_base64}">'


def _post_html(row: pd.Series) -> str:
    evidence: dict[str, list[tuple[str, float]]] = row["evidence"]
    terms = {label: [t for t, _ in pairs] for label, pairs in evidence.items()}
    head = " · ".join(x for x in (
        f"#{esc(row['rank'])}", f"<b>{esc(row['platform'])}:{esc(row['post_id'])}</b>", esc(row["author"]),
        esc(row["created_at"]), f"priority {row['priority']:.1f}", f"queue: {esc(row['queue_status'] or '—')}") if x)
    link = f'<br>{esc(row["url"])}' if row["url"] else ""
    lines = "".join(
        f"<div><b>{esc(label)}</b> {row['scores'].get(label, math.nan):.2f} ← "
        + ", ".join(f"<mark>{esc(t)}</mark> ({w:+.2f})" for t, w in pairs) + "</div>"
        for label, pairs in evidence.items())
    claim = (f"<div><b>known claim</b> {esc(row['claim_id'])}: {esc(row['claim_title'])}</div>"
             if row["claim_id"] else "")
    return (f'<div class="post"><div class="head">{head}{link}</div>'
            f'<div class="text">{highlight(str(row["text"]), terms)}</div>'
            f'<div class="terms">{lines}{claim}</div></div>')


def head_html(head: Head) -> str:
    """The evidence chain's head, stated for readers and carried (as JSON) for `patroli review verify --against`."""
    return f'<p class="meta" {HTML_ATTRIBUTE}="{esc(head.to_json())}">Evidence: {esc(head.describe())}.</p>'


def page(data: dict[str, pd.DataFrame], charts: dict[str, str | None], title: str, head: Head | None = None) -> str:
    """The whole report page; `head` (the evidence chain's head when the report was made) is stated under the title."""
    s = data["summary"].iloc[0]
    kpis = "".join(f'<div class="kpi"><b>{esc(v)}</b>{esc(k)}</div>' for k, v in (
        ("posts scanned", int(s["posts"])), ("posts flagged", int(s["flagged_posts"])),
        ("flagged share", f"{s['flagged_share']:.1%}"), ("enqueued for review", int(s["enqueued"])),
        ("known-hoax matches", int(s["claim_matches"]))))
    since, until = esc(s.get("since")), esc(s.get("until"))
    period = (f"from {since or 'the first stored post'} to {until + ' (exclusive)' if until else 'now'}"
              f", by {esc(s.get('by'))}")
    top = data["top_flagged"]
    posts = "".join(_post_html(row) for _, row in top.iterrows()) or '<p class="empty">No flagged posts.</p>'
    claims = data["claims"]
    daily = data["daily"].assign(day=data["daily"]["day"].dt.strftime("%Y-%m-%d"))
    sections = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">Period: {period}; times in WIB (Asia/Jakarta). Generated {esc(s.get("generated_at"))} '
        f"from {esc(s.get('database'))}. Model: {esc(s['model_versions']) or '—'}.</p>",
        head_html(head) if head is not None else "",
        f'<div class="kpis">{kpis}</div>',
        "<h2>Flagged posts per label</h2>", chart_html(charts.get("labels"), "flagged posts per label"),
        table_html(data["labels"]),
        "<h2>Daily trend</h2>", chart_html(charts.get("daily"), "posts scanned and flagged per day"),
        table_html(daily) if len(daily) <= DAILY_TABLE_DAYS else
        f'<p class="meta">{len(daily)} days: the numbers per day are in the CSV and JSON formats.</p>',
        "<h2>Per platform</h2>", chart_html(charts.get("platform"), "posts per platform"),
        table_html(data["by_platform"]),
        "<h2>Per source</h2>", table_html(data["by_source"]),
        "<h2>Most-matched known hoaxes</h2>",
        table_html(claims) if not claims.empty else '<p class="empty">No post matched a known hoax claim.</p>',
        "<h2>Review queue</h2>", table_html(data["queue"]),
        f"<h2>Top {len(top)} flagged posts</h2>",
        '<p class="meta">Highlighted: the terms that drove each flag (hover for the labels).</p>', posts,
    ]
    # No script may ever run here: the CSP forbids everything but inline styles and embedded images.
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(sections) + "</body></html>\n")
