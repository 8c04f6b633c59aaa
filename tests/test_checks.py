from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.classify.artifact import Model, load_model
from pipeline.classify.checks import (
    DEFAULT_CASES,
    FLOORS,
    HOLDOUT_CASES,
    TARGET_KINDS,
    case_passes,
    checks_report,
    expected_text,
    failing_floors,
    load_cases,
    run_checks,
    summarize_checks,
)
from pipeline.cli import cli
from pipeline.config import CHECKS_DIR, DEFAULT_MODEL_DIR
from pipeline.errors import InputError
from pipeline.labels import FLAG_LABELS

SUITES = {"cases": DEFAULT_CASES, "holdout": HOLDOUT_CASES}
TEXTS = ["Selamat pagi semua, jangan lupa sarapan ya",
         "Usir mereka dari kampung ini, dasar k4f1r!",
         "Sebarkan!!! Besok semua SPBU tutup, isi full tangki malam ini"]


@pytest.fixture(scope="module")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="module")
def suites() -> dict[str, pd.DataFrame]:
    return {name: load_cases(path) for name, path in SUITES.items()}


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _readme_tables() -> tuple[dict[str, tuple[set[str], set[str]]], dict[str, dict[str, str]]]:
    """The rule sets (name -> must, must not) and functionalities (name -> kind, rule, counts) documented in
    data/checks/README.md."""
    readme = (CHECKS_DIR / "README.md").read_text(encoding="utf-8")
    rules_part = readme.split("## Rule sets", 1)[1].split("## Functionalities", 1)[0]
    rules = {}
    for name, must, must_not in re.findall(r"^\| `(\w+)` \| ([^|]*) \| ([^|]*) \|", rules_part, flags=re.M):
        rules[name] = tuple({label.strip() for label in cell.split(",") if label.strip() not in ("", "—")}
                            for cell in (must, must_not))
    functionalities = {}
    table = readme.split("## Functionalities", 1)[1]
    for line in re.findall(r"^\| `\w+` \|.*$", table, flags=re.M):
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        functionalities[cells[0].strip("`")] = {"kind": cells[1], "rule": cells[2].strip("`"), "cases": cells[3],
                                                "holdout": cells[4]}
    return rules, functionalities


@pytest.mark.parametrize("name", list(SUITES))
def test_suite_files_are_well_formed(suites: dict[str, pd.DataFrame], name: str) -> None:
    cases = suites[name]
    assert cases.attrs["problems"] == []
    assert cases["id"].is_unique
    assert len(SUITES[name].read_text(encoding="utf-8").splitlines()) == len(cases)
    normalised = cases["text"].map(_norm)
    assert normalised.is_unique, cases.loc[normalised.duplicated(), "text"].tolist()
    rules = list(zip(cases["must_flag"], cases["must_not_flag"], strict=True))
    assert all(set(must) | set(must_not) <= set(FLAG_LABELS) for must, must_not in rules)
    assert all(must or must_not for must, must_not in rules), "a case that tests nothing"
    assert (cases.groupby("functionality")["kind"].nunique() == 1).all()


def test_suite_size_and_coverage(suites: dict[str, pd.DataFrame]) -> None:
    cases, holdout = suites["cases"], suites["holdout"]
    assert len(cases) >= 500 and cases["functionality"].nunique() >= 25
    assert set(cases["kind"]) == set(FLOORS)
    assert 100 <= len(holdout) <= 250
    assert set(holdout["functionality"]) == set(cases["functionality"])


def test_holdout_is_disjoint_from_the_suite(suites: dict[str, pd.DataFrame]) -> None:
    cases, holdout = suites["cases"], suites["holdout"]
    assert not set(cases["text"].map(_norm)) & set(holdout["text"].map(_norm))
    assert not set(cases["id"]) & set(holdout["id"])


@pytest.mark.parametrize("name", list(SUITES))
def test_cases_follow_their_documented_functionality(suites: dict[str, pd.DataFrame], name: str) -> None:
    rules, functionalities = _readme_tables()
    cases = suites[name]
    assert set(cases["functionality"]) == set(functionalities)
    for row in cases.itertuples(index=False):
        doc = functionalities[row.functionality]
        must, must_not = rules[doc["rule"]]
        assert (row.kind, set(row.must_flag), set(row.must_not_flag)) == (doc["kind"], must, must_not), row.id
    counts = cases["functionality"].value_counts()
    assert {f: int(doc[name]) for f, doc in functionalities.items()} == counts.to_dict()


@pytest.mark.parametrize("name", list(SUITES))
def test_sara_cases_name_their_target(suites: dict[str, pd.DataFrame], name: str) -> None:
    sara = suites[name][suites[name]["must_flag"].map(lambda labels: "sara" in labels)]
    assert len(sara) > 0
    assert sara["target_kind"].isin(TARGET_KINDS).all() and sara["target"].notna().all()


