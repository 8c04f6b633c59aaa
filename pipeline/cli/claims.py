"""`patroli claims ...`: import, list and search known hoax claims; evaluate claim matching."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from pipeline.claims import import_claims, list_claims, search_claims
from pipeline.claims.db import LIST_COLUMNS
from pipeline.claims.evaluate import evaluate_claim_matching
from pipeline.cli._common import DATA_DIR_OPTION, DB_OPTION, FORMAT_OPTION, PatroliGroup
from pipeline.cli._render import render


@click.group("claims", cls=PatroliGroup)
def claims() -> None:
    """Known, already-debunked hoax claims that posts are matched against."""


@claims.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@DB_OPTION
def import_(file: Path, db: str | None) -> None:
    """Add or update claims from FILE: CSV, JSON Lines or schema.org ClaimReview JSON-LD.

    \b
    Examples:
      patroli claims import data/samples/claims.csv
      patroli claims import claim_review.jsonld --db postgresql://patroli@db/patroli
    """
    counts = import_claims(file, db, on_problem=lambda msg: click.echo(f"patroli: skipped {msg}", err=True))
    click.echo(f"{counts['read']} claims read from {file.name}: {counts['new']} new, {counts['updated']} updated, "
               f"{counts['skipped']} malformed rows skipped")


@claims.command("list")
@DB_OPTION
@FORMAT_OPTION
def list_(db: str | None, fmt: str) -> None:
    """List the known claims.

    \b
    Examples:
      patroli claims list
      patroli claims list --format json > claims.json
    """
    frame = list_claims(db)
    render(frame if fmt == "json" else frame[list(LIST_COLUMNS)], fmt)


@claims.command("search")
@click.argument("text")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 100), help="How many claims to show.")
@DB_OPTION
@FORMAT_OPTION
def search(text: str, k: int, db: str | None, fmt: str) -> None:
    """Show the known claims most similar to TEXT, with similarity and level (match / suggest / below).

    \b
    Example:
      patroli claims search "vaksin mengandung chip" --k 3
    """
    frame = search_claims(text, db, k=k)
    if fmt == "table":
        frame = frame.assign(similarity=frame["similarity"].map(lambda s: f"{s:.3f}"))
    render(frame, fmt)


@claims.command("evaluate")
@DATA_DIR_OPTION
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the full results to this JSON file.")
def evaluate(data_dir: str | None, json_path: Path | None) -> None:
    """Recall@1/@5 on hoax_news2020 (titles as claims, narratives as posts), false matches on ordinary tweets.

    \b
    Example:
      patroli claims evaluate --data-dir ../shared/data --json claims-eval.json
    """
    result = evaluate_claim_matching(data_dir)
    render(summary_frame(result), "table")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        click.echo(f"written {json_path}", err=True)


def summary_frame(result: dict) -> pd.DataFrame:
    """The headline numbers of `evaluate_claim_matching` as a two-column table."""
    rec, fm, th = result["recall"], result["false_match"], result["thresholds"]
    rows = [
        ("Recall@1 / @5, test half", f"{rec['index_test']['recall_at_1']:.3f} / {rec['index_test']['recall_at_5']:.3f}"),
        ("baseline TF-IDF, test half",
         f"{rec['baseline_test']['recall_at_1']:.3f} / {rec['baseline_test']['recall_at_5']:.3f}"),
        ("thresholds suggest / match", f"{th['suggest']:.3f} / {th['match']:.3f}"),
        ("held-out tweets >= match", f"{fm['held_out_rate_at_match']:.2%}"),
        ("held-out tweets >= suggest", f"{fm['held_out_rate_at_suggest']:.2%}"),
        ("hoax posts matched correctly", f"{fm['hoax_test_posts_matched_correctly']:.1%}"),
    ]
    for name, r in result.get("robustness", {}).items():
        rows.append((f"R@1 {name} (titles / +narratives)",
                     f"{r['index_r1']:.3f} / {r['index_with_narratives_r1']:.3f}"))
    return pd.DataFrame(rows, columns=["metric", "value"])
