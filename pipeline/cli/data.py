"""`patroli data check|fetch`: the public training datasets of data/sources.toml."""

from __future__ import annotations

import sys

import click

from pipeline import datasets
from pipeline.cli._common import DATA_DIR_OPTION, PatroliGroup
from pipeline.config import require_data_dir


@click.group(cls=PatroliGroup)
def data() -> None:
    """The public training datasets (data/sources.toml): check or fetch them."""


@data.command("check")
@DATA_DIR_OPTION
def check(data_dir: str | None) -> None:
    """Check each dataset file's SHA-256 against the manifest; exit 1 if any is missing or different.

    \b
    Example:
      patroli data check --data-dir ../shared/data
    """
    table = datasets.check(require_data_dir(data_dir))
    click.echo(table.to_string(index=False))
    if (table["status"] != "ok").any():
        sys.exit(1)


@data.command("fetch")
@DATA_DIR_OPTION
def fetch(data_dir: str | None) -> None:
    """Download the missing dataset files from their public URLs, keeping only files with the manifest's SHA-256.

    \b
    Example:
      patroli data fetch --data-dir ~/patroli-data
    """
    click.echo(datasets.fetch(require_data_dir(data_dir)).to_string(index=False))
