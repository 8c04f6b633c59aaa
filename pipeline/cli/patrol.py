"""`patroli run`: a configured patrol run, for cron."""

from __future__ import annotations

import sys

import click

from pipeline.patrol import run_patrol


@click.command("run")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Ingest and score, but store nothing and save no cursors.")
@click.option("--full-refresh", is_flag=True, help="Ignore saved cursors and read every source from the start.")
@click.option("--source", "only", multiple=True, metavar="NAME", help="Run only this source (repeatable).")
def run(config: str, dry_run: bool, full_refresh: bool, only: tuple[str, ...]) -> None:
    """Run a configured patrol (for cron): every source in CONFIG once, with a lock and saved cursors.

    Exit codes: 0 all sources ok, 10 some sources failed, 11 all failed, 75 another run is active.

    \b
    Examples:
      patroli run examples/patrol.toml
      patroli run /etc/patroli/patrol.toml --source rss_berita --dry-run
    """
    result = run_patrol(config, dry_run=dry_run, full_refresh=full_refresh, only=only)
    click.echo(result.line(), err=True)
    sys.exit(result.exit_code)
