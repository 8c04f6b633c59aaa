"""Shared CLI plumbing: turning PatroliError into one line and an exit code, rendering tables and JSON."""

from __future__ import annotations

import json
from typing import Any

import click
import pandas as pd

from pipeline._writers import jsonable
from pipeline.errors import PatroliError


class PatroliGroup(click.Group):
    """A click group whose commands report PatroliError as one line on stderr and exit with its code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PatroliError as exc:
            click.echo(f"patroli: error: {exc}", err=True)
            ctx.exit(exc.exit_code)

    def group(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", PatroliGroup)
        return super().group(*args, **kwargs)


DB_OPTION = click.option("--db", default=None, metavar="URL",
                         help="Database  [default: $PATROLI_DB or sqlite:///patroli.db]")

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
    help="Output format.",
)


def render(frame: pd.DataFrame, fmt: str) -> None:
    """Print a DataFrame as a plain table or as JSON records (one JSON array)."""
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        click.echo(json.dumps(records, ensure_ascii=False, default=jsonable, indent=2))
        return
    if frame.empty:
        click.echo("(nothing)")
        return
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60):
        click.echo(frame.to_string(index=False))


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=jsonable, indent=2))

