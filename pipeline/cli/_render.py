"""Rendering DataFrames as plain tables or JSON for the commands that print tables."""

from __future__ import annotations

import click
import pandas as pd

from pipeline.cli._common import echo_json


def render(frame: pd.DataFrame, fmt: str) -> None:
    """Print a DataFrame as a plain table or as JSON records (one JSON array)."""
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        echo_json(records)
        return
    if frame.empty:
        click.echo("(nothing)")
        return
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60):
        click.echo(frame.to_string(index=False))
