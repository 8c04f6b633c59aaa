"""`patroli train`, `evaluate` and `explain`: the classifier's life cycle from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from pipeline.classify import evaluate as evaluation
from pipeline.classify.artifact import record_in_card
from pipeline.classify.train import train as train_model
from pipeline.cli._common import DATA_DIR_OPTION, DB_OPTION, MODEL_OPTION, echo_json
from pipeline.cli._render import render
from pipeline.errors import InputError, StoreError
from pipeline.labels import FLAG_LABELS
from pipeline.posts import Post
from pipeline.review import feedback_frame
from pipeline.scanner import open_session
from pipeline.store import Store


@click.command()
@DATA_DIR_OPTION
@click.option("--out", "out", default=None, metavar="DIR", help="Where to write the model  [default: models/default]")
@click.option("--with-feedback", is_flag=True, help="Add analysts' verdicts from the review queue as labelled data.")
@DB_OPTION
def train(data_dir: str | None, out: str | None, with_feedback: bool, db: str | None) -> None:
    """Train the classifier (out-of-fold calibration and thresholds) and write the model with its card.

    \b
    Examples:
      patroli train --data-dir ../shared/data --out models/default
      patroli train --data-dir ../shared/data --with-feedback --db sqlite:///patroli.db --out models/next
    """
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
@click.option("--cross", is_flag=True,
              help="Cross-dataset (train on all sources but one, test on it) and temporal (hoax) splits instead.")
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="With --cross: hold out only this dataset (repeatable); default every annotated one.")
@click.option("--json", "json_out", default=None, metavar="FILE", help="Also write the results as JSON.")
@click.option("--jobs", default=2, show_default=True, help="Models trained in parallel.")
@click.option("--seed", default=0, show_default=True, help="Seed of the fold split and of training.")
@click.option("--record", "record_dir", default=None, metavar="DIR",
              help="Also store the results in the card of the model in DIR (e.g. models/default).")
def evaluate(data_dir: str | None, folds: int, cross: bool, sources: tuple[str, ...], json_out: str | None,
             jobs: int, seed: int, record_dir: str | None) -> None:
    """Grouped, stratified k-fold cross-validation per label and source (precision, recall, F1, ROC-AUC, PR-AUC),
    or with --cross the cross-dataset and temporal splits.

    \b
    Examples:
      patroli evaluate --data-dir ../shared/data --json evaluation.json
      patroli evaluate --data-dir ../shared/data --cross --source netifier2018
      patroli evaluate --data-dir ../shared/data --folds 3 --record models/default
    """
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
                   "table" if cross else "labels": table.to_dict(orient="records")}
        Path(json_out).write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    if record_dir:
        command = " ".join(["patroli evaluate", *(["--cross"] if cross else [f"--folds {folds}"]),
                            *(f"--source {name}" for name in sources), f"--seed {seed}"])
        figures = {"command": command, "seed": seed, "data_sha256": result["data_sha256"],
                   "table": json.loads(table.to_json(orient="records"))}
        key = "evaluate --cross" if cross else "evaluate"
        click.echo(f"recorded in {record_in_card(record_dir, key, figures)}", err=True)


@click.command()
@click.argument("text")
@MODEL_OPTION
@DB_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def explain(text: str, model_path: str | None, db: str | None, as_json: bool) -> None:
    """Score one text as a scan would, and show per label its score, threshold, flag and the terms behind the
    score, plus the best matching known claim of the database (when it has claims).

    \b
    Examples:
      patroli explain "Usir mereka dari kampung ini, dasar k4f1r!"
      patroli explain --json "Sebarkan! air PDAM tercampur racun"
    """
    if not text.strip():
        raise InputError("explain needs a text to score; got an empty one")
    try:
        store = Store.open(db, must_exist=True)
    except StoreError:
        if db is not None:
            raise
        store = None  # no default database yet: explain without known claims
    with open_session(model=model_path, db=store) as session:
        record = session.scorer.score([Post(platform="cli", post_id="explain", text=text)])[0]
        terms = session.model.explain(text)
        best = session.scorer.claims.match([text], k=1)[0] if session.scorer.claims is not None else []
    if store is not None:
        store.close()
    claim = best[0].as_evidence() if best else None
    if as_json:
        echo_json({"scores": record.scores, "flags": record.flags, "thresholds": session.scorer.thresholds,
                   "evidence": terms, "claim": claim})
        return
    # SARA sub-labels refine a SARA flag (which group it targets); they do not flag alone, and one that scores
    # nothing has no terms of its own to show.
    rows = [{"label": label, "score": record.scores[label],
             "threshold": session.scorer.thresholds.get(label) if label in FLAG_LABELS else None,
             "flag": "FLAG" if label in record.flags else "",
             "terms": ", ".join(f"{t} ({w:+.2f})" for t, w in terms.get(label, []))
             if label in FLAG_LABELS or record.scores[label] >= 0.001 else ""}
            for label in session.model.labels]
    if "sara" in terms and not terms["sara"]:
        # SARA needs a named group; say so rather than leave the reader to guess why the row is empty
        rows[list(session.model.labels).index("sara")]["terms"] = "no SARA group named"
    render(pd.DataFrame(rows), "table")
    if claim is not None:
        click.echo(f"\nbest known claim: {claim['claim_id']} (similarity {claim['similarity']:.2f}, {claim['level']}): "
                   f"{claim['title']}{' ' + claim['url'] if claim.get('url') else ''}")
    elif session.scorer.claims is None:
        click.echo("\nno known claims to match (import some with `patroli claims import FILE`)")
