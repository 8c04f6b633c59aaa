"""`patroli scan`: streaming a file scan with progress, output file, store and flagged-post listing."""

from __future__ import annotations

import gc
import sys

import click
from tqdm import tqdm

from pipeline.cli._common import DB_OPTION, MODEL_OPTION, THRESHOLD_OPTION, parse_thresholds
from pipeline.config import db_url
from pipeline.records import ScanRecord
from pipeline.scanner import ScanSummary, file_items, open_session, scan_items
from pipeline.writers import ResultWriter


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--text-column", default="text", show_default=True, help="Column (or JSON field) holding the text.")
@click.option("--id-column", default=None, help="Column holding the post id  [default: file:line]")
@click.option("--out", "out", default=None, metavar="FILE", help="Write every result to FILE.jsonl|.csv|.parquet.")
@DB_OPTION
@click.option("--no-db", is_flag=True, help="Do not store or enqueue anything.")
@THRESHOLD_OPTION
@MODEL_OPTION
@click.option("--chunk-size", default=2000, show_default=True, help="Posts scored per chunk.")
@click.option("--show-flagged", is_flag=True, help="Print each flagged post with its evidence.")
@click.option("--progress/--no-progress", default=None, help="Progress bar  [default: when stderr is a terminal]")
def scan(inputs: tuple[str, ...], text_column: str, id_column: str | None, out: str | None, db: str | None,
         no_db: bool, thresholds: tuple[str, ...], model_path: str | None, chunk_size: int, show_flagged: bool,
         progress: bool | None) -> None:
    """Score posts from CSV, JSONL, Parquet or text files (globs, directories, .gz) and enqueue the flagged.

    \b
    Examples:
      patroli scan data/samples/posts.csv --out results.jsonl --show-flagged
      patroli scan 'exports/**/*.csv.gz' --text-column isi --id-column id_post --out results.parquet
      patroli scan posts.txt --no-db --threshold hoax=0.8
    """
    summary = run_scan(inputs, text_column=text_column, id_column=id_column, out=out,
                       db=None if no_db else db_url(db), thresholds=parse_thresholds(thresholds),
                       model_path=model_path, chunk_size=chunk_size, show_flagged=show_flagged,
                       progress=sys.stderr.isatty() if progress is None else progress)
    click.echo(summary.line(), err=True)


def _print_flagged(record: ScanRecord) -> None:
    text = " ".join(record.text.split())
    click.echo(f"\n[{record.platform}:{record.post_id}] priority {record.priority:.1f}  "
               f"flags: {', '.join(record.flags)}")
    click.echo(f"  {text[:200]}{'…' if len(text) > 200 else ''}")
    for label in record.flags:
        terms = ", ".join(f"{t} ({w:+.2f})" for t, w in record.evidence.get(label, []))
        click.echo(f"  {label:12s} {record.scores[label]:.2f}  ← {terms}")
    claim = record.claim
    if claim:
        click.echo(f"  known claim  {claim['claim_id']} ({claim['similarity']:.2f}): {claim['title']}")


def run_scan(inputs: tuple[str, ...], *, text_column: str, id_column: str | None, out: str | None,
             db: str | None, thresholds: dict[str, float], model_path: str | None, chunk_size: int,
             show_flagged: bool, progress: bool) -> ScanSummary:
    """Scan `inputs` into the queue database `db` (None: store nothing), writing `out` when given."""
    summary = ScanSummary()
    with open_session(model=model_path, db=db, thresholds=thresholds) as session:
        writer = ResultWriter(out, session.model.labels) if out else None
        # The model and the claim index live as long as the scan: keep the cycle collector from re-walking them.
        gc.freeze()
        bar = tqdm(unit=" posts", disable=not progress, file=sys.stderr)

        def problem(message: str) -> None:
            bar.clear()
            click.echo(f"patroli: skipped: {message}", err=True)

        try:
            items = file_items(list(inputs), text_column=text_column, id_column=id_column)
            for records in scan_items(items, session.scorer, store=session.store, chunk_size=chunk_size,
                                      on_problem=problem, summary=summary):
                if writer is not None:
                    writer.write(records)
                bar.update(len(records))
                if show_flagged:
                    for record in records:
                        if record.flags:
                            _print_flagged(record)
        finally:
            gc.unfreeze()
            bar.close()
            if writer is not None:
                writer.close()
    return summary
