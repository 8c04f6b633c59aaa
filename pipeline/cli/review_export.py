"""`patroli review export`: the evidence report with the signed head of the evidence chain.

Its own module so that the other review commands start without the signing library and the export writers.
"""

from __future__ import annotations

import click

from pipeline.cli._common import ANALYST_OPTION, DB_OPTION, FORMAT_OPTION, SIGNING_KEY_OPTION
from pipeline.cli._render import render_rows
from pipeline.review.evidence import EXPORT_COLUMNS, FORMATS, write_evidence


@click.command()
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--only", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Write only these formats (repeatable)  [default: all]")
@ANALYST_OPTION
@SIGNING_KEY_OPTION
@DB_OPTION
@FORMAT_OPTION
def export(out_dir: str, formats: tuple[str, ...], analyst: str, signing_key: str | None, db: str | None,
           fmt: str) -> None:
    """Write the evidence report of confirmed/escalated items to OUT_DIR (CSV, JSONL, HTML), the signed head of the
    evidence chain (evidence.head.json) and a SHA-256 manifest.

    \b
    Examples:
      patroli review export evidence/
      patroli review export evidence/ --only html --only jsonl
    """
    written = write_evidence(db, out_dir, formats=formats or FORMATS, analyst=analyst, signing_key=signing_key)
    render_rows(written, EXPORT_COLUMNS, fmt)
