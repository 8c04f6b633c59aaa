"""`patroli scan`: streaming a file scan with progress, output file, store and flagged-post listing."""

from __future__ import annotations

import gc
import logging
import sys

import click
from tqdm import tqdm

from pipeline.cli._common import DB_OPTION, MODEL_OPTION, THRESHOLD_OPTION, WORKERS_OPTION, parse_thresholds
from pipeline.config import db_url
from pipeline.distributed import Columns, load_flagged, score_dataset
from pipeline.errors import EXIT_PARTIAL, ConfigError
from pipeline.ingest._paths import unmatched_globs
from pipeline.pool import default_workers
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
@WORKERS_OPTION
@click.option("--show-flagged", is_flag=True, help="Print each flagged post with its evidence.")
@click.option("--progress/--no-progress", default=None, help="Progress bar  [default: when stderr is a terminal]")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: score on a Dask cluster (extra patroli[dask]); --out is then a directory URL.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: the scheduler (tcp://host:8786)  [default: a local cluster of --workers]")
@click.option("--to-queue", is_flag=True, help="With --engine dask: load the flagged posts into the queue of --db.")
def scan(inputs: tuple[str, ...], text_column: str, id_column: str | None, out: str | None, db: str | None,
         no_db: bool, thresholds: tuple[str, ...], model_path: str | None, chunk_size: int, workers: int | None,
         show_flagged: bool, progress: bool | None, engine: str, scheduler: str | None, to_queue: bool) -> None:
    """Score posts from CSV, JSONL, Parquet or text files (globs, directories, .gz) and enqueue the flagged.

    Every post gets its output record, in input order; a copy of an earlier post's text is marked duplicate_of.
    With --engine dask, INPUTS are CSV/JSONL/Parquet files at any fsspec URL and --out DIR receives a Parquet
    dataset partitioned by day (DIR/scored) and the flagged subset (DIR/flagged).

    Exit code 10 (partial) when an input file was skipped whole or cut short by damage; its rows are lost, the
    other files' are kept. A malformed record is reported and skipped without changing the exit code.

    \b
    Examples:
      patroli scan data/samples/posts.csv --out results.jsonl --show-flagged
      patroli scan 'exports/**/*.csv.gz' --text-column isi --id-column id_post --out results.parquet --workers 4
      patroli scan posts.txt --no-db --threshold hoax=0.8
      patroli scan 's3://archive/2026/*.parquet' --engine dask --scheduler tcp://10.0.0.5:8786 --out s3://out/ --to-queue
    """
    if engine == "dask":
        run_dask(inputs, text_column=text_column, id_column=id_column, out=out, db=None if no_db else db_url(db),
                 thresholds=parse_thresholds(thresholds), model_path=model_path, workers=workers,
                 scheduler=scheduler, to_queue=to_queue, show_flagged=show_flagged)
        return
    if scheduler or to_queue:
        raise ConfigError("--scheduler and --to-queue go with --engine dask")
    for pattern in unmatched_globs(inputs):
        click.echo(f"patroli: note: {pattern}: no file matches", err=True)
    summary = run_scan(inputs, text_column=text_column, id_column=id_column, out=out,
                       db=None if no_db else db_url(db), thresholds=parse_thresholds(thresholds),
                       model_path=model_path, chunk_size=chunk_size, show_flagged=show_flagged,
                       progress=sys.stderr.isatty() if progress is None else progress,
                       workers=workers or default_workers())
    click.echo(summary.line(), err=True)
    if summary.files_skipped:
        sys.exit(EXIT_PARTIAL)


def run_dask(inputs: tuple[str, ...], *, text_column: str, id_column: str | None, out: str | None, db: str | None,
             thresholds: dict[str, float], model_path: str | None, workers: int | None, scheduler: str | None,
             to_queue: bool, show_flagged: bool) -> None:
    """`scan --engine dask`: score on a cluster, write the datasets, optionally load the flagged into the queue."""
    if not out:
        raise ConfigError("--engine dask needs --out DIR (a directory URL for the scored and flagged datasets)")
    if show_flagged:
        raise ConfigError("--show-flagged does not go with --engine dask; read DIR/flagged instead")
    if to_queue and db is None:
        raise ConfigError("--to-queue needs a database; drop --no-db")
    # A local cluster's scheduler runs in this process and logs every shuffle it starts and ends as a warning.
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    result = score_dataset(list(inputs), out, model=model_path, scheduler=scheduler, workers=workers,
                           columns=Columns(text=text_column, id=id_column), thresholds=thresholds, db=db)
    for problem in result.problems:
        click.echo(f"patroli: skipped: {problem}", err=True)
    click.echo(result.line(), err=True)
    if to_queue:
        stored, copies, enqueued = load_flagged(result.flagged, db)
        click.echo(f"queue {db}: {stored} flagged posts stored, {copies} copies, {enqueued} enqueued", err=True)


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
             show_flagged: bool, progress: bool, workers: int = 1) -> ScanSummary:
    """Scan `inputs` into the queue database `db` (None: store nothing), writing `out` when given, scoring in
    `workers` processes."""
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
                                      on_problem=problem, summary=summary, workers=workers):
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
