"""Printing tables that fit the terminal (times in WIB) or JSON records, from a DataFrame or from rows (dicts), for
the commands that print tables. pandas is never imported here: the commands that print rows start without it."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli._common import echo_json
from pipeline.values import jsonable, to_json, wib

if TYPE_CHECKING:
    import pandas as pd

#: The dtype kinds pandas counts as numeric (bool, int, unsigned, float, complex): right-aligned.
NUMERIC_KINDS = "biufc"


def render(frame: pd.DataFrame, fmt: str) -> None:
    """Print a DataFrame as a table that fits the terminal (times in WIB, long text cut with …) or as JSON records
    (one JSON array, every value in full)."""
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        render_rows(records, list(frame.columns), fmt)
    elif frame.empty:
        click.echo("(nothing)")
    else:
        click.echo(table_text(frame, _terminal_width()))


def render_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> None:
    """Print the `columns` of rows as `render` prints a DataFrame; a column whose values are all numbers (or None)
    is right-aligned."""
    if fmt == "json":
        echo_json([{name: jsonable(row[name]) for name in columns} for row in rows])
    elif not rows:
        click.echo("(nothing)")
    else:
        values = [[row[name] for row in rows] for name in columns]
        numeric = [all(v is None or isinstance(v, int | float) for v in column) for column in values]
        click.echo(_aligned(list(columns), values, numeric, _terminal_width()))


def _terminal_width() -> int:
    return shutil.get_terminal_size((120, 24)).columns


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, datetime):  # NaT too: `wib` shows it as ""
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
    return _aligned([str(c) for c in frame.columns], [frame[c].tolist() for c in frame.columns],
                    [frame[c].dtype.kind in NUMERIC_KINDS for c in frame.columns], width)


def _aligned(names: list[str], columns: list[list[Any]], numeric: list[bool], width: int) -> str:
    """Columns of values under their names, as text no wider than `width` (see `table_text`)."""
    cells = [[_cell_text(v) for v in column] for column in columns]
    widths = [max(len(name), *(len(v) for v in col)) for name, col in zip(names, cells, strict=True)]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= 8:
            break
        widths[widest] -= 1

    def fit(text: str, size: int, right: bool) -> str:
        text = text if len(text) <= size else text[: size - 1] + "…"
        return text.rjust(size) if right else text.ljust(size)

    lines = ["  ".join(fit(name, w, r) for name, w, r in zip(names, widths, numeric, strict=True))]
    for row in zip(*cells, strict=True):
        lines.append("  ".join(fit(v, w, r) for v, w, r in zip(row, widths, numeric, strict=True)))
    return "\n".join(line.rstrip() for line in lines)
