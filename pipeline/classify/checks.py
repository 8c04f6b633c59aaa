"""The functional test suite (`data/checks/`): read its cases, flag them with a model, judge each case against the
flags it must and must not get, and say which functionalities fall below their floor."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.classify.artifact import Model
from pipeline.config import CHECKS_DIR
from pipeline.digest import sha256_file
from pipeline.errors import InputError, ProblemHandler
from pipeline.labels import FLAG_LABELS

log = logging.getLogger("pipeline.checks")

DEFAULT_CASES = CHECKS_DIR / "cases.jsonl"
HOLDOUT_CASES = CHECKS_DIR / "holdout.jsonl"

#: The least share of a functionality's cases that must pass, by the functionality's kind.
FLOORS: dict[str, float] = {"hateful": 0.90, "non_hateful": 0.95, "hoax": 0.90, "not_hoax": 0.90}
TARGET_KINDS: tuple[str, ...] = ("suku", "agama", "ras", "antargolongan")
CASE_COLUMNS: tuple[str, ...] = ("id", "functionality", "kind", "category", "text", "must_flag", "must_not_flag",
                                 "target_kind", "target")
_REQUIRED = ("id", "functionality", "kind", "text", "must_flag", "must_not_flag")
# Rates are shares of small integers; the tolerance keeps 19/20 from missing a 0.95 floor by a rounding error.
_EPS = 1e-9


def load_cases(path: str | os.PathLike[str] | None = None, *,
               on_problem: ProblemHandler | None = None) -> pd.DataFrame:
    """The cases of a suite file (default `data/checks/cases.jsonl`), one row per case with CASE_COLUMNS;
    `must_flag` and `must_not_flag` are lists of flagging labels, `target_kind`/`target`/`category` may be None.

    A malformed line (not JSON, a missing key, an unknown kind, target kind or label, a label both required and
    forbidden, an id used before) is reported as "file:line: reason" to `on_problem` (default: a logged warning)
    and skipped; the messages are also in `frame.attrs["problems"]`. An unreadable file, or one without a single
    valid case, raises InputError.
    """
    p = Path(path) if path is not None else DEFAULT_CASES
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read check cases {p}: {getattr(err, 'strerror', None) or err}") from err
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = _case(line)
            if case["id"] in seen:
                raise ValueError(f"id {case['id']!r} repeats an earlier case")
        except ValueError as err:
            message = f"{p.name}:{number}: {err}"
            problems.append(message)
            (on_problem or log.warning)(message)
            continue
        seen.add(case["id"])
        rows.append(case)
    if not rows:
        raise InputError(f"no valid check cases in {p}")
    frame = pd.DataFrame(rows, columns=list(CASE_COLUMNS))
    for column in ("category", "target_kind", "target"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    frame.attrs["problems"] = problems
    return frame


def _case(line: str) -> dict[str, Any]:
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not JSON ({err.msg})") from None
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    missing = [key for key in _REQUIRED if key not in raw]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    for key in ("id", "functionality", "text"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise ValueError(f"{key} must be a non-empty string")
    if raw["kind"] not in FLOORS:
        raise ValueError(f"kind {raw['kind']!r} is not one of {', '.join(FLOORS)}")
    if raw.get("target_kind") not in (None, *TARGET_KINDS):
        raise ValueError(f"target_kind {raw['target_kind']!r} is not one of {', '.join(TARGET_KINDS)}")
    must, must_not = _labels(raw, "must_flag"), _labels(raw, "must_not_flag")
    if both := sorted(set(must) & set(must_not)):
        raise ValueError(f"{', '.join(both)} in both must_flag and must_not_flag")
    return {**{key: raw.get(key) for key in CASE_COLUMNS}, "must_flag": must, "must_not_flag": must_not}


def _labels(raw: dict[str, Any], key: str) -> list[str]:
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        raise ValueError(f"{key} must be a list of labels")
    if unknown := [label for label in value if label not in FLAG_LABELS]:
        raise ValueError(f"{key}: unknown label {unknown[0]!r}; flagging labels: {', '.join(FLAG_LABELS)}")
    return list(value)


def case_passes(flags: Iterable[str], must_flag: Iterable[str], must_not_flag: Iterable[str]) -> bool:
    """True when every label of `must_flag` is among `flags` and no label of `must_not_flag` is."""
    flagged = set(flags)
    return set(must_flag) <= flagged and not flagged & set(must_not_flag)


def expected_text(must_flag: Iterable[str], must_not_flag: Iterable[str]) -> str:
    """What a case expects, compactly: "+sara +provocation -hoax" (labels in neither list are free)."""
    return " ".join([f"+{label}" for label in must_flag] + [f"-{label}" for label in must_not_flag])


def run_checks(model: Model, cases_path: str | os.PathLike[str] | None = None,
               thresholds: dict[str, float] | None = None, *,
               on_problem: ProblemHandler | None = None) -> pd.DataFrame:
    """Flag every case of a suite file (default `data/checks/cases.jsonl`) with `model`'s own flag rule
    (`thresholds` overrides the card's, label -> probability) and judge it.

    One row per case: CASE_COLUMNS, `expected` (see expected_text), `flags` (list of labels), `pass` (bool),
    `sara_kind` (when sara is flagged and the model scores SARA sub-labels: the highest one without its "sara_"
    prefix, e.g. "agama"; else None) and `score_<label>` per flagging label. `attrs` holds `problems` (skipped
    lines), `cases_file`, `cases_sha256` and `model_version`.
    """
    path = Path(cases_path) if cases_path is not None else DEFAULT_CASES
    cases = load_cases(path, on_problem=on_problem)
    scores = model.score(cases["text"])
    flags = model.flags(scores, thresholds)
    results = cases.copy()
    rules = list(zip(cases["must_flag"], cases["must_not_flag"], strict=True))
    results["expected"] = [expected_text(must, must_not) for must, must_not in rules]
    results["flags"] = flags
    results["pass"] = [case_passes(f, must, must_not) for f, (must, must_not) in zip(flags, rules, strict=True)]
    results["sara_kind"] = _sara_kinds(scores, flags)
    for label in FLAG_LABELS:
        if label in scores.columns:
            results[f"score_{label}"] = scores[label].to_numpy()
    results.attrs = {"problems": cases.attrs["problems"], "cases_file": str(path),
                     "cases_sha256": sha256_file(path), "model_version": model.version}
    return results


def _sara_kinds(scores: pd.DataFrame, flags: list[list[str]]) -> list[str | None]:
    sub_labels = [label for label in scores.columns if label.startswith("sara_")]
    if not sub_labels:
        return [None] * len(flags)
    top = scores[sub_labels].idxmax(axis=1).str.removeprefix("sara_")
    return [kind if "sara" in row else None for kind, row in zip(top, flags, strict=True)]


def summarize_checks(results: pd.DataFrame) -> pd.DataFrame:
    """One row per functionality of `run_checks` results: functionality, kind, n, passed, pass_rate, floor,
    meets_floor. Ordered by kind (as in FLOORS), then worst pass rate first."""
    grouped = results.groupby("functionality", sort=False).agg(kind=("kind", "first"), n=("pass", "size"),
                                                               passed=("pass", "sum"))
    summary = grouped.reset_index()
    summary["passed"] = summary["passed"].astype(int)
    summary["pass_rate"] = summary["passed"] / summary["n"]
    summary["floor"] = summary["kind"].map(FLOORS)
    summary["meets_floor"] = summary["pass_rate"] >= summary["floor"] - _EPS
    order = summary["kind"].map({kind: i for i, kind in enumerate(FLOORS)})
    summary = summary.assign(_order=order).sort_values(["_order", "pass_rate", "functionality"])
    return summary.drop(columns="_order").reset_index(drop=True)


def failing_floors(summary: pd.DataFrame) -> list[str]:
    """The functionalities of a `summarize_checks` table whose pass rate is below their floor, in its order."""
    return summary.loc[~summary["meets_floor"], "functionality"].tolist()


def checks_report(results: pd.DataFrame, summary: pd.DataFrame, *, with_cases: bool = True) -> dict[str, Any]:
    """A JSON-ready record of a run: its cases file and SHA-256, the model version, totals, the failing
    functionalities, the per-functionality table and (`with_cases`) every case's result."""
    report: dict[str, Any] = {
        "cases_file": results.attrs.get("cases_file"),
        "cases_sha256": results.attrs.get("cases_sha256"),
        "model_version": results.attrs.get("model_version"),
        "cases": int(len(results)),
        "passed": int(results["pass"].sum()),
        "floors": dict(FLOORS),
        "failing_floors": failing_floors(summary),
        "functionalities": [
            {**row, "n": int(row["n"]), "passed": int(row["passed"]), "pass_rate": round(float(row["pass_rate"]), 4),
             "floor": float(row["floor"]), "meets_floor": bool(row["meets_floor"])}
            for row in summary.to_dict(orient="records")
        ],
    }
    if with_cases:
        columns = ["id", "functionality", "kind", "text", "expected", "flags", "pass", "target_kind", "target",
                   "sara_kind"]
        records = results[columns].astype(object).where(results[columns].notna(), None).to_dict(orient="records")
        report["results"] = [{**r, "pass": bool(r["pass"])} for r in records]
    return report
