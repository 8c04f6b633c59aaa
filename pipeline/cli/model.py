"""`patroli train`, `evaluate` and `explain`: the classifier's life cycle from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pipeline.classify.artifact import load_model
from pipeline.classify.evaluate import evaluate as run_evaluation
from pipeline.classify.train import train as train_model
from pipeline.cli._common import DATA_DIR_OPTION, DB_OPTION, MODEL_OPTION, echo_json
from pipeline.review import feedback_frame


@click.command()
@DATA_DIR_OPTION
@click.option("--out", "out", default=None, metavar="DIR", help="Where to write the model  [default: models/default]")
@click.option("--with-feedback", is_flag=True, help="Add analysts' verdicts from the review queue as labelled data.")
@DB_OPTION
def train(data_dir: str | None, out: str | None, with_feedback: bool, db: str | None) -> None:
    """Train the classifier (out-of-fold calibration and thresholds) and write the model with its card."""
    feedback = None
    if with_feedback:
        feedback = feedback_frame(db)
        click.echo(f"adding {len(feedback)} reviewed posts as labelled data", err=True)
    model = train_model(data_dir, out, feedback=feedback)
    click.echo(f"model {model.version} written to {out or 'models/default'}")
    for label, m in model.card["out_of_fold_metrics"].items():
        click.echo(f"  {label:12s} threshold {m['threshold']:.3f}  out-of-fold F1 {m['f1']:.3f}")


@click.command()
@DATA_DIR_OPTION
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--json", "json_out", default=None, metavar="FILE", help="Also write the results as JSON.")
@click.option("--jobs", default=2, show_default=True, help="Folds trained in parallel.")
@click.option("--seed", default=0, show_default=True, help="Seed of the fold split and of training.")
def evaluate(data_dir: str | None, folds: int, json_out: str | None, jobs: int, seed: int) -> None:
    """Grouped, stratified k-fold cross-validation: per-label precision, recall, F1, ROC-AUC, PR-AUC."""
    result = run_evaluation(data_dir, folds=folds, seed=seed, n_jobs=jobs)
    table = result["labels"]
    click.echo(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    hv = result["hoax_vs_tweets"]
    click.echo(f"hoax on {hv['ordinary_tweets']} held-out ordinary tweets: false-flag rate "
               f"{hv['false_flag_rate']:.3%}, ROC-AUC hoax vs tweets {hv['roc_auc_hoax_vs_tweets']:.3f}")
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        payload = {**result, "labels": table.to_dict(orient="records")}
        Path(json_out).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


@click.command()
@click.argument("text")
@MODEL_OPTION
def explain(text: str, model_path: str | None) -> None:
    """Score one text and show the terms behind each label's score."""
    model = load_model(model_path)
    scored = model.score([text])
    echo_json({"scores": scored.iloc[0].to_dict(), "flags": model.flags(scored)[0], "evidence": model.explain(text)})
