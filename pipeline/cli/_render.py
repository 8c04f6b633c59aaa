"""Rendering DataFrames as tables that fit the terminal (times in WIB) or as JSON, for the commands that print
tables."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

import click
import pandas as pd

from pipeline.cli._common import echo_json
from pipeline.values import to_json, wib


def render(frame: pd.DataFrame, fmt: str) -> None:
    """Print a DataFrame as a table that fits the terminal (times in WIB, long text cut with …) or as JSON records
    (one JSON array, every value in full)."""
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        echo_json(records)
        return
    if frame.empty:
        click.echo("(nothing)")
        return
    click.echo(table_text(frame, shutil.get_terminal_size((120, 24)).columns))


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        return wib(value)
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell_text(v) for v in value)
    if isinstance(value, dict):
        return to_json(value)
    return " ".join(str(value).split())


def table_text(frame: pd.DataFrame, width: int) -> str:
    """`frame` as aligned text no wider than `width`: the widest columns are cut first (never below 8 characters),
    numbers are right-aligned."""
    columns = [str(c) for c in frame.columns]
    cells = [[_cell_text(v) for v in frame[c].tolist()] for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    widths = [max(len(name), *(len(v) for v in col)) for name, col in zip(columns, cells, strict=True)]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= 8:
            break
        widths[widest] -= 1

    def fit(text: str, size: int, right: bool) -> str:
        text = text if len(text) <= size else text[: size - 1] + "…"
        return text.rjust(size) if right else text.ljust(size)

    lines = ["  ".join(fit(name, w, r) for name, w, r in zip(columns, widths, numeric, strict=True))]
    for row in zip(*cells, strict=True):
        lines.append("  ".join(fit(v, w, r) for v, w, r in zip(row, widths, numeric, strict=True)))
    return "\n".join(line.rstrip() for line in lines)
