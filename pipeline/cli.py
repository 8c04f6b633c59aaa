"""The `patroli` command. Commands are thin: parse, call one library function, render."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pipeline import __version__
from pipeline._cli_check import check
from pipeline._cli_claims import claims
from pipeline._cli_common import PatroliGroup, echo_json
from pipeline._cli_report import report
from pipeline._cli_review import review
from pipeline.config import db_url, require_data_dir
from pipeline.errors import ConfigError
from pipeline.labels import LABELS


def _thresholds(pairs: tuple[str, ...]) -> dict[str, float]:
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


@click.group(cls=PatroliGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="patroli")
def cli() -> None:
    """patroli: score Indonesian posts for hoax, provocation and SARA hate speech, and review what is flagged."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--text-column", default="text", show_default=True, help="Column (or JSON field) holding the text.")
@click.option("--id-column", default=None, help="Column holding the post id  [default: file:line]")
@click.option("--out", "out", default=None, metavar="FILE", help="Write every result to FILE.jsonl|.csv|.parquet.")
@click.option("--db", default=None, metavar="URL", help="Review-queue database  [default: sqlite:///patroli.db]")
@click.option("--no-db", is_flag=True, help="Do not store or enqueue anything.")
@click.option("--threshold", "thresholds", multiple=True, metavar="LABEL=X", help="Override a label's threshold.")
@click.option("--model", "model_path", default=None, metavar="DIR", help="Model directory  [default: shipped model]")
@click.option("--chunk-size", default=2000, show_default=True, help="Posts scored per chunk.")
@click.option("--show-flagged", is_flag=True, help="Print each flagged post with its evidence.")
@click.option("--progress/--no-progress", default=None, help="Progress bar  [default: when stderr is a terminal]")
def scan(inputs: tuple[str, ...], text_column: str, id_column: str | None, out: str | None, db: str | None,
         no_db: bool, thresholds: tuple[str, ...], model_path: str | None, chunk_size: int, show_flagged: bool,
         progress: bool | None) -> None:
    """Score posts from CSV, JSONL, Parquet or text files (globs, directories, .gz) and enqueue the flagged."""
    from pipeline._cli_scan import run_scan

    summary = run_scan(inputs, text_column=text_column, id_column=id_column, out=out,
                       db=None if no_db else db_url(db), thresholds=_thresholds(thresholds), model_path=model_path,
                       chunk_size=chunk_size, show_flagged=show_flagged,
                       progress=sys.stderr.isatty() if progress is None else progress)
    click.echo(summary.line(), err=True)


@cli.command()
@click.option("--data-dir", default=None, metavar="DIR", help="Training data  [default: $PATROLI_DATA_DIR]")
@click.option("--out", "out", default=None, metavar="DIR", help="Where to write the model  [default: models/default]")
@click.option("--with-feedback", is_flag=True, help="Add analysts' verdicts from the review queue as labelled data.")
@click.option("--db", default=None, metavar="URL", help="Review-queue database for --with-feedback.")
def train(data_dir: str | None, out: str | None, with_feedback: bool, db: str | None) -> None:
    """Train the classifier (out-of-fold calibration and thresholds) and write the model with its card."""
    from pipeline.classify.train import train as train_model

    feedback = None
    if with_feedback:
        from pipeline.review import feedback_frame

        feedback = feedback_frame(db)
        click.echo(f"adding {len(feedback)} reviewed posts as labelled data", err=True)
    model = train_model(data_dir, out, feedback=feedback)
    click.echo(f"model {model.version} written to {out or 'models/default'}")
    for label, m in model.card["out_of_fold_metrics"].items():
        click.echo(f"  {label:12s} threshold {m['threshold']:.3f}  out-of-fold F1 {m['f1']:.3f}")


@cli.command()
@click.option("--data-dir", default=None, metavar="DIR", help="Evaluation data  [default: $PATROLI_DATA_DIR]")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--cross", is_flag=True,
              help="Cross-dataset (train on all sources but one, test on it) and temporal (hoax) splits instead.")
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="With --cross: hold out only this dataset (repeatable); default every annotated one.")
@click.option("--json", "json_out", default=None, metavar="FILE", help="Also write the results as JSON.")
@click.option("--jobs", default=2, show_default=True, help="Models trained in parallel.")
@click.option("--seed", default=0, show_default=True, help="Seed of the fold split and of training.")
def evaluate(data_dir: str | None, folds: int, cross: bool, sources: tuple[str, ...], json_out: str | None,
             jobs: int, seed: int) -> None:
    """Grouped, stratified k-fold cross-validation per label and source (precision, recall, F1, ROC-AUC, PR-AUC),
    or with --cross the cross-dataset and temporal splits."""
    from pipeline.classify import evaluate as evaluation

    if cross:
        result = evaluation.evaluate_cross(data_dir, seed=seed, n_jobs=jobs, sources=sources or None)
        table = result["table"]
    else:
        result = evaluation.evaluate(data_dir, folds=folds, seed=seed, n_jobs=jobs)
        table = result["labels"]
    click.echo(evaluation.format_table(table))
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        payload = {**{k: v for k, v in result.items() if k not in ("labels", "table")},
                   "labels" if not cross else "table": table.to_dict(orient="records")}
        Path(json_out).write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


@cli.command()
@click.argument("text")
@click.option("--model", "model_path", default=None, metavar="DIR", help="Model directory.")
def explain(text: str, model_path: str | None) -> None:
    """Score one text and show the terms behind each label's score."""
    from pipeline.classify.artifact import load_model

    model = load_model(model_path)
    scored = model.score([text])
    echo_json({"scores": scored.iloc[0].to_dict(), "flags": model.flags(scored)[0], "evidence": model.explain(text)})


@cli.command("run")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Ingest and score, but store nothing and save no cursors.")
@click.option("--full-refresh", is_flag=True, help="Ignore saved cursors and read every source from the start.")
@click.option("--source", "only", multiple=True, metavar="NAME", help="Run only this source (repeatable).")
def run(config: str, dry_run: bool, full_refresh: bool, only: tuple[str, ...]) -> None:
    """Run a configured patrol (for cron): every source in CONFIG once, with a lock and saved cursors.

    Exit codes: 0 all sources ok, 10 some sources failed, 11 all failed, 75 another run is active.
    """
    from pipeline.patrol import run_patrol

    result = run_patrol(config, dry_run=dry_run, full_refresh=full_refresh, only=only)
    click.echo(result.line(), err=True)
    sys.exit(result.exit_code)


@cli.group(cls=PatroliGroup)
def data() -> None:
    """The public training datasets (data/sources.toml): check or fetch them."""


@data.command("check")
@click.option("--data-dir", default=None, metavar="DIR", help="Data directory  [default: $PATROLI_DATA_DIR]")
def data_check(data_dir: str | None) -> None:
    """Check each dataset file's SHA-256 against the manifest; exit 1 if any is missing or different."""
    from pipeline import datasets

    table = datasets.check(require_data_dir(data_dir))
    click.echo(table.to_string(index=False))
    if (table["status"] != "ok").any():
        sys.exit(1)


@data.command("fetch")
@click.option("--data-dir", default=None, metavar="DIR", help="Where to put them  [default: $PATROLI_DATA_DIR]")
def data_fetch(data_dir: str | None) -> None:
    """Download the missing dataset files from their public URLs, keeping only files with the manifest's SHA-256."""
    from pipeline import datasets

    click.echo(datasets.fetch(require_data_dir(data_dir)).to_string(index=False))


cli.add_command(review)
cli.add_command(claims)
cli.add_command(report)
cli.add_command(check)


def main() -> None:
    cli(prog_name="patroli")
