"""Reports of a period: what was scanned and flagged, per label, source and day; the top flagged posts with their
evidence; the most-matched known hoaxes; the review queue. As DataFrames, a self-contained HTML page, CSV or JSON.

Notebook use::

    from pipeline import report
    data = report.report_data("sqlite:///patroli.db", since="2026-11-01", until="2026-11-30")
    data["labels"]                   # DataFrame: label, flagged, flagged_share, mean_score, max_score
    report.write_report("report.html", "sqlite:///patroli.db", since="2026-11-01")
    report.tables(pipeline.scan(...))  # the same tables straight from a scan result, no database
"""

from __future__ import annotations

from pipeline.report.data import BY, parse_when, report_data
from pipeline.report.tables import REPORT_TZ, TABLES, evidence_terms, tables
from pipeline.report.write import FORMATS, write_report

__all__ = ["BY", "FORMATS", "REPORT_TZ", "TABLES", "evidence_terms", "parse_when", "report_data", "tables",
           "write_report"]
