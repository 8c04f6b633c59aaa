"""Shared CLI plumbing: the group that turns PatroliError into one line and an exit code, the options several
commands share (each defined once here), and rendering tables and JSON."""

from __future__ import annotations

import getpass
import os
import shutil
from datetime import datetime
from typing import Any

import click
import pandas as pd

from pipeline.errors import ConfigError, PatroliError
from pipeline.labels import LABELS
from pipeline.values import to_json, wib


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


def default_analyst() -> str:
    """$PATROLI_ANALYST, else the login name."""
    try:
        return os.environ.get("PATROLI_ANALYST") or getpass.getuser()
    except (OSError, KeyError):
        return f"uid{os.getuid()}"


DB_OPTION = click.option("--db", default=None, metavar="URL",
                         help="Database  [default: $PATROLI_DB or sqlite:///patroli.db]")
FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                             show_default=True, help="Output format.")
MODEL_OPTION = click.option("--model", "model_path", default=None, metavar="DIR",
                            help="Model directory  [default: the shipped model]")
DATA_DIR_OPTION = click.option("--data-dir", default=None, metavar="DIR",
                               help="Third-party datasets  [default: $PATROLI_DATA_DIR]")
ANALYST_OPTION = click.option("--analyst", default=default_analyst, metavar="NAME",
                              help="Who is acting  [default: $PATROLI_ANALYST or your login name]")
NOTE_OPTION = click.option("--note", default=None, help="Free-text note for the audit trail.")
REASON_OPTION = click.option("--reason", "reason", default=None, metavar="CODE",
                             help="Reason code for the audit trail.")
THRESHOLD_OPTION = click.option("--threshold", "thresholds", multiple=True, metavar="LABEL=X",
                                help="Override a label's threshold (repeatable).")


def parse_thresholds(pairs: tuple[str, ...]) -> dict[str, float]:
    """`--threshold LABEL=X` values as {label: X}; ConfigError for an unknown label or a value that is not a number."""
    out: dict[str, float] = {}
    for pair in pairs:
        label, sep, value = pair.partition("=")
        if not sep or label not in LABELS:
            raise ConfigError(f"--threshold takes LABEL=X with LABEL one of {', '.join(LABELS)}; got {pair!r}")
        try:
            out[label] = float(value)
        except ValueError:
            raise ConfigError(f"--threshold {pair!r}: {value!r} is not a number") from None
    return out


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


def echo_json(obj: Any) -> None:
    click.echo(to_json(obj, indent=2))
