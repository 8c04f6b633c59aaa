"""`patroli scan`: streaming a file scan with progress, output file, store and flagged-post listing."""

from __future__ import annotations

import gc
import sys
from typing import Any

import click
from tqdm import tqdm

from pipeline._writers import ResultWriter
from pipeline.claims import claim_index
from pipeline.classify.artifact import load_model
from pipeline.scan import ScanSummary, Scorer, file_items, scan_items


def _print_flagged(record: dict[str, Any]) -> None:
    text = " ".join(record["text"].split())
    click.echo(f"\n[{record['platform']}:{record['post_id']}] priority {record['priority']:.1f}  "
               f"flags: {', '.join(record['flags'])}")
    click.echo(f"  {text[:200]}{'…' if len(text) > 200 else ''}")
    for label in record["flags"]:
        terms = ", ".join(f"{t} ({w:+.2f})" for t, w in record["evidence"].get(label, []))
        click.echo(f"  {label:12s} {record['scores'][label]:.2f}  ← {terms}")
    claim = record["evidence"].get("claim")
    if claim:
        click.echo(f"  known claim  {claim['claim_id']} ({claim['similarity']:.2f}): {claim['title']}")


def run_scan(inputs: tuple[str, ...], *, text_column: str, id_column: str | None, out: str | None,
             db: str | None, thresholds: dict[str, float], model_path: str | None, chunk_size: int,
             show_flagged: bool, progress: bool) -> ScanSummary:
    """Scan `inputs` into the queue database `db` (None: store nothing), writing `out` when given."""
    from pipeline.store import Store

    model = load_model(model_path)
    writer = ResultWriter(out, model.labels) if out else None
    store = Store.open(db) if db is not None else None
    scorer = Scorer(model, thresholds, claim_index(store) if store is not None else None)
    # The model and the claim index live as long as the scan: keep the cycle collector from re-walking them.
    gc.freeze()
    summary = ScanSummary()
    bar = tqdm(unit=" posts", disable=not progress, file=sys.stderr)

    def problem(message: str) -> None:
        bar.clear()
        click.echo(f"patroli: skipped: {message}", err=True)

    try:
        items = file_items(list(inputs), text_column=text_column, id_column=id_column)
        for records in scan_items(items, scorer, store=store, chunk_size=chunk_size, on_problem=problem,
                                  summary=summary):
            if writer is not None:
                writer.write(records)
            bar.update(len(records))
            if show_flagged:
                for record in records:
                    if record["flags"]:
                        _print_flagged(record)
    finally:
        gc.unfreeze()
        bar.close()
        if writer is not None:
            writer.close()
        if store is not None:
            store.close()
    return summary


__all__ = ["run_scan"]
