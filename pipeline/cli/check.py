"""`patroli check`: the functional test suite's pass rate per functionality against its floor."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd

from pipeline.classify.artifact import load_model, record_in_card
from pipeline.classify.checks import FLOORS, checks_report, failing_floors, run_checks, summarize_checks
from pipeline.cli._common import MODEL_OPTION, THRESHOLD_OPTION, parse_thresholds
from pipeline.config import CHECKS_DIR


@click.command()
@MODEL_OPTION
@click.option("--cases", "cases_path", default=None, metavar="FILE",
              help="Suite file  [default: data/checks/cases.jsonl]")
@click.option("--json", "json_out", default=None, metavar="FILE",
              help="Also write the table and every case's result (expected, flags, pass) as JSON.")
@click.option("--show-failures", is_flag=True, help="Also print every failing case: id, expected, flags, text.")
@click.option("--strict", is_flag=True, help="Exit 1 when a functionality is below its floor (for CI).")
@click.option("--record", is_flag=True,
              help="Also store the pass rates in the model's card (under measured, keyed by the suite file).")
@THRESHOLD_OPTION
def check(model_path: str | None, cases_path: str | None, json_out: str | None, show_failures: bool,
          strict: bool, record: bool, thresholds: tuple[str, ...]) -> None:
    """Run the functional test suite: each case's flags against what it must and must not flag, and the pass
    rate per functionality against its floor (hateful 90%, non_hateful 95%, hoax and not_hoax 90%).

    A report: exits 0 whatever the pass rates, unless --strict and a floor fails (exit 1).

    \b
    Examples:
      patroli check
      patroli check --show-failures --json checks.json
      patroli check --cases data/checks/holdout.jsonl --strict
      patroli check --record
    """
    model = load_model(model_path)
    results = run_checks(model, cases_path, parse_thresholds(thresholds), on_problem=lambda msg: click.echo(f"patroli: skipped {msg}", err=True))
    summary = summarize_checks(results)
    if show_failures:
        _echo_failures(results)
    _echo_summary(summary)
    failing = failing_floors(summary)
    click.echo(_floor_line(summary, failing))
    if json_out:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(checks_report(results, summary), ensure_ascii=False, indent=2)
        Path(json_out).write_text(payload + "\n", encoding="utf-8")
    if record:
        report = checks_report(results, summary, with_cases=False)
        report["pass_rate_per_kind"] = {kind: round(float(group["pass"].mean()), 4)
                                        for kind, group in results.groupby("kind", sort=False)}
        report["command"] = "patroli check" + (f" --cases {cases_path}" if cases_path else "")
        # The shipped suite is named as the package knows it, not by where this checkout happens to live.
        shipped = Path(report["cases_file"]).resolve()
        if shipped.is_relative_to(CHECKS_DIR.resolve()):
            report["cases_file"] = f"data/checks/{shipped.relative_to(CHECKS_DIR.resolve())}"
        key = f"check {Path(report['cases_file']).name}"
        click.echo(f"recorded in {record_in_card(model_path, key, report)}", err=True)
    if strict and failing:
        sys.exit(1)


def _echo_summary(summary: pd.DataFrame) -> None:
    width = max(len("functionality"), *(len(name) for name in summary["functionality"]))
    click.echo(f"{'functionality':{width}s}  {'kind':11s}  {'passed':>7s}  {'rate':>6s}  {'floor':>5s}  status")
    for row in summary.itertuples(index=False):
        verdict = "ok" if row.meets_floor else "BELOW"
        click.echo(f"{row.functionality:{width}s}  {row.kind:11s}  {f'{row.passed}/{row.n}':>7s}  "
                   f"{row.pass_rate:6.1%}  {row.floor:5.0%}  {verdict}")
    click.echo()
    for kind, group in summary.groupby("kind", sort=False):
        below = int((~group["meets_floor"]).sum())
        click.echo(f"{kind}: {group['passed'].sum()}/{group['n'].sum()} cases pass "
                   f"({group['passed'].sum() / group['n'].sum():.1%}); {below} of {len(group)} functionalities "
                   f"below the {FLOORS[kind]:.0%} floor")


def _floor_line(summary: pd.DataFrame, failing: list[str]) -> str:
    if not failing:
        return f"floors: all {len(summary)} functionalities meet their floor"
    return f"floors: {len(failing)} of {len(summary)} functionalities below their floor: {', '.join(failing)}"


def _echo_failures(results: pd.DataFrame) -> None:
    for row in results.loc[~results["pass"]].itertuples(index=False):
        flags = ", ".join(row.flags) or "(none)"
        click.echo(f"FAIL {row.id}  expected {row.expected}  flagged {flags}\n     {row.text}")
    click.echo()