def test_derogation_and_threats_cover_every_target_kind(suites: dict[str, pd.DataFrame]) -> None:
    cases = suites["cases"]
    for functionality in ("derog_implicit", "derog_dehumanising", "threat_direct", "incitement_sara"):
        kinds = set(cases.loc[cases["functionality"] == functionality, "target_kind"])
        assert kinds == set(TARGET_KINDS), functionality
    for kind in TARGET_KINDS:
        explicit = cases[cases["functionality"] == f"derog_explicit_{kind}"]
        assert len(explicit) >= 20 and (explicit["target_kind"] == kind).all()
        assert explicit["target"].nunique() >= 5


def test_load_cases_reports_and_skips_malformed_lines(tmp_path: Path) -> None:
    good = {"id": "a-1", "functionality": "a", "kind": "hateful", "text": "teks", "must_flag": ["sara"],
            "must_not_flag": [], "target_kind": "suku", "target": "Madura"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "id": "a-2", "must_flag": ["gossip"]}),
        json.dumps({**good, "id": "a-3", "kind": "spicy"}),
        json.dumps({k: v for k, v in good.items() if k != "text"} | {"id": "a-4"}),
        json.dumps({**good, "id": "a-5", "must_not_flag": ["sara"]}),
        json.dumps({**good, "id": "a-6", "target_kind": "planet"}),
        json.dumps({**good, "text": "lagi"}),
        "",
        json.dumps({**good, "id": "a-7", "must_flag": "sara"}),
        json.dumps({**good, "id": "a-8", "category": "derogation", "target_kind": None, "target": None}),
    ]
    path = tmp_path / "suite.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reported: list[str] = []
    cases = load_cases(path, on_problem=reported.append)
    assert cases["id"].tolist() == ["a-1", "a-8"]
    assert reported == cases.attrs["problems"]
    assert [message.split(":")[1] for message in reported] == ["2", "3", "4", "5", "6", "7", "8", "10"]
    fragments = ["not JSON", "gossip", "spicy", "missing text", "both", "planet", "repeats", "list of labels"]
    for line, fragment in zip(reported, fragments, strict=True):
        assert line.startswith("suite.jsonl:") and fragment in line, line
    assert cases.loc[1, "category"] == "derogation" and cases.loc[0, "category"] is None


