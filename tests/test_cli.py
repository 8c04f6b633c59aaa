from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.cli._common import table_text
from pipeline.config import SAMPLES_DIR
from pipeline.labels import LABELS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_scan_writes_one_record_per_post(tmp_path: Path, runner: CliRunner, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    result = runner.invoke(cli, ["scan", str(SAMPLES_DIR / "posts.csv"), "--id-column", "id", "--out", str(out),
                                 "--db", f"sqlite:///{tmp_path / 'q.db'}", "--no-progress"])
    assert result.exit_code == 0, result.output
    if suffix == ".jsonl":
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert set(records[0]["scores"]) == set(LABELS)
        assert {"id", "text", "flags", "evidence", "model_version"} <= set(records[0])
    else:
        records = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
        records = records.to_dict(orient="records")
        assert {f"score_{label}" for label in LABELS} <= set(records[0])
    assert len(records) == 74
    assert "74 posts scanned" in result.stderr


def test_scan_show_flagged_prints_evidence(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["scan", str(SAMPLES_DIR / "posts.jsonl"), "--no-db", "--show-flagged"])
    assert result.exit_code == 0, result.output
    assert "flags:" in result.stdout and "←" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "does-not-exist.csv", "--no-db"], "does-not-exist.csv"),
        (["scan", str(SAMPLES_DIR / "posts.csv"), "--text-column", "isi", "--no-db"], "isi"),
        (["scan", str(SAMPLES_DIR / "posts.csv"), "--threshold", "gossip=0.3", "--no-db"], "--threshold"),
        (["scan", str(SAMPLES_DIR / "posts.csv"), "--model", "/nonexistent", "--no-db"], "no model in"),
        (["scan", str(SAMPLES_DIR / "posts.csv"), "--out", "x.xlsx", "--no-db"], ".jsonl, .csv or .parquet"),
        (["train", "--data-dir", "/nonexistent"], "not found"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("patroli: error:") and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_binary_file_with_csv_name_is_reported(tmp_path: Path, runner: CliRunner) -> None:
    bad = tmp_path / "data.csv"
    bad.write_bytes(bytes(range(256)) * 20)
    result = runner.invoke(cli, ["scan", str(bad), str(SAMPLES_DIR / "posts.txt"), "--no-db"])
    assert result.exit_code == 0
    assert "data.csv" in result.stderr and "25 posts scanned" in result.stderr


def test_explain_command(runner: CliRunner, tmp_path: Path) -> None:
    text = "Usir mereka dari kampung ini, dasar k4f1r!"
    db = ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    result = runner.invoke(cli, ["explain", text, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload["scores"]) == set(LABELS) and payload["evidence"]["sara"] and payload["claim"] is None
    table = runner.invoke(cli, ["explain", text])
    assert table.exit_code == 0 and table.stdout.startswith("label") and "no known claims" in table.stdout
    for label in LABELS:
        assert f"\n{label} " in table.stdout
    assert (tmp_path / "x.db").exists() is False and runner.invoke(cli, ["explain", text, *db]).exit_code == 5
    runner.invoke(cli, ["claims", "import", str(SAMPLES_DIR / "claims.csv"), *db])
    with_claims = runner.invoke(cli, ["explain", "Waspada penculikan anak pakai mobil ambulans", *db])
    assert "best known claim: CK-0001" in with_claims.stdout
    empty = runner.invoke(cli, ["explain", "   "])
    assert empty.exit_code == 3 and "empty" in empty.stderr


def test_every_command_help_has_an_example(runner: CliRunner) -> None:
    def walk(group: click.Group, path: list[str]) -> list[list[str]]:
        found = []
        for name in group.list_commands(click.Context(group)):
            command = group.get_command(click.Context(group), name)
            found += walk(command, [*path, name]) if isinstance(command, click.Group) else [[*path, name]]
        return found

    commands = walk(cli, [])
    assert len(commands) > 20
    for path in commands:
        shown = runner.invoke(cli, [*path, "--help"])
        assert shown.exit_code == 0 and "Example" in shown.stdout, " ".join(path)


def test_tables_fit_the_terminal() -> None:
    frame = pd.DataFrame({"item_id": [1, 22], "label": ["sara", "hate_speech"], "text": ["kata " * 60, "pendek"]})
    lines = table_text(frame, 60).splitlines()
    assert max(len(line) for line in lines) <= 60 and lines[1].endswith("…")
    assert lines[2].split()[:2] == ["22", "hate_speech"] and lines[0].split() == ["item_id", "label", "text"]


def test_end_to_end_subprocess(tmp_path: Path) -> None:
    patroli = Path(sys.executable).with_name("patroli")
    out = tmp_path / "out.jsonl"
    proc = subprocess.run([str(patroli), "scan", str(SAMPLES_DIR / "posts.jsonl"), "--id-column", "id",
                           "--out", str(out), "--db", f"sqlite:///{tmp_path / 'e2e.db'}"],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text().splitlines()) == 65
    assert "posts scanned" in proc.stderr.splitlines()[-1]
    bad = subprocess.run([str(patroli), "scan", "missing.csv", "--no-db"], capture_output=True, text=True,
                         cwd=tmp_path)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
