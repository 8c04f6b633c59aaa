"""`patroli report`: the report of a period as a self-contained HTML page, CSV files or JSON."""

from __future__ import annotations

import click

from pipeline.cli._common import DB_OPTION
from pipeline.report import BY, FORMATS, write_report


@click.command()
@click.option("--since", default=None, metavar="DATE",
              help="Start of the period: YYYY-MM-DD (midnight WIB) or an ISO 8601 time; no offset means "
                   "Asia/Jakarta  [default: the beginning]")
@click.option("--until", default=None, metavar="DATE",
              help="End of the period: a date includes that whole day; a time is exclusive  [default: now]")
@DB_OPTION
@click.option("--out", "out", required=True, metavar="PATH",
              help="The HTML or JSON file to write; for --format csv a directory (one CSV per table).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="html: charts and the top flagged posts with their evidence, for reading and printing; "
                   "json: every table in one file; csv: summary.csv, labels.csv, by_platform.csv, by_source.csv, "
                   "daily.csv, top_flagged.csv, claims.csv, queue.csv in the --out directory.")
@click.option("--by", type=click.Choice(BY), default="captured_at", show_default=True,
              help="Select and count posts by when patroli captured them or when they were posted.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=0),
              help="How many flagged posts to show, highest priority first.")
@click.option("--title", default="patroli report", show_default=True, help="Title of the HTML page.")
def report(since: str | None, until: str | None, db: str | None, out: str, fmt: str, by: str, top: int,
           title: str) -> None:
    """Report a period: posts scanned and flagged per label, platform, source and day, the top flagged posts
    with their evidence, the most-matched known hoaxes and the review-queue state.

    \b
    Examples:
      patroli report --since 2026-11-01 --until 2026-11-30 --out november.html
      patroli report --since 2026-11-01 --format csv --out november/
    """
    data = write_report(out, db, since, until, fmt, by=by, top=top, title=title)
    summary = data["summary"].iloc[0]
    click.echo(f"{fmt} report written to {out}: {summary['posts']} posts, {summary['flagged_posts']} flagged, "
               f"{summary['enqueued']} enqueued")