def test_load_cases_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_cases(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{broken\n", encoding="utf-8")
    with pytest.raises(InputError, match="no valid check cases"):
        load_cases(empty, on_problem=lambda message: None)


@pytest.mark.parametrize(
    ("flags", "must", "must_not", "passes"),
    [
        (["sara", "hate_speech"], ["sara"], [], True),
        (["hate_speech"], ["sara"], [], False),
        (["sara", "abusive"], ["sara"], ["hoax"], True),
        (["sara", "hoax"], ["sara"], ["hoax"], False),
        ([], [], ["sara", "hoax"], True),
        (["abusive"], [], ["sara", "provocation"], True),
        (["abusive"], [], ["abusive"], False),
        (["sara", "provocation"], ["sara", "provocation"], [], True),
        (["provocation"], ["sara", "provocation"], [], False),
        ([], [], [], True),
    ],
)
def test_case_passes(flags: list[str], must: list[str], must_not: list[str], passes: bool) -> None:
    assert case_passes(flags, must, must_not) is passes


def test_expected_text() -> None:
    assert expected_text(["sara", "provocation"], ["hoax"]) == "+sara +provocation -hoax"
    assert expected_text([], []) == ""


def _write_cases(path: Path, cases: list[dict]) -> Path:
    path.write_text("".join(json.dumps(case, ensure_ascii=False) + "\n" for case in cases), encoding="utf-8")
    return path


def _constructed_cases(model: Model, thresholds: dict[str, float]) -> tuple[list[dict], list[bool]]:
    """Cases whose outcome follows from the model's own flags by construction, and those outcomes."""
    flags = model.flags(model.score(TEXTS), thresholds)
    cases, outcomes = [], []

    def add(i: int, must: list[str], must_not: list[str], outcome: bool) -> None:
        cases.append({"id": f"c-{len(cases)}", "functionality": f"t{i}", "kind": "hateful", "text": TEXTS[i],
                      "must_flag": must, "must_not_flag": must_not})
        outcomes.append(outcome)

    for i, flagged in enumerate(flags):
        unflagged = [label for label in FLAG_LABELS if label not in flagged]
        add(i, flagged, unflagged, True)
        add(i, [], [flagged[0]], False)
        add(i, [], [], True)
        if unflagged:
            add(i, [unflagged[0]], [], False)
            add(i, [], unflagged, True)
    return cases, outcomes


def test_run_checks_judges_the_models_own_flags(tmp_path: Path, model: Model) -> None:
    thresholds = {"abusive": 0.0}  # every text flags abusive, so every text has a flagged label to test
    cases, outcomes = _constructed_cases(model, thresholds)
    assert False in outcomes and any(not c["must_flag"] and c["must_not_flag"] for c in cases)
    path = _write_cases(tmp_path / "c.jsonl", cases)
    results = run_checks(model, path, thresholds)
    assert results["pass"].tolist() == outcomes
    flags = model.flags(model.score(TEXTS), thresholds)
    assert results.groupby("functionality", sort=True)["flags"].first().tolist() == flags
    assert all("abusive" in f for f in results["flags"])
    assert results.attrs["model_version"] == model.version and len(results.attrs["cases_sha256"]) == 64
    for label in FLAG_LABELS:
        assert results[f"score_{label}"].between(0, 1).all()
    # without the override the card's thresholds apply, and the flags follow them
    plain = run_checks(model, path)
    assert plain.groupby("functionality", sort=True)["flags"].first().tolist() == model.flags(model.score(TEXTS))


def test_run_checks_names_the_sara_sub_label(tmp_path: Path, model: Model) -> None:
    path = _write_cases(tmp_path / "c.jsonl", [
        {"id": f"s-{i}", "functionality": "s", "kind": "hateful", "text": text, "must_flag": ["sara"],
         "must_not_flag": []} for i, text in enumerate(TEXTS)])
    everything = run_checks(model, path, {"sara": 0.0})
    sub_labels = [label for label in model.labels if label.startswith("sara_")]
    top = model.score(TEXTS)[sub_labels].idxmax(axis=1).str.removeprefix("sara_").tolist()
    assert everything["pass"].all() and everything["sara_kind"].tolist() == top
    card = run_checks(model, path)
    flagged = card["flags"].map(lambda labels: "sara" in labels)
    assert (card["pass"] == flagged).all() and (card["sara_kind"].notna() == flagged).all()


def _crafted(passes: dict[str, tuple[str, int, int]]) -> pd.DataFrame:
    rows = []
    for functionality, (kind, passed, n) in passes.items():
        rows += [{"functionality": functionality, "kind": kind, "pass": i < passed} for i in range(n)]
    return pd.DataFrame(rows)


def test_summary_and_failing_floors_on_crafted_results() -> None:
    results = _crafted({
        "hate_ok": ("hateful", 9, 10),          # exactly the 90% floor
        "hate_low": ("hateful", 8, 10),
        "clean_ok": ("non_hateful", 19, 20),    # exactly the 95% floor
        "clean_low": ("non_hateful", 18, 20),
        "hoax_low": ("hoax", 17, 20),
        "notice_ok": ("not_hoax", 20, 20),
        "notice_low": ("not_hoax", 0, 3),
    })
    summary = summarize_checks(results)
    assert summary["functionality"].tolist() == ["hate_low", "hate_ok", "clean_low", "clean_ok", "hoax_low",
                                                 "notice_low", "notice_ok"]
    row = summary.set_index("functionality").loc["clean_low"]
    assert (row["n"], row["passed"], row["pass_rate"], row["floor"]) == (20, 18, 0.9, 0.95)
    assert failing_floors(summary) == ["hate_low", "clean_low", "hoax_low", "notice_low"]
    assert failing_floors(summarize_checks(_crafted({"a": ("hateful", 10, 10), "b": ("hoax", 9, 10)}))) == []


def test_checks_report_is_json(tmp_path: Path, model: Model) -> None:
    cases, _ = _constructed_cases(model, {"abusive": 0.0})
    results = run_checks(model, _write_cases(tmp_path / "c.jsonl", cases), {"abusive": 0.0})
    report = json.loads(json.dumps(checks_report(results, summarize_checks(results))))
    assert report["cases"] == len(cases) and report["passed"] == int(results["pass"].sum())
    assert {f["functionality"] for f in report["functionalities"]} == {"t0", "t1", "t2"}
    assert [r["id"] for r in report["results"]] == [c["id"] for c in cases]
    assert "results" not in checks_report(results, summarize_checks(results), with_cases=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_command_reports_and_strict_fails_only_below_a_floor(tmp_path: Path, runner: CliRunner,
                                                                    model: Model) -> None:
    flags = model.flags(model.score(TEXTS))
    passing = [{"id": f"p-{i}", "functionality": "all_pass", "kind": "not_hoax", "text": text,
                "must_flag": flagged, "must_not_flag": [label for label in FLAG_LABELS if label not in flagged]}
               for i, (text, flagged) in enumerate(zip(TEXTS, flags, strict=True))]
    ok = _write_cases(tmp_path / "ok.jsonl", passing)
    result = runner.invoke(cli, ["check", "--cases", str(ok), "--strict", "--json", str(tmp_path / "ok.json")])
    assert result.exit_code == 0, result.output
    assert re.search(r"^all_pass\s+not_hoax\s+3/3\s+100\.0%\s+90%\s+ok$", result.stdout, flags=re.M)
    assert result.stdout.rstrip().endswith("floors: all 1 functionalities meet their floor")
    assert json.loads((tmp_path / "ok.json").read_text())["failing_floors"] == []

    # a case that must not get a flag the model gives (or, if it gives none, must get one it does not)
    rule = {"must_flag": [], "must_not_flag": [flags[0][0]]} if flags[0] else {"must_flag": ["hoax"],
                                                                              "must_not_flag": []}
    failing = [*passing, {"id": "f-0", "functionality": "impossible", "kind": "hoax", "text": TEXTS[0], **rule}]
    bad = _write_cases(tmp_path / "bad.jsonl", failing)
    report = runner.invoke(cli, ["check", "--cases", str(bad), "--show-failures", "--json", str(tmp_path / "b.json")])
    assert report.exit_code == 0, report.output
    assert "FAIL f-0" in report.stdout and "FAIL p-" not in report.stdout
    assert "floors: 1 of 2 functionalities below their floor: impossible" in report.stdout
    assert json.loads((tmp_path / "b.json").read_text())["failing_floors"] == ["impossible"]
    strict = runner.invoke(cli, ["check", "--cases", str(bad), "--strict"])
    assert strict.exit_code == 1


def test_check_command_records_in_the_model_card(tmp_path: Path, runner: CliRunner, model: Model) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, copy)
    flags = model.flags(model.score(TEXTS))
    cases = [{"id": f"c-{i}", "functionality": "mine", "kind": "hoax", "text": text, "must_flag": ["hoax"],
              "must_not_flag": []} for i, text in enumerate(TEXTS)]
    path = _write_cases(tmp_path / "mine.jsonl", cases)
    result = runner.invoke(cli, ["check", "--model", str(copy), "--cases", str(path), "--record"])
    assert result.exit_code == 0, result.output
    card = json.loads((copy / "model_card.json").read_text())
    recorded = card["measured"]["check mine.jsonl"]
    passed = sum("hoax" in f for f in flags)
    assert (recorded["cases"], recorded["passed"]) == (3, passed)
    assert recorded["pass_rate_per_kind"] == {"hoax": round(passed / 3, 4)}
    assert recorded["command"] == f"patroli check --cases {path}"
    load_model(copy)  # the model file still matches its card


def test_check_command_runs_the_shipped_suite(tmp_path: Path, runner: CliRunner) -> None:
    out = tmp_path / "checks.json"
    result = runner.invoke(cli, ["check", "--json", str(out)])
    assert result.exit_code == 0, result.output
    cases = load_cases()
    for functionality in cases["functionality"].unique():
        assert re.search(rf"^{functionality}\s", result.stdout, flags=re.M), functionality
    assert result.stdout.rstrip().splitlines()[-1].startswith("floors: ")
    report = json.loads(out.read_text())
    assert report["cases"] == len(cases) and len(report["results"]) == len(cases)


def test_check_command_bad_input_is_one_line(tmp_path: Path, runner: CliRunner) -> None:
    missing = runner.invoke(cli, ["check", "--cases", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == InputError.exit_code
    lines = [line for line in missing.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("patroli: error:") and "nope.jsonl" in lines[0]
    half = tmp_path / "half.jsonl"
    half.write_text("{broken\n" + json.dumps({"id": "x", "functionality": "f", "kind": "hoax", "text": "t",
                                              "must_flag": [], "must_not_flag": []}) + "\n", encoding="utf-8")
    skipped = runner.invoke(cli, ["check", "--cases", str(half)])
    assert skipped.exit_code == 0 and "patroli: skipped half.jsonl:1: not JSON" in skipped.stderr


def test_shipped_model_holds_its_recorded_functional_results(model: Model) -> None:
    """The floors where the shipped model meets them, and no functionality below the pass rate its card records:
    a retrained default model that loses ground on the suite fails here."""
    recorded = model.card["measured"][f"check {DEFAULT_CASES.name}"]
    results = run_checks(model)
    summary = summarize_checks(results).set_index("functionality")
    assert recorded["model_version"] == model.version
    assert recorded["cases_sha256"] == results.attrs["cases_sha256"]
    for entry in recorded["functionalities"]:
        now = summary.loc[entry["functionality"]]
        assert now["n"] == entry["n"] and now["passed"] >= entry["passed"], entry["functionality"]
        if entry["meets_floor"]:
            assert now["pass_rate"] >= FLOORS[entry["kind"]], entry["functionality"]
    assert set(summary.index) == {entry["functionality"] for entry in recorded["functionalities"]}
